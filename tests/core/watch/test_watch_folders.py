"""The watcher and the folder list (issue 32, "No test at all"): pausing a folder, folders
added, removed or paused while watching, an observer that dies, a folder tree moved in from
outside, and the back-off after a full disk or a busy library. Each wait is for proof (an
event, a count), never a fixed sleep."""

from __future__ import annotations

import os
import threading

import pytest
import test_watch
from test_watch import doc_paths, fts_paths, indexed_count, note, start, wait_until, write

from core.errors import DiskFullError, LibraryBusyError
from core.watch import watcher as watcher_module

env = test_watch.env     # the watch tests' library, watched folder and event recorder


def test_a_paused_folder_is_left_alone_until_resumed(env):
    other = env.tmp / "other"
    write(other / "b.txt", note("pausedword"))
    write(env.folder / "a.txt", note("activeword"))
    env.lib.add_folder(other)
    env.lib.catalog.set_folder_paused(other, True)
    env.lib.indexer.index()
    assert fts_paths(env.lib, "activeword") and not fts_paths(env.lib, "pausedword")
    info = {f.path: f for f in env.lib.folders()}
    assert info[str(other.resolve())].paused and info[str(other.resolve())].state == "paused"
    env.lib.catalog.set_folder_paused(other, False)
    env.lib.indexer.index()
    assert fts_paths(env.lib, "pausedword") == {str(other.resolve() / "b.txt")}


def test_folders_added_paused_and_removed_while_watching(env):
    start(env)
    # added: its files are read without a restart, and it is watched from then on
    added = env.tmp / "added"
    write(added / "first.txt", note("addedfirst"))
    env.lib.add_folder(added)
    wait_until(lambda: fts_paths(env.lib, "addedfirst"), what="the added folder's file indexed")
    folder_id = next(f.id for f in env.lib.folders() if f.path == str(added.resolve()))
    wait_until(lambda: env.lib.watching.watcher.state_of(folder_id)[0] in ("watching", "polling"),
               what="the added folder watched")
    write(added / "later.txt", note("addedlater"))
    wait_until(lambda: fts_paths(env.lib, "addedlater"), what="a change in the added folder")

    # paused: still watched, a change there waits in the queue (the Waiting column counts
    # it) and is not read
    env.lib.catalog.set_folder_paused(added, True)
    wait_until(lambda: folder_id in env.lib.watching.watcher._paused, what="the pause seen by the watcher")
    write(added / "while_paused.txt", note("whilepaused"))
    wait_until(lambda: env.lib.store.count("SELECT COUNT(*) FROM jobs WHERE path LIKE '%while_paused.txt'"),
               what="the paused folder's change queued")
    write(env.folder / "proof.txt", note("proofword"))        # the watcher is alive and reading
    wait_until(lambda: fts_paths(env.lib, "proofword"), what="a change in the watched folder")
    assert not fts_paths(env.lib, "whilepaused")
    # resumed: what changed meanwhile is caught up
    env.lib.catalog.set_folder_paused(added, False)
    wait_until(lambda: fts_paths(env.lib, "whilepaused"), what="caught up after resuming")

    # removed: its documents leave the library, the other folder's stay
    env.lib.catalog.remove_folder(added)
    wait_until(lambda: env.lib.watching.watcher.state_of(folder_id)[0] == "idle", what="removed folder let go")
    assert not any(p.startswith(str(added.resolve())) for p in doc_paths(env.lib))
    assert fts_paths(env.lib, "proofword")


def test_an_observer_that_dies_is_restarted_and_changes_are_seen_again(env):
    start(env, use_polling=False)
    watcher = env.lib.watching.watcher
    folder_id = env.lib.folders()[0].id
    dead = watcher._folders[folder_id].observer
    assert dead is not None and dead.is_alive()
    dead.stop()                                 # the observer thread ends (as when it crashes)
    dead.join(30)
    assert not dead.is_alive()
    watcher.folders_changed()                   # the next folder check, now rather than in 2 s
    wait_until(lambda: (watcher._folders[folder_id].observer is not dead
                        and watcher._folders[folder_id].observer is not None
                        and watcher._folders[folder_id].observer.is_alive()),
               what="a new observer")
    write(env.folder / "after.txt", note("afterrestart"))
    wait_until(lambda: fts_paths(env.lib, "afterrestart"), what="a change seen by the new observer")


def test_a_folder_tree_moved_in_from_outside_is_indexed_whole(env):
    start(env)
    outside = env.tmp / "outside" / "tree"
    for i in range(3):
        write(outside / f"sub{i}" / "deeper" / f"n{i}.txt", note(f"movedword{i}"))
    write(outside / "top.txt", note("movedtop"))
    os.rename(outside, env.folder / "tree")
    wait_until(lambda: indexed_count(env.lib) == 4, what="the moved tree indexed")
    assert fts_paths(env.lib, "movedword2") == {str(env.folder / "tree" / "sub2" / "deeper" / "n2.txt")}
    assert fts_paths(env.lib, "movedtop") == {str(env.folder / "tree" / "top.txt")}


@pytest.mark.parametrize("error, wait", [
    (DiskFullError("the disk holding the library is full"), watcher_module.DISK_FULL_RETRY_S),
    (LibraryBusyError("Library busy"), watcher_module.BUSY_RETRY_S),
    (RuntimeError("anything else"), 1.0),
])
def test_after_a_full_disk_or_a_busy_library_the_watcher_waits_before_trying_again(env, error, wait):
    """The worker's wait after a failed step is read from a fake stop event (no real
    waiting); the failure is reported once as an event and the worker goes on."""
    watcher = watcher_module.Watcher(env.lib.indexer, env.lib.catalog, on_event=env.events)
    waits: list[float] = []

    class FakeStop(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            return False

    watcher._stop = FakeStop()

    def failing_step():
        raise error

    watcher._guarded(failing_step)
    assert waits == [wait]
    errors = env.events.of("error")
    assert len(errors) == 1 and str(error) in errors[0].reason
    assert watcher.last_error.endswith(str(error))
    assert wait >= (30.0 if isinstance(error, DiskFullError) else 1.0)
