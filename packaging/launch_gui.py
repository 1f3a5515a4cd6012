"""`likewise-gui` in the packaged app (Likewise.exe on Windows, Likewise.app on macOS):
the window. app.gui.main.main also answers ``--likewise-extract-worker``."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.gui.main import main

    sys.exit(main())
