"""Tests marked `own_process` run in a fresh Python of their own.

Ray's driver lives in the process that calls ray.init: it starts threads, replaces the
fatal-signal handlers (so a crash no longer names the test), and ends the process with
exit status 1 when it loses its local raylet. A suite that ran Ray in its own process once
died silently in the cluster test and once crashed forty per cent later in a window test.
So such a test is run again by pytest in a child process and its result taken from there;
its fixtures are set up in the parent too (cheap ones only), and nothing of Ray is left in
the suite's process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD_ENV = "LIKEWISE_OWN_PROCESS_TEST"
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 1200


def in_child(item: pytest.Item) -> bool:
    return os.environ.get(CHILD_ENV) == item.nodeid


def run_in_child(item: pytest.Item) -> None:
    """Run this one test in a fresh pytest process; fail here with its output if it fails
    there (a skip there is a failure under CI, as in the suite: tests/skip_policy.py)."""
    env = dict(os.environ, **{CHILD_ENV: item.nodeid})
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", item.nodeid]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{item.nodeid} ran past {TIMEOUT_S} s in its own process:\n"
                    f"{(exc.stdout or '')[-4000:]}", pytrace=False)
    out = (done.stdout + done.stderr)[-6000:]
    if done.returncode != 0:
        pytest.fail(f"{item.nodeid} failed in its own process (exit {done.returncode}):\n{out}",
                    pytrace=False)
    if " passed" not in done.stdout:
        pytest.fail(f"{item.nodeid} did not pass in its own process:\n{out}", pytrace=False)
