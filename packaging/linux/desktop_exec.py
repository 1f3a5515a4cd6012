"""Run a desktop entry's Exec line on a file, exactly as a file manager does.

    python3 packaging/linux/desktop_exec.py ENTRY.desktop FILE [--print]

The Exec value is unescaped as the Desktop Entry Specification says (the string escapes of
the file format first, then the quoting rules of the Exec key: double quotes, and inside
them backslash before ", `, $ and \\), and the field codes are replaced: %f and %F by the
file's path, %u and %U by its file:// URL, %i by --icon ICON, %c by the Name, %k by the
entry's own path, %% by %; the deprecated codes are dropped. --print shows the argument
list as JSON instead of running it. `make package-test` runs the installed
likewise-similar.desktop this way (packaging/package_test.sh).
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from pathlib import Path

STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
QUOTED_ESCAPES = '"`$\\'
DEPRECATED_CODES = set("dDnNvm")


def _unescape_string(value: str) -> str:
    """The escapes of a desktop file's string values (\\s, \\n, \\t, \\r, \\\\)."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in STRING_ESCAPES:
            out.append(STRING_ESCAPES[value[i + 1]])
            i += 2
            continue
        out.append(value[i])
        i += 1
    return "".join(out)


def split_exec(value: str) -> list[tuple[str, bool]]:
    """The Exec value's arguments, each with whether it was quoted (field codes are not
    expanded inside quotes)."""
    args: list[tuple[str, bool]] = []
    current: list[str] = []
    quoted = in_quotes = started = False
    i = 0
    while i < len(value):
        ch = value[i]
        if in_quotes:
            if ch == "\\" and i + 1 < len(value) and value[i + 1] in QUOTED_ESCAPES:
                current.append(value[i + 1])
                i += 2
                continue
            if ch == '"':
                in_quotes = False
            else:
                current.append(ch)
        elif ch == '"':
            in_quotes = quoted = started = True
        elif ch in " \t":
            if started:
                args.append(("".join(current), quoted))
            current, quoted, started = [], False, False
        else:
            current.append(ch)
            started = True
        i += 1
    if in_quotes:
        raise ValueError(f"unbalanced quotes in Exec={value!r}")
    if started:
        args.append(("".join(current), quoted))
    return args


def command_for(entry_path: Path, file: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str    # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(entry_path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    path = str(file.absolute())
    codes = {"f": [path], "F": [path], "u": [file.absolute().as_uri()], "U": [file.absolute().as_uri()],
             "i": ["--icon", entry["Icon"]] if entry.get("Icon") else [], "c": [entry.get("Name", "")],
             "k": [str(entry_path)]}
    argv: list[str] = []
    for arg, quoted in split_exec(_unescape_string(entry["Exec"])):
        if quoted:
            argv.append(arg)
        elif len(arg) == 2 and arg[0] == "%" and (arg[1] in codes or arg[1] in DEPRECATED_CODES):
            argv += codes.get(arg[1], [])
        else:
            argv.append(arg.replace("%%", "%"))
    return argv


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command = command_for(Path(argv[0]), Path(argv[1]))
    if argv[2:] == ["--print"]:
        print(json.dumps(command))
        return 0
    os.execvp(command[0], command)
    return 127   # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
