"""Dynamic sampling on the embedded demo: plain GRPO, `--dynamic-sampling mask` and `--dynamic-sampling refill`
from the same SFT base (recipes/tiny/sft-base.yaml), each with the demo's GRPO recipe (recipes/tiny/grpo.yaml)
and held-out greedy pass@1 on the demo's validation set every --eval-every steps. Reported per seed and mode:
pass@1 by optimizer step and by training minute (the sum of logged step times), the share of informative groups
in the trained batches, and refill's rounds. Last line: JSON of everything.

    python bench/dynamic_sampling.py [--seeds 0 1 2] [--sft-steps 800] [--grpo-steps 200] [--eval-every 50]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

TASK = "task:arith?style=expr&steps=2&paren=0.5"  # recipes/tiny/arith.sh
RL, VALID = f"{TASK}&n=3000&seed=1", f"{TASK}&n=200&seed=2"
MODES = ("off", "mask", "refill")


def r1(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "r1cli", "-q", *args], check=True)


def grpo_run(base: Path, out: Path, mode: str, seed: int, steps: int, eval_every: int) -> dict:
    r1("grpo", "--config", "recipes/tiny/grpo.yaml", "--model", str(base), "--dataset", RL, "--eval-dataset", VALID,
       "--seed", str(seed), "--output", str(out), "--max-steps", str(steps), "--eval-every", str(eval_every),
       "--no-keep-best", "--dynamic-sampling", mode, "--max-generation-rounds", "4")
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    minutes, elapsed = {}, 0.0
    for r in records:
        if "step_time" in r:
            elapsed += r["step_time"]
            minutes[r["step"]] = round(elapsed / 60, 2)
    train = [r for r in records if "loss" in r]
    return {
        "pass@1_by_step": {r["step"]: r["eval/pass@1"] for r in records if "eval/pass@1" in r},
        "minutes_by_step": {s: minutes.get(s, 0.0) for s in (r["step"] for r in records if "eval/pass@1" in r)},
        "train_minutes": round(elapsed / 60, 2),
        "informative_share": round(1 - sum(r.get("frac_groups_dropped", r.get("frac_reward_zero_std", 0))
                                           for r in train) / len(train), 3),
        "mean_rounds": round(sum(r.get("refill/rounds", 1) for r in train) / len(train), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--sft-steps", type=int, default=800)
    ap.add_argument("--grpo-steps", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=50)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            base = Path(tmp) / f"sft-{seed}"
            r1("sft", "--config", "recipes/tiny/sft-base.yaml", "--max-steps", str(args.sft_steps), "--seed",
               str(seed), "--output", str(base))
            for mode in MODES:
                results[f"{mode}/seed{seed}"] = grpo_run(base, Path(tmp) / f"{mode}-{seed}", mode, seed,
                                                         args.grpo_steps, args.eval_every)
                print(mode, seed, json.dumps(results[f"{mode}/seed{seed}"]), flush=True)
    print(json.dumps({"bench": "dynamic_sampling", **vars(args), "results": results}))


if __name__ == "__main__":
    main()
