"""bench/gpu_check.sh: its dry mode runs every stage of the GPU check here, on CPU and the tiny model, and says
one line per stage; a wrong argument is one error line. (The GPU mode needs the GPU machine; docs/scaling.md
records its runs.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "bench" / "gpu_check.sh"


def _run(*args: str, out: Path, timeout: int = 30) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(ROOT), GPU_CHECK_OUT=str(out))
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_an_unknown_argument_is_one_error_line(tmp_path):
    done = _run("--gpu", out=tmp_path / "out")
    assert done.returncode == 2 and done.stderr == "error: unknown argument --gpu (use --dry-run or nothing)\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # five stages, 3 to 7 minutes on a shared 2-core machine
def test_the_dry_run_runs_every_stage_on_cpu(tmp_path):
    done = _run("--dry-run", out=tmp_path / "out", timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "cuda: False" in lines[0]
    stages = [line for line in lines if re.match(r"[a-z-]+ tiny: ", line)]
    assert [s.split()[0] for s in stages] == ["sft", "grpo", "reward-model", "distill", "eval"]
    assert all(": ok in " in s for s in stages), stages
    assert all("weights float32" in s for s in stages[:4])  # CPU trains and saves in fp32
    assert "pass@1" in stages[4]
    for name in ("sft", "grpo", "rm", "distill/student", "eval"):
        assert (tmp_path / "out" / "tiny" / name / "r1_manifest.json").exists(), name
