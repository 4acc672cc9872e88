"""Ctrl-C in every long stage: a SIGINT to the process group (what a terminal sends) ends the run with exit 130
and one line naming the folder to --resume from, prints no traceback, leaves no process behind, and the same
command with --resume then finishes the run. A SIGTERM to the CLI's process alone (what `kill`, `timeout` and
job schedulers send) does the same.

Each stage is one row of STAGES; a new long stage adds its row (a small run that takes a while, and the file
under OUTPUT.partial that shows real work has begun).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

START_LIMIT_S = 600  # model loading on a busy 2-core machine; only a hang should reach it
EXIT_LIMIT_S = 30  # generous: catches a hang, it is no speed test
RESUME_LIMIT_S = 600


@dataclasses.dataclass
class Stage:
    name: str
    argv: list[str]  # after `r1 NAME`, without --model and --output
    started: str  # glob under OUTPUT.partial: once a file matches (and holds a full line), work has begun
    child: str | None = None  # part of the command line of a child process that must be running by then
    part: str | None = None  # the run folder under OUTPUT that is interrupted, for a stage of several parts
    model_flag: str = "--model"  # the option the tiny model is given with
    sig: int = signal.SIGINT  # SIGINT goes to the process group, as a terminal sends it; SIGTERM to the CLI alone


STAGES = [
    # 400 prompts = 7 shards of 64: the first shard lands long before the last. vLLM's engine processes lead
    # their own process group, so the SIGINT reaches only the CLI, which stops them.
    pytest.param(Stage("eval", ["--benchmark", "task:arith?n=400", "--num-samples", "4", "--max-completion-length", "32"],
                       "shards/*/shard-*.jsonl", child="VLLM::EngineCore"), id="eval"),
    # SIGTERM: vLLM's engine and worker (their own process group) must be stopped by the CLI, not left running.
    pytest.param(Stage("eval", ["--benchmark", "task:arith?n=400", "--num-samples", "4", "--max-completion-length", "32"],
                       "shards/*/shard-*.jsonl", child="VLLM::EngineCore", sig=signal.SIGTERM), id="eval-sigterm"),
    pytest.param(Stage("sft", ["--dataset", "task:arith?n=256", "--max-steps", "60", "--save-steps", "5",
                               "--logging-steps", "1"], "metrics.jsonl"), id="sft", marks=pytest.mark.slow),
    # grpo: the reward workers are running by the end of step 1, so the SIGINT reaches them too.
    pytest.param(Stage("grpo", ["--dataset", "task:arith?n=32", "--template", "plain", "--group-size", "2",
                                "--max-completion-length", "16", "--max-steps", "4", "--save-steps", "1"],
                       "metrics.jsonl", child="r1cli.rewards._worker"), id="grpo", marks=pytest.mark.slow),
    pytest.param(Stage("grpo", ["--dataset", "task:arith?n=32", "--template", "plain", "--group-size", "2",
                                "--max-completion-length", "16", "--max-steps", "4", "--save-steps", "1"],
                       "metrics.jsonl", child="r1cli.rewards._worker", sig=signal.SIGTERM), id="grpo-sigterm",
                 marks=pytest.mark.slow),
    pytest.param(Stage("reject-sample", ["--dataset", "task:arith?n=64", "--template", "plain", "--num-samples",
                                         "2", "--max-completion-length", "32", "--engine", "hf", "--shard-size",
                                         "8"], "shards/shard-*.jsonl", sig=signal.SIGTERM), id="reject-sample-sigterm"),
    # reject-sample: interrupted between shards, with the first ones already curated; its reward workers lead
    # their own process group, so none gets the SIGINT, even one still starting.
    pytest.param(Stage("reject-sample", ["--dataset", "task:arith?n=64", "--template", "plain", "--num-samples",
                                         "2", "--max-completion-length", "32", "--engine", "hf", "--shard-size",
                                         "8"], "shards/shard-*.jsonl"), id="reject-sample"),
    # coldstart: 400 prompts in shards of 16, each verified while the next is sampled.
    pytest.param(Stage("coldstart", ["--dataset", "task:arith?n=400", "--template", "plain", "--num-samples", "4",
                                     "--max-completion-length", "32", "--engine", "hf", "--shard-size", "16"],
                       "shards/shard-*.jsonl"), id="coldstart", marks=pytest.mark.slow),
    # align: the RL core of grpo under another stage, here on reasoning rows alone (no reward model to load).
    pytest.param(Stage("align", ["--dataset", "task:arith?n=32", "--template", "plain", "--group-size", "2",
                                 "--max-completion-length", "16", "--max-steps", "4", "--save-steps", "1"],
                       "metrics.jsonl", child="r1cli.rewards._worker"), id="align", marks=pytest.mark.slow),
    pytest.param(Stage("reward-model", ["--dataset", "task:prefs?n=512", "--max-steps", "60", "--save-steps", "5",
                                        "--per-device-train-batch-size", "4"], "metrics.jsonl"),
                 id="reward-model", marks=pytest.mark.slow),
    # distill's student part, on ready traces (its generation part is the curation core's, as reject-sample's).
    pytest.param(Stage("distill", ["--traces", "task:arith?n=256", "--max-steps", "60", "--save-steps", "5"],
                       "metrics.jsonl", part="student", model_flag="--student"), id="distill",
                 marks=pytest.mark.slow),
]


def _command(stage: Stage, model: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "r1cli", stage.name, stage.model_flag, model, *stage.argv, "--output", str(out)]


def _work_began(partial: Path, pattern: str) -> bool:
    # a file with at least one complete line: a shard or a metrics record written, not just opened
    return any(f.read_bytes().endswith(b"\n") for f in partial.glob(pattern) if f.is_file())


def _wait_for_work(proc: subprocess.Popen, partial: Path, pattern: str, stderr: Path) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while not _work_began(partial, pattern):
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before work began:\n{_tail(stderr)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern} under {partial} within {START_LIMIT_S} s:\n{_tail(stderr)}")
        time.sleep(0.1)


def _wait_exit(proc: subprocess.Popen, stderr: Path) -> None:
    """Wait for the run to exit; on a hang, fail with its threads' stacks (faulthandler on SIGABRT)."""
    try:
        proc.wait(timeout=EXIT_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGABRT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        raise AssertionError(f"no exit within {EXIT_LIMIT_S} s of Ctrl-C; stderr ends with:\n{_tail(stderr)}") from None


def _tail(path: Path, chars: int = 6000) -> str:
    return path.read_text(errors="replace")[-chars:]


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _group(pgid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid:
                out.append(p)
        except (ProcessLookupError, psutil.Error):
            pass
    return out


def _survivors(procs: list[psutil.Process], pgid: int, timeout: float = 15.0) -> list[str]:
    """Processes of the run (known ones, or any left in its group) still alive after `timeout` s.

    A short wait is part of a clean exit: the multiprocessing resource tracker ends once its parent has
    exited. Zombies count as gone (their parent died; only the init process can reap them)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for p in {q.pid: q for q in procs + _group(pgid)}.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{p.pid} {' '.join(_cmdline(p))[:120]}")
            except psutil.Error:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


@pytest.mark.parametrize("stage", STAGES)
def test_ctrl_c_exits_130_with_a_resume_line_and_resume_finishes(stage, tmp_path, tiny_model):
    out = tmp_path / "out"
    final = out / stage.part if stage.part else out
    partial = final.with_name(final.name + ".partial")
    stderr = tmp_path / "stderr.log"
    # its own process group, as a terminal job; faulthandler lets a hang be diagnosed with SIGABRT
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    with open(stderr, "wb") as err, open(tmp_path / "stdout.log", "wb") as so:
        proc = subprocess.Popen(_command(stage, tiny_model, out), cwd=tmp_path, stdout=so, stderr=err, env=env,
                                start_new_session=True)
    try:
        _wait_for_work(proc, partial, stage.started, stderr)
        procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        if stage.child:
            assert any(stage.child in " ".join(_cmdline(p)) for p in procs), [_cmdline(p) for p in procs]
        if stage.sig == signal.SIGINT:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, stage.sig)
        _wait_exit(proc, stderr)
        left = _survivors(procs, proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    text = stderr.read_text(errors="replace")
    assert proc.returncode == 130, text[-3000:]
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--resume" in errors[0] and partial.name in errors[0], errors
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-3000:]
    assert not left, f"processes left behind: {left}"
    assert partial.is_dir() and not final.exists()

    resumed = subprocess.run([*_command(stage, tiny_model, out), "--resume"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=RESUME_LIMIT_S)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (final / "r1_manifest.json").is_file() and not partial.exists()
