"""The engine and the app type-check cleanly: ``mypy core app`` reports no errors."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_reports_no_errors():
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "core", "app"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, f"mypy core app failed:\n{proc.stdout}{proc.stderr}"
