"""Print what the build environment installs: the runtime dependencies of pyproject.toml
and the `package` extra (PyInstaller), never the dev extras (pytest, sentence-transformers
and the scipy/scikit-learn they pull in would be carried into the bundle).

`--no-deps` prints the requirements installed without their own dependencies, one a line:
rapidocr-onnxruntime, whose opencv-python (172-287 MB in the bundle) Likewise never calls
(core/extract/imageops.py); the dependencies it does use are in pyproject.toml."""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


NO_DEPS = ("rapidocr-onnxruntime",)


def _name(requirement: str) -> str:
    for stop in "<>=!~[; ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()


def requirements(no_deps: bool) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    chosen = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["package"]]:
        name = _name(requirement)
        if name == "torch":                 # torch comes first, pinned (Makefile)
            continue
        if (name in NO_DEPS) == no_deps:
            chosen.append(requirement)
    return chosen


def main() -> int:
    for requirement in requirements("--no-deps" in sys.argv[1:]):
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main())
