"""What a skipped test means on CI (issue 32).

Every skip is listed at the end of the run with its reason. When ``CI`` is set, a skipped
test fails the run unless it is on ``MAY_SKIP_ON_CI`` below with the reason it cannot run
on CI's machine: a check that silently never runs is a check CI does not make. Tests call
``need_tool`` for the programs CI installs (``make package-tools``): missing, it skips on a
person's machine and fails at once on CI.
"""

from __future__ import annotations

import os
import shutil

import pytest

# nodeid (or its prefix) -> why CI may skip it.
MAY_SKIP_ON_CI: dict[str, str] = {
    "tests/core/store/test_disk_full.py::test_real_full_disk_on_tmpfs":
        "mounting a tmpfs needs root in a container that allows it; the same full disk is "
        "made by injected ENOSPC in tests/core/store/test_disk_full_injected.py",
    "tests/core/extract/test_ocr.py::test_a_page_is_read_on_onnx_runtime_when_openvino_fails_midway":
        "OCR runs on OpenVINO only where OpenVINO takes the machine's CPU; ONNX Runtime otherwise",
    "tests/app/gui/test_gui_bindings.py::test_qt_calls_that_return_nothing_keep_none_alive":
        "None is immortal from Python 3.12: the check has nothing to count there",
}

_SKIPPED: list[tuple[str, str]] = []


def on_ci() -> bool:
    return bool(os.environ.get("CI"))


def need_tool(name: str, install: str) -> str:
    """The path of a program a check needs: skipped where it is missing, failed on CI."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed ({install}; `make package-tools` installs it)"
    if on_ci():
        pytest.fail(f"CI must run this check: {message}")
    pytest.skip(message)
    raise AssertionError("unreachable")


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def allowed(nodeid: str) -> str | None:
    for prefix, why in MAY_SKIP_ON_CI.items():
        if nodeid == prefix or nodeid.startswith(prefix + "[") or nodeid.startswith(prefix + "::"):
            return why
    return None


def pytest_runtest_logreport(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append((report.nodeid, _reason(report)))


def unexpected() -> list[tuple[str, str]]:
    return [(n, r) for n, r in _SKIPPED if allowed(n) is None]


def pytest_sessionfinish(session, exitstatus) -> None:
    if on_ci() and unexpected() and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter) -> None:
    tr = terminalreporter
    tr.section(f"skipped: {len(_SKIPPED)}", sep="-")
    for nodeid, reason in _SKIPPED:
        why = allowed(nodeid)
        mark = f"allowed on CI: {why}" if why else ("NOT ALLOWED ON CI" if on_ci() else "")
        tr.write_line(f"{nodeid}: {reason}" + (f"  [{mark}]" if mark else ""))
    if on_ci() and unexpected():
        tr.write_line(f"CI: {len(unexpected())} skipped test(s) that CI is meant to run: the run fails",
                      red=True, bold=True)
