"""`likewise-gui` in the packaged app (Likewise.exe on Windows, Likewise.app on macOS):
the window. app.gui.main.main also answers ``--likewise-extract-worker``."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    # The training add-on (torch), when installed: on sys.path before anything imports torch.
    from core.addon import activate

    activate()
    from app.gui.main import main

    sys.exit(main())
