import os
import time

from r1cli.rewards.pool import VerifierPool


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_deadline_kills_only_the_stuck_worker_and_batch_goes_on():
    pool = VerifierPool(2)
    try:
        pool.run("sleep", [(0, 1)], 30)  # warm up
        t = time.monotonic()
        out = pool.run("sleep", [(30, 1.0)] + [(0.01, 2.0)] * 20, 0.5)
        elapsed = time.monotonic() - t
        assert out == [0.0] + [2.0] * 20
        assert elapsed < 1.5 and pool.killed == 1
        assert pool.run("crash", [(3,)], 30, default=-1.0) == [-1.0]  # a crashed worker is replaced
        assert pool.run("sleep", [(0, 5.0)] * 3, 30) == [5.0] * 3
    finally:
        pids = pool.pids()
        pool.shutdown()
    assert not any(_alive(p) for p in pids)


def test_workers_exit_when_caller_dies():
    import subprocess
    import sys

    code = ("from r1cli.rewards.pool import get_pool; p=get_pool(); p.run('sleep',[(0,1)],60); "
            "print(*p.pids(), flush=True); import os; os._exit(0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    pids = [int(x) for x in out.split()]
    assert len(pids) == (os.cpu_count() or 1)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids)


def test_workers_lead_their_own_process_group_so_a_terminal_ctrl_c_misses_them():
    """A terminal's Ctrl-C goes to the caller's process group; the workers are outside it (the caller stops
    them). The whole path, SIGINT to a real run's group, is tests/test_interrupt.py."""
    pool = VerifierPool(1)
    try:
        assert pool.run("sleep", [(0, 1.0)], 60) == [1.0]
        (pid,) = pool.pids()
        assert os.getpgid(pid) == pid != os.getpgid(0)
    finally:
        pool.shutdown()
    assert not _alive(pid)
