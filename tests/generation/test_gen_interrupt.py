"""A run killed part-way (Ctrl-C) leaves no engine process behind, and resuming it gives the uninterrupted result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from r1cli.generation import Sampling, generate

PROMPTS = [f"q{i}: " for i in range(60)]
SAMPLING = Sampling(n=2, temperature=1.0, max_new_tokens=64, seed=7)
SHARD = 4

SCRIPT = textwrap.dedent(
    """
    import faulthandler
    import signal
    import sys
    from pathlib import Path

    from r1cli.generation import Sampling, generate, open_engine
    from r1cli.generation import shards

    def announce(path, first, results, _write=shards.write_shard):
        _write(path, first, results)
        print("SHARD", first, flush=True)

    if __name__ == "__main__":
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test asks for stacks if we hang
        model, out, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
        shards.write_shard = announce
        eng = open_engine(model, "vllm")
        print("READY", flush=True)
        if mode == "no-close":  # leave it to the atexit hook
            sys.exit(0)
        with eng:
            if mode == "exception":
                raise RuntimeError("boom")
            generate(eng, PROMPTS, SAMPLING, shard_dir=out, shard_size=SHARD)
        print("FINISHED", flush=True)
    """
)


def _script(tmp_path):
    path = tmp_path / "run_gen.py"
    header = (f"PROMPTS = {PROMPTS!r}\nSHARD = {SHARD}\nfrom r1cli.generation import Sampling\n"
              f"SAMPLING = Sampling(**{SAMPLING.to_dict()!r})\n")
    path.write_text(header + SCRIPT)
    return path


def _start(tmp_path, model, mode):
    out = tmp_path / "shards"
    proc = subprocess.Popen([sys.executable, str(_script(tmp_path)), model, str(out), mode],
                            stdout=subprocess.PIPE, stderr=open(tmp_path / "stderr.log", "wb"),  # noqa: SIM115
                            text=True, start_new_session=True)  # its own process group, as a terminal job
    return proc, out


def _wait_exit(proc, tmp_path, timeout=120):
    """Wait for the script to end; if it hangs, fail with its threads' stacks and its last log lines."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGUSR1)
        time.sleep(3)
        tail = (tmp_path / "stderr.log").read_text(errors="replace")[-6000:]
        raise AssertionError(f"the script did not exit within {timeout} s; its stderr ends with:\n{tail}") from None


def _wait_line(proc, prefix, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line
    raise AssertionError(f"subprocess never printed {prefix!r} (exit code {proc.poll()})")


def _assert_all_gone(pids, timeout=60):
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.2)
    assert not alive, f"engine processes left behind: {[psutil.Process(p).name() for p in alive]}"


def _tree(pid):
    return [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]


def test_ctrl_c_leaves_no_process_and_resume_matches(tmp_path, tiny_model, vllm_engine):
    proc, out = _start(tmp_path, tiny_model, "run")
    try:
        _wait_line(proc, "READY")
        engine_pids = _tree(proc.pid)
        assert len(engine_pids) >= 2  # the script and vLLM's engine core at least
        _wait_line(proc, "SHARD")
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _wait_exit(proc, tmp_path)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    _assert_all_gone(engine_pids)

    done = sorted(out.glob("shard-*.jsonl"))
    total = -(-len(PROMPTS) // SHARD)
    assert 1 <= len(done) < total, "the kill should land part-way"
    stamps = {p: p.stat().st_mtime_ns for p in done}
    resumed = generate(vllm_engine, PROMPTS, SAMPLING, shard_dir=out, shard_size=SHARD, resume=True)
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # finished shards were not redone
    assert len(list(out.glob("shard-*.jsonl"))) == total
    assert resumed == vllm_engine.generate(PROMPTS, SAMPLING)


def test_engine_process_dying_mid_run_ends_the_run(tmp_path, tiny_model):
    """vLLM stops reading outputs when its engine process dies; a step() already waiting must not hang."""
    proc, _ = _start(tmp_path, tiny_model, "run")
    try:
        _wait_line(proc, "SHARD")
        engine_procs = psutil.Process(proc.pid).children(recursive=True)
        assert engine_procs
        for child in engine_procs:
            child.kill()
        _wait_exit(proc, tmp_path, timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1  # an error, not a hang and not a clean finish
    assert "engine" in (tmp_path / "stderr.log").read_text(errors="replace").splitlines()[-1].lower()
    _assert_all_gone([p.pid for p in engine_procs])


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["exception", "no-close"])
def test_no_process_left_after_exception_or_plain_exit(tmp_path, tiny_model, mode):
    proc, _ = _start(tmp_path, tiny_model, mode)
    try:
        _wait_line(proc, "READY")
        pids = _tree(proc.pid)
        _wait_exit(proc, tmp_path)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == (1 if mode == "exception" else 0)
    _assert_all_gone(pids)


SWALLOWED = textwrap.dedent(
    """
    import os
    import signal
    import sys

    from r1cli.generation import Sampling, open_engine

    class Finalizer:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # the Ctrl-C lands while a finalizer runs

    finished = []

    def on_done(pos, completions):
        finished.append(pos)
        if len(finished) == 1:
            Finalizer()  # dropped at once: its __del__ runs here, and the KeyboardInterrupt ends with it

    if __name__ == "__main__":
        with open_engine(sys.argv[1], "hf", hf_batch_size=1) as eng:
            try:
                eng.generate([f"q{i}: " for i in range(6)], Sampling(n=1, max_new_tokens=8, seed=0),
                             on_done=on_done)
            except KeyboardInterrupt:
                print("INTERRUPTED", len(finished))
            else:
                print("FINISHED", len(finished))
    """
)


def test_a_ctrl_c_that_library_code_swallowed_still_stops_the_run(tmp_path, tiny_model):
    """A KeyboardInterrupt raised inside a finalizer is printed as "Exception ignored" and lost (the Ctrl-C
    test above once saw a vLLM run finish after its SIGINT): the engine remembers the signal and stops at its
    next step all the same."""
    script = tmp_path / "swallowed.py"
    script.write_text(SWALLOWED)
    proc = subprocess.run([sys.executable, str(script), tiny_model], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" in proc.stderr and "KeyboardInterrupt" in proc.stderr  # it was swallowed...
    assert proc.stdout.split() == ["INTERRUPTED", "1"]  # ...and the run stopped after the first prompt anyway
