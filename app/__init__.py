"""Likewise interfaces: the command line (never imports Qt) and the PySide6 window."""
