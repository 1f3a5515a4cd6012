"""Print what the build environment installs: the runtime dependencies of pyproject.toml
and the `package` extra (PyInstaller), never the dev extras (pytest, sentence-transformers
and the scipy/scikit-learn they pull in would be carried into the bundle)."""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["package"]]:
        if not requirement.lower().startswith("torch"):   # torch comes first, pinned (Makefile)
            print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main())
