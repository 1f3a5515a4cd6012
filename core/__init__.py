"""Likewise engine. Never imports Qt (tests/test_architecture.py checks it)."""

__version__ = "0.1.0"
