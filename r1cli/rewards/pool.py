"""A pool of verifier processes with a hard per-item deadline.

Why not multiprocessing.Pool: it cannot kill one stuck task. Here each worker is a plain child process
(`python -m r1cli.rewards._worker`, started with subprocess: no fork of the caller, so torch threads are
no concern, and no re-import of the caller's __main__, so scripts need no `if __name__ == "__main__"`
guard) speaking pickles over two pipes. The caller sends one item at a time to each idle worker and
waits on all pipes with a timeout equal to the nearest deadline. An item past its deadline gets the
default result; its worker is SIGKILLed and replaced, and the rest of the batch goes on. No signals are
used in the caller, so it works from any thread (calls are serialised by a lock).

Measured on 2 cores: a worker is ready ~0.9 s after start (imports sympy + math-verify); it announces
readiness before it gets work, so a fresh worker's import time never counts against an item's deadline.
The pool is created lazily, reused, and shut down at interpreter exit. Workers also exit by themselves
when the caller dies (EOF on their pipe, or a watchdog noticing they were re-parented).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection, wait

_STARTUP_LIMIT_S = 120.0
_MAX_START_FAILURES = 3
_PKG_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _worker_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PKG_ROOT, env.get("PYTHONPATH", "")) if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


class _Slot:
    __slots__ = ("proc", "rx", "tx", "ready", "item", "sent_at")

    def __init__(self):
        child_in, parent_out = os.pipe()
        parent_in, child_out = os.pipe()
        try:
            # A group of its own: a terminal's Ctrl-C must not reach a worker (one still importing its site
            # packages printed "Fatal Python error"); the caller stops it by closing its pipe.
            self.proc = subprocess.Popen([sys.executable, "-m", "r1cli.rewards._worker"], stdin=child_in,
                                         stdout=child_out, env=_worker_env(), close_fds=True, process_group=0)
        except BaseException:
            for fd in (parent_out, parent_in):
                os.close(fd)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        self.tx = Connection(parent_out, readable=False)
        self.rx = Connection(parent_in, writable=False)
        self.ready = False
        self.item: int | None = None
        self.sent_at = 0.0

    def kill(self) -> None:
        for conn in (self.tx, self.rx):
            try:
                conn.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


class VerifierPool:
    def __init__(self, size: int | None = None):
        self.size = max(1, size or os.cpu_count() or 1)
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.killed = 0  # workers killed for running past a deadline (for tests and logs)
        self._start_failures = 0

    def _ensure(self) -> None:
        if self._pid != os.getpid():  # we are a forked child: the workers belong to the parent
            self._slots, self._pid = [], os.getpid()
        while len(self._slots) < self.size:
            self._slots.append(_Slot())

    def warm(self) -> None:
        """Start the workers now (they import math-verify in the background) without waiting for them."""
        if self._lock.acquire(blocking=False):
            try:
                self._ensure()
            finally:
                self._lock.release()

    def _replace(self, slot: _Slot) -> _Slot:
        if not slot.ready:
            self._start_failures += 1
            if self._start_failures >= _MAX_START_FAILURES:
                self._shutdown_slots()
                raise RuntimeError("reward verifier workers die at start (try: python -m r1cli.rewards._worker)")
        slot.kill()
        new = _Slot()
        self._slots[self._slots.index(slot)] = new
        return new

    def run(self, kind: str, items: list[tuple], timeout: float, default=0.0) -> list:
        """Apply worker handler `kind` to each args tuple in `items`; `default` for items past `timeout` s."""
        results = [default] * len(items)
        if not items:
            return results
        with self._lock:
            self._ensure()
            pending = deque(range(len(items)))
            busy: list[_Slot] = []
            started = time.monotonic()
            while pending or busy:
                for slot in self._slots:
                    if slot.ready and slot.item is None and pending:
                        i = pending.popleft()
                        try:
                            slot.tx.send((i, kind, items[i]))
                        except (OSError, ValueError):  # worker died while idle
                            pending.appendleft(i)
                            self._replace(slot)
                            continue
                        slot.item, slot.sent_at = i, time.monotonic()
                        busy.append(slot)
                now = time.monotonic()
                if busy:
                    wait_s = max(0.0, min(s.sent_at for s in busy) + timeout - now)
                else:
                    if now - started > _STARTUP_LIMIT_S:
                        self._shutdown_slots()
                        raise RuntimeError("reward verifier workers did not start in time")
                    wait_s = 1.0
                ready_conns = wait([s.rx for s in self._slots], wait_s)
                for conn in ready_conns:
                    slot = next((s for s in self._slots if s.rx is conn), None)
                    if slot is None:
                        continue
                    try:
                        msg = conn.recv()
                    except (EOFError, OSError):  # the worker crashed: its item fails, a fresh worker replaces it
                        if slot.item is not None:
                            busy.remove(slot)
                            results[slot.item] = default
                        self._replace(slot)
                        continue
                    if msg == "ready":
                        slot.ready = True
                        self._start_failures = 0
                        continue
                    i, value = msg
                    if slot.item == i:
                        results[i] = value
                        slot.item = None
                        busy.remove(slot)
                now = time.monotonic()
                for slot in [s for s in busy if now - s.sent_at >= timeout]:
                    busy.remove(slot)
                    results[slot.item] = default
                    self.killed += 1
                    self._replace(slot)
        return results

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self._slots]

    def _shutdown_slots(self) -> None:
        if self._pid != os.getpid():
            self._slots = []
            return
        for slot in self._slots:
            try:
                slot.tx.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 2.0
        for slot in self._slots:
            try:
                slot.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            slot.kill()
        self._slots = []

    def shutdown(self) -> None:
        with self._lock:
            self._shutdown_slots()


_POOL: VerifierPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> VerifierPool:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = VerifierPool(int(os.environ.get("R1_REWARD_WORKERS", "0")) or None)
            atexit.register(_POOL.shutdown)
        return _POOL


def shutdown_pool() -> None:
    """Stop the shared pool now (a later call starts a fresh one)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown()
        try:
            atexit.unregister(pool.shutdown)
        except Exception:
            pass
