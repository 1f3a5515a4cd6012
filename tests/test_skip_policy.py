"""tests/skip_policy.py: every skip is listed at the end; on CI a skip of a test CI is meant
to run fails the run, one on the allow-list (with its reason) does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import skip_policy

HERE = Path(__file__).resolve().parent


def _run(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(
        "from skip_policy import pytest_runtest_logreport, pytest_sessionfinish, pytest_terminal_summary\n",
        encoding="utf-8")
    (tmp_path / "test_some.py").write_text(
        "import pytest\n"
        "def test_runs():\n    assert True\n"
        "def test_needs_a_tool():\n    pytest.skip('the tool is missing')\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    if ci:
        env["CI"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_a_skip_is_listed_and_passes_off_ci(tmp_path):
    done = _run(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped: 1" in done.stdout
    assert "test_some.py::test_needs_a_tool: the tool is missing" in done.stdout


def test_a_skip_fails_the_run_on_ci(tmp_path):
    done = _run(tmp_path, ci=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT ALLOWED ON CI" in done.stdout and "the run fails" in done.stdout
    assert "1 passed, 1 skipped" in done.stdout


def test_the_allow_list_names_real_tests_with_reasons():
    for nodeid, why in skip_policy.MAY_SKIP_ON_CI.items():
        path, _, name = nodeid.partition("::")
        assert (HERE.parent / path).is_file(), nodeid
        assert f"def {name}(" in (HERE.parent / path).read_text(encoding="utf-8"), nodeid
        assert len(why) > 20
    some = next(iter(skip_policy.MAY_SKIP_ON_CI))
    assert skip_policy.allowed(some) and skip_policy.allowed(some + "[param]")
    assert skip_policy.allowed(some + "_other") is None
