"""`likewise` in the packaged app: the command line (all commands, with a console).

The packaged app has no Python to run ``-m core.extract.worker``: the indexer starts
the running program again with ``--likewise-extract-worker`` (core/extract/isolated.py),
and this is where that is told apart from a command.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    # The training add-on (torch), when installed: on sys.path before anything imports torch.
    from core.addon import activate

    activate()
    if sys.argv[1:2] == ["--likewise-extract-worker"]:
        from core.extract.worker import main as worker_main

        sys.exit(worker_main(["worker", *sys.argv[2:]]))
    from app.cli import main

    sys.exit(main())
