"""Child-process bookkeeping, so that no engine process outlives the engine that started it.

vLLM starts an engine-core process (and worker processes under it); an API server is a process tree of its
own. We remember exactly which processes appeared while an engine started, and on close (or at interpreter
exit, or after Ctrl-C) we ask them to stop, then terminate and finally kill whatever is left. Only processes
we recorded are touched.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import threading
import weakref
from contextlib import contextmanager

import psutil

_lock = threading.Lock()
_open: weakref.WeakSet = weakref.WeakSet()  # objects with a .close() to run at exit

# A terminal's Ctrl-C reaches every process of its foreground process group. Engine processes that get it stop
# by themselves, racing our own orderly shutdown, and may print tracebacks of their own (seen: vLLM's engine,
# waiting on its worker's shared memory, printed "RuntimeError: cancelled"). So processes started while
# `own_process_groups()` is active lead a process group of their own (their children join it): a Ctrl-C
# reaches only us, and we stop them. vLLM spawns its engine through multiprocessing (always on CPU) or forks
# it (on GPU, before CUDA is initialised); both ways are covered.
_detaching = 0
_spawned: list[subprocess.Popen] = []  # kept, so that subprocess never reaps what multiprocessing waits for


def _after_fork_in_child() -> None:
    if _detaching:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass


os.register_at_fork(after_in_child=_after_fork_in_child)


def _spawn_in_own_group(path, args, passfds) -> int:
    """multiprocessing's spawnv_passfds, with the child leading a new process group."""
    proc = subprocess.Popen(args, executable=path, pass_fds=tuple(passfds), close_fds=True, process_group=0)
    _spawned.append(proc)
    return proc.pid


@contextmanager
def own_process_groups():
    """Processes forked or spawned inside this block (and their children) lead their own process group."""
    global _detaching
    from multiprocessing import util

    _detaching += 1
    spawnv, util.spawnv_passfds = util.spawnv_passfds, _spawn_in_own_group
    try:
        yield
    finally:
        util.spawnv_passfds = spawnv
        _detaching -= 1


def register_for_exit(obj) -> None:
    """Call obj.close() at interpreter exit if nobody closed it before (registration is weak)."""
    with _lock:
        _open.add(obj)


def unregister(obj) -> None:
    with _lock:
        _open.discard(obj)


@atexit.register
def _close_all() -> None:
    with _lock:
        pending = list(_open)
    for obj in pending:
        try:
            obj.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def descendants(pid: int | None = None) -> list[psutil.Process]:
    try:
        return psutil.Process(pid or os.getpid()).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _resource_tracker_pid() -> int | None:
    """This process's multiprocessing resource tracker (vLLM starts one), if it runs. It is no engine process:
    it ignores SIGINT and SIGTERM by design and exits by itself, after unlinking any shared memory left behind,
    once this process exits. Waiting for it cost a close the whole grace period, and killing it leaks memory."""
    from multiprocessing import resource_tracker

    return getattr(getattr(resource_tracker, "_resource_tracker", None), "_pid", None)


class ChildWatch:
    """Records the descendants of this process that appear between `__enter__` and `__exit__`."""

    def __init__(self):
        self.before: set[int] = set()
        self.procs: list[psutil.Process] = []

    def __enter__(self):
        self.before = {p.pid for p in descendants()}
        return self

    def __exit__(self, *exc):
        self.before.add(_resource_tracker_pid())
        self.procs = [p for p in descendants() if p.pid not in self.before]
        return False

    def add_tree(self, proc: psutil.Process | int) -> None:
        """Also track a process we started directly, and its current children."""
        proc = proc if isinstance(proc, psutil.Process) else psutil.Process(proc)
        self.procs.append(proc)
        try:
            self.procs.extend(proc.children(recursive=True))
        except psutil.NoSuchProcess:
            pass

    def refresh(self) -> None:
        """Pick up children that our tracked processes started later (e.g. a server's engine core)."""
        known = {p.pid for p in self.procs} | {_resource_tracker_pid()}
        for proc in list(self.procs):
            try:
                for child in proc.children(recursive=True):
                    if child.pid not in known:
                        self.procs.append(child)
                        known.add(child.pid)
            except psutil.NoSuchProcess:
                pass

    def alive(self) -> list[psutil.Process]:
        out = []
        for p in self.procs:
            try:
                if not p.is_running():
                    continue
                if p.status() == psutil.STATUS_ZOMBIE:
                    if p.ppid() == os.getpid():
                        p.wait(timeout=0)  # our own child: collect its exit status
                    continue
                out.append(p)
            except (psutil.NoSuchProcess, psutil.TimeoutExpired):
                pass
        return out

    def reap(self, grace: float = 10.0) -> None:
        """Wait `grace` seconds for the tracked processes to end, then terminate, then kill."""
        self.refresh()
        for step in ("wait", "terminate", "kill"):
            procs = self.alive()
            if not procs:
                return
            for p in procs:
                try:
                    if step == "terminate":
                        p.terminate()
                    elif step == "kill":
                        p.kill()
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(procs, timeout=grace if step == "wait" else 5.0)
