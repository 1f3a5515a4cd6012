"""Word 97-2003 (.doc) and PowerPoint 97-2003 (.ppt) through a program the person has
installed: no well-kept Python reader with a permissive licence reads their binary
formats, and the programs that do (antiword, catdoc's catdoc and catppt: GPL) are never
bundled, only used when they are on the PATH.

- .doc: antiword, else catdoc; .ppt: catppt (from the catdoc package). When none is
  installed the file is an "error" whose reason names the program and the command that
  installs it ("needs antiword: install it with sudo apt-get install antiword"), shown by
  `likewise status --errors` and in the Library tab.
- The program runs without a shell, on the file's path as one argument, in a private
  temporary folder (its working directory, HOME and TMPDIR), with at most
  PROGRAM_TIMEOUT_S seconds (under the worker's own limit) and the worker's memory
  limit (inherited); on Linux it dies with the worker. Its UTF-8 output becomes one
  paragraph per line (antiword -w 0 and catdoc -w write a paragraph per line); a program
  that fails makes the file an "error" with its first line of complaint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from core.extract.clean import clean_block
from core.types import ENCRYPTED, ERROR, INDEXED, NO_TEXT, Block, ExtractResult

PROGRAM_TIMEOUT_S = 50
MAX_OUTPUT_BYTES = 64 * 1024 * 1024

# extension -> the programs that read it, in order of preference: (program, arguments
# before the file's path, the package that installs it)
PROGRAMS: dict[str, list[tuple[str, list[str], str]]] = {
    ".doc": [("antiword", ["-m", "UTF-8.txt", "-w", "0"], "antiword"),
             ("catdoc", ["-d", "utf-8", "-w"], "catdoc")],
    ".ppt": [("catppt", ["-d", "utf-8"], "catdoc")],
}


def install_hint(package: str) -> str:
    """The command that installs ``package`` on this system, as a person types it."""
    if sys.platform == "darwin":
        return f"brew install {package}"
    if sys.platform.startswith("win"):
        return f"install {package} and put it on the PATH"
    return f"sudo apt-get install {package}"


def needs_reason(ext: str) -> str:
    program, _, package = PROGRAMS[ext][0]
    return f"needs {program}: install it with {install_hint(package)}"


def find_program(ext: str) -> tuple[str, list[str]] | None:
    """(full path, arguments) of the first installed program that reads ``ext``."""
    for program, args, _ in PROGRAMS.get(ext, []):
        found = shutil.which(program)
        if found:
            return found, args
    return None


def extract_legacy_office(path: Path) -> ExtractResult:
    ext = path.suffix.lower()
    program = find_program(ext)
    if program is None:
        return ExtractResult(status=ERROR, title=path.stem, error=needs_reason(ext))
    executable, args = program
    name = Path(executable).name
    with tempfile.TemporaryDirectory(prefix="likewise-office-") as private:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": private, "TMPDIR": private, "LANG": "C.UTF-8",
               "LC_ALL": "C.UTF-8"}
        try:
            done = subprocess.run([executable, *args, str(path.resolve())], cwd=private, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=PROGRAM_TIMEOUT_S,
                                  shell=False, preexec_fn=_death_signal() if sys.platform == "linux" else None)
        except subprocess.TimeoutExpired:
            return ExtractResult(status=ERROR, error=f"{name} timed out after {PROGRAM_TIMEOUT_S} s")
        except OSError as exc:
            return ExtractResult(status=ERROR, error=f"could not run {name} ({exc.strerror or exc})")
    complaint = _first_line(done.stderr)
    if done.returncode != 0 or (not done.stdout.strip() and complaint):
        if "encrypt" in complaint.lower() or "password" in complaint.lower():
            return ExtractResult(status=ENCRYPTED, title=path.stem, error=f"{name}: {complaint}")
        return ExtractResult(status=ERROR, title=path.stem,
                             error=f"{name} could not read it ({complaint or f'exit status {done.returncode}'})")
    text = done.stdout[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace")
    blocks = [Block(text=t) for t in (clean_block(line) for line in text.splitlines()) if t]
    if not blocks:
        return ExtractResult(status=NO_TEXT, title=path.stem, error="the document has no text")
    first = blocks[0].text
    return ExtractResult(status=INDEXED, blocks=blocks, title=first if 3 <= len(first) <= 150 else path.stem)


def _first_line(data: bytes) -> str:
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _death_signal():
    """A function for the child to run before exec (Linux): be killed when the worker
    dies. Made in the worker, so the child only calls prctl."""
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except OSError:
        return None
    return lambda: prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
