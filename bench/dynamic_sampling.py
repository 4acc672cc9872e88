"""Dynamic sampling on the embedded demo: plain GRPO, `--dynamic-sampling mask` and `--dynamic-sampling refill`
from the same SFT base (recipes/tiny/sft-base.yaml), each with the demo's GRPO recipe (recipes/tiny/grpo.yaml)
and held-out greedy pass@1 on the demo's validation set every --eval-every steps. Reported per seed and mode:
pass@1 by optimizer step and by training minute (the sum of logged step times), the share of informative groups
in the trained batches, and refill's rounds. Last line: JSON of everything.

    python bench/dynamic_sampling.py [--seeds 0 1 2] [--sft-steps 800] [--grpo-steps 200] [--eval-every 50]
    python bench/dynamic_sampling.py --table LOG...   # one table from the last lines of runs made apart
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
    ap.add_argument("--table", nargs="+", type=Path, help="logs of earlier runs (one seed each, say): their table")
    args = ap.parse_args()
    if args.table:
        results = {}
        for log in args.table:
            for key, r in json.loads(log.read_text().strip().splitlines()[-1])["results"].items():
                # JSON made the step keys strings
                by_step = {by: {int(s): v for s, v in r[by].items()} for by in ("pass@1_by_step", "minutes_by_step")}
                results[key] = {**r, **by_step}
        print_table(results, sorted({int(key.split("seed")[1]) for key in results}))
        return
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
    print_table(results, args.seeds)
    print(json.dumps({"bench": "dynamic_sampling", **vars(args), "results": results}))


def print_table(results: dict, seeds: list[int]) -> None:
    """One markdown row per mode: validation pass@1 at each evaluated step (mean over the seeds, and the
    training minutes it took), the informative share of the trained groups and refill's rounds."""
    steps = sorted({s for r in results.values() for s in r["pass@1_by_step"]})
    print("| mode | " + " | ".join(f"step {s}: pass@1 (min)" for s in steps) + " | informative | rounds |")
    print("|---|" + "---|" * (len(steps) + 2))
    for mode in MODES:
        runs = [results[f"{mode}/seed{seed}"] for seed in seeds]
        cells = []
        for step in steps:
            p = [r["pass@1_by_step"].get(step) for r in runs]
            m = [r["minutes_by_step"].get(step) for r in runs]
            if None in p:
                cells.append("")
                continue
            cells.append(f"{100 * sum(p) / len(p):.1f} % ({sum(m) / len(m):.1f})")
        share = sum(r["informative_share"] for r in runs) / len(runs)
        rounds = sum(r["mean_rounds"] for r in runs) / len(runs)
        print(f"| {mode} | " + " | ".join(cells) + f" | {100 * share:.1f} % | {rounds:.2f} |")


if __name__ == "__main__":
    main()
