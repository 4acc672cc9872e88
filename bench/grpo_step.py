"""Seconds per GRPO step: `r1 grpo` against a bare TRL GRPOTrainer script with the same model, data, rewards
and settings. Each side runs in its own process, interleaved for --rounds rounds; a step's time is the wall
time between consecutive per-step log records (everything the trainer does, callbacks included), the first
--warmup steps dropped. Last line: JSON with `ratio` = r1 / bare (target <= 1.05).

    python bench/grpo_step.py [--steps 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATASET = "task:arith?n=400"
SETTINGS = {"group_size": 8, "per_device_train_batch_size": 32, "max_completion_length": 32, "learning_rate": 3e-5,
            "beta": 0.001, "loss_type": "dapo", "temperature": 1.0, "seed": 0}
REWARDS = ["accuracy", "format:0.5"]


def r1_side(out: Path, steps: int) -> list[float]:
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in SETTINGS.items()]
    cmd = [sys.executable, "-m", "r1cli", "-q", "grpo", "--model", "tiny", "--dataset", DATASET, "--output",
           str(out), "--template", "plain", "--max-steps", str(steps), "--save-steps", "0", "--use-vllm", "false",
           *flags, *[f"--reward={r}" for r in REWARDS]]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times = [r["time"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in r]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def bare_side(out: Path, steps: int) -> list[float]:
    subprocess.run([sys.executable, __file__, "--bare", str(out), "--steps", str(steps)], check=True,
                   stdout=subprocess.DEVNULL)
    times = json.loads((out / "times.json").read_text())
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def bare(out: Path, steps: int) -> None:
    """A plain TRL script: the same model, prompts, rewards and GRPOConfig, nothing of r1cli's stage."""
    import torch
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from r1cli import data
    from r1cli.models import resolve
    from r1cli.rewards import parse_specs

    model = resolve("tiny")
    specs = parse_specs(REWARDS)
    s = SETTINGS
    args = GRPOConfig(output_dir=str(out), num_generations=s["group_size"],
                      per_device_train_batch_size=s["per_device_train_batch_size"],
                      max_completion_length=s["max_completion_length"], learning_rate=s["learning_rate"],
                      beta=s["beta"], loss_type=s["loss_type"], temperature=s["temperature"], seed=s["seed"],
                      max_steps=steps, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                      lr_scheduler_type="constant", reward_weights=[w for _, _, w in specs], disable_tqdm=True,
                      model_init_kwargs={"dtype": torch.float32}, log_completions=False)
    stamps: list[float] = []

    class Stamp(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                stamps.append(time.time())

    trainer = GRPOTrainer(model=model, reward_funcs=[fn for _, fn, _ in specs], args=args,
                          train_dataset=data.load(DATASET), processing_class=AutoTokenizer.from_pretrained(model),
                          callbacks=[Stamp()])
    trainer.train()
    (out / "times.json").write_text(json.dumps(stamps))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--bare", type=Path)
    a = ap.parse_args()
    if a.bare:
        a.bare.mkdir(parents=True, exist_ok=True)
        bare(a.bare, a.steps)
        return
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    r1_times, bare_times = [], []
    with tempfile.TemporaryDirectory(prefix="grpo-bench-") as tmp:
        for i in range(a.rounds):
            r1_times += r1_side(Path(tmp) / f"r1-{i}", a.steps)[a.warmup :]
            bare_times += bare_side(Path(tmp) / f"bare-{i}", a.steps)[a.warmup :]
    r1_s, bare_s = statistics.median(r1_times), statistics.median(bare_times)
    print(f"r1 grpo   {r1_s:.3f} s/step (median of {len(r1_times)})")
    print(f"bare TRL  {bare_s:.3f} s/step (median of {len(bare_times)})")
    print(json.dumps({"bench": "grpo_step", "r1_s_per_step": round(r1_s, 4), "bare_s_per_step": round(bare_s, 4),
                      "ratio": round(r1_s / bare_s, 3), "steps": a.steps, "rounds": a.rounds, **SETTINGS}))


if __name__ == "__main__":
    main()
