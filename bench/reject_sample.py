"""Curation overhead: wall time of `r1 reject-sample` against bare generation of the same prompts x samples
with the same engine, in one run (target: ratio <= 1.15, the curation costs at most 15 % over sampling).

Both sides are fresh processes that import, load the engine, sample the same prompts with the same settings
into shards of the same size; reject-sample also verifies each shard while the next is sampled, filters,
dedupes, writes the dataset, rejected.jsonl and stats.json. The two alternate, `--repeats` times, and the
medians are compared. The last printed line is JSON; its `ratio` is reject-sample / bare on the first model.

Models: `tiny` is the embedded tiny model fine-tuned here for `--train-steps` steps on task:arith (so samples
finish, and about a tenth are right: verification and dedupe have real work), sampled with the hf engine on
arithmetic prompts; `smollm2` is SmolLM2-135M-Instruct (models/smollm2-135m-instruct, from `make smollm2`) with
vLLM on GSM8K test prompts (--data-dir), in its chat template.

    .venv/bin/python bench/reject_sample.py --models tiny
    make smollm2 && .venv/bin/python bench/reject_sample.py --models tiny,smollm2 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOLLM2 = ROOT / "models" / "smollm2-135m-instruct"

BARE = """
import sys
from r1cli import data, templates
from r1cli.generation import Sampling, generate
model, spec, template, engine, n, tokens, temperature, shard_size, out = sys.argv[1:]
ds = data.load(spec)
prompts = [templates.render(p, template) for p in ds["prompt"]]
sampling = Sampling(n=int(n), temperature=float(temperature), top_p=0.95, max_new_tokens=int(tokens), seed=0)
generate(model, prompts, sampling, engine=engine, shard_dir=out, shard_size=int(shard_size), progress_desc=None)
"""


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env(), stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def tiny_checkpoint(work: Path, steps: int) -> str:
    out = work / "tiny-arith"
    subprocess.run([sys.executable, "-m", "r1cli", "-q", "sft", "--model", "tiny", "--dataset",
                    "task:arith?n=700&max=5", "--output", str(out), "--learning-rate", "3e-3", "--max-steps",
                    str(steps), "--per-device-train-batch-size", "16", "--max-length", "128", "--save-steps", "0"],
                   check=True, env=env())
    return str(out)


def setups(models: list[str], work: Path, args) -> list[dict]:
    out = []
    for name in models:
        if name == "tiny":
            out.append(dict(name="tiny", model=tiny_checkpoint(work, args.train_steps), engine="hf",
                            spec=f"task:arith?n={args.prompts}&max=5&seed=7", template="plain", tokens=48))
        elif name == "smollm2":
            if not (SMOLLM2 / "config.json").exists():
                print(f"skipping smollm2: {SMOLLM2.relative_to(ROOT)} is missing (run `make smollm2`)", flush=True)
                continue
            gsm8k = Path(args.data_dir or ROOT.parent / "shared" / "data") / "gsm8k" / "test.jsonl"
            out.append(dict(name="smollm2", model=str(SMOLLM2), engine="vllm", spec=f"{gsm8k}?limit={args.prompts}",
                            template="chat", tokens=256))
        else:
            raise SystemExit(f"unknown model {name!r} (tiny, smollm2)")
    return out


def bench(s: dict, work: Path, args) -> dict:
    common = [str(args.samples), str(s["tokens"]), str(args.temperature), str(args.shard_size)]
    bare_times, rs_times, stats = [], [], None
    for k in range(args.repeats):
        shards = work / f"{s['name']}-bare-{k}"
        bare = [sys.executable, "-c", BARE, s["model"], s["spec"], s["template"], s["engine"], *common, str(shards)]
        out = work / f"{s['name']}-rs-{k}"
        rs = [sys.executable, "-m", "r1cli", "-q", "reject-sample", "--model", s["model"], "--dataset", s["spec"],
              "--template", s["template"], "--engine", s["engine"], "--num-samples", str(args.samples),
              "--max-completion-length", str(s["tokens"]), "--temperature", str(args.temperature),
              "--shard-size", str(args.shard_size), "--output", str(out)]
        pair = [("bare", bare), ("rs", rs)] if k % 2 == 0 else [("rs", rs), ("bare", bare)]
        for kind, cmd in pair:
            seconds = timed(cmd)
            (bare_times if kind == "bare" else rs_times).append(seconds)
            print(f"{s['name']} run {k + 1}: {kind:4s} {seconds:6.1f} s", flush=True)
        stats = json.loads((out / "stats.json").read_text())
    bare_s, rs_s = statistics.median(bare_times), statistics.median(rs_times)
    return {"model": s["name"], "engine": s["engine"], "prompts": args.prompts, "samples": args.samples,
            "bare_s": [round(t, 1) for t in bare_times], "reject_sample_s": [round(t, 1) for t in rs_times],
            "bare_median_s": round(bare_s, 2), "reject_sample_median_s": round(rs_s, 2),
            "ratio": round(rs_s / bare_s, 3), "counts": stats["counts"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="tiny,smollm2")
    p.add_argument("--prompts", type=int, default=256)
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--shard-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--train-steps", type=int, default=400)
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="r1-bench-rs-") as tmp:
        for s in setups([m.strip() for m in args.models.split(",") if m.strip()], Path(tmp), args):
            res = bench(s, Path(tmp), args)
            print(f"{res['model']}: bare {res['bare_median_s']} s, reject-sample {res['reject_sample_median_s']} s, "
                  f"ratio {res['ratio']}; kept {res['counts']['kept']} of {res['counts']['generated']}", flush=True)
            results.append(res)
    if not results:
        raise SystemExit("no model benchmarked")
    print(json.dumps({"bench": "reject_sample", "ratio": results[0]["ratio"], "cpus": os.cpu_count(),
                      "load_avg": [round(x, 1) for x in os.getloadavg()], "machine": platform.machine(),
                      "results": results}))


if __name__ == "__main__":
    main()
