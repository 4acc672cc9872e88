"""Dataset mixing at the paper's scale: 600k reasoning + 200k non-reasoning rows of ~2 KB each.

The inputs are written first, as the upstream stages write them: `save_to_disk` folders in a temporary
directory, the reasoning rows as prompt/completion text, the others as chat `messages` (so the mixture is
conversational and every row is converted and formatted). A child process then builds the SFT training set
with `--dataset REASONING:0.75,OTHER:0.25` through the mixing core, exactly as `r1 sft` does (load, schema
conversion, template, weighted draw), and measures it:

  - baseline: the child's RSS after its imports, before it touches the data;
  - peak: the child's peak RSS (VmHWM) while building, which counts resident pages of the memory-mapped
    inputs as well as anonymous memory; the peak of anonymous memory alone is sampled every 20 ms;
  - the Arrow output: the built set written with `save_to_disk` (its .arrow files' size), after the peak
    was read, so writing does not count in it.

`peak_rss_over_arrow` = (peak - baseline) / Arrow output bytes; the target is <= 2 (no Python copy of every
row). The last printed line is JSON.

    .venv/bin/python bench/data_mix.py
    .venv/bin/python bench/data_mix.py --reasoning-rows 60000 --other-rows 20000    # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def status_kib(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS, VmHWM, RssAnon, ...) in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def make_inputs(folder: Path, reasoning_rows: int, other_rows: int, row_bytes: int, seed: int) -> None:
    """Write the two input datasets, in chunks so this parent never holds a Python copy of either."""
    import datasets
    import numpy as np
    import pyarrow as pa

    datasets.disable_progress_bars()
    rng = np.random.default_rng(seed)
    words = ["the", "so", "we", "get", "then", "x", "=", "2", "+", "equation", "hence", "answer", "check",
             "divide", "both", "sides", "by", "wait", "let", "me", "verify", "3", "sqrt", "frac"]
    pool = " ".join(rng.choice(words, size=400_000))  # rows are random slices of a long text

    def texts(n: int, size: int) -> list[str]:
        starts = rng.integers(0, len(pool) - size, size=n)
        return [pool[s:s + size] for s in starts]

    prompt_bytes = row_bytes // 8
    chunk = 50_000
    for name, rows in (("reasoning", reasoning_rows), ("other", other_rows)):
        tables = []
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            prompts, answers = texts(n, prompt_bytes), texts(n, row_bytes - prompt_bytes)
            if name == "reasoning":
                tables.append(pa.table({"prompt": prompts, "completion": [f"<think>\n{a}\n</think>\n<answer>2</answer>"
                                                                          for a in answers]}))
            else:
                tables.append(pa.table({"messages": [[{"role": "user", "content": p},
                                                      {"role": "assistant", "content": a}]
                                                     for p, a in zip(prompts, answers, strict=True)]}))
        ds = datasets.Dataset(pa.concat_tables(tables))
        ds.save_to_disk(str(folder / name))
        del ds, tables


def child(folder: Path, seed: int) -> dict:
    """Build the mixture in this process and measure it (see the module docstring)."""
    import datasets

    from r1cli import mixing

    datasets.disable_progress_bars()
    baseline, anon_baseline = status_kib("VmRSS"), status_kib("RssAnon")
    peak_anon = [anon_baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak_anon[0] = max(peak_anon[0], status_kib("RssAnon"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    ds, info = mixing.build([f"{folder / 'reasoning'}:0.75,{folder / 'other'}:0.25"], "plain", seed)
    build_s = time.perf_counter() - t0
    done.set()
    sampler.join()
    peak = status_kib("VmHWM")
    t0 = time.perf_counter()
    ds.save_to_disk(str(folder / "mixed"))
    save_s = time.perf_counter() - t0
    arrow_bytes = sum(p.stat().st_size for p in (folder / "mixed").glob("*.arrow"))
    return {"rows": info["rows"], "used": [d["used"] for d in info["datasets"]], "build_s": round(build_s, 2),
            "save_s": round(save_s, 2), "baseline_rss_mb": round(baseline / 1024, 1),
            "peak_rss_mb": round(peak / 1024, 1), "peak_anon_mb": round(peak_anon[0] / 1024, 1),
            "arrow_mb": round(arrow_bytes / 2**20, 1),
            "peak_rss_over_arrow": round((peak - baseline) * 1024 / arrow_bytes, 3),
            "peak_anon_over_arrow": round((peak_anon[0] - anon_baseline) * 1024 / arrow_bytes, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reasoning-rows", type=int, default=600_000)
    ap.add_argument("--other-rows", type=int, default=200_000)
    ap.add_argument("--row-bytes", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", help=argparse.SUPPRESS)  # internal: measure in this process
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.seed)))
        return
    with tempfile.TemporaryDirectory(prefix="r1-data-mix-") as tmp:
        env = {**os.environ, "HF_DATASETS_CACHE": str(Path(tmp) / "cache"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        os.environ["HF_DATASETS_CACHE"] = env["HF_DATASETS_CACHE"]
        t0 = time.perf_counter()
        make_inputs(Path(tmp), args.reasoning_rows, args.other_rows, args.row_bytes, args.seed)
        print(f"inputs: {args.reasoning_rows:,} + {args.other_rows:,} rows of ~{args.row_bytes} B written in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        out = subprocess.run([sys.executable, __file__, "--child", tmp, "--seed", str(args.seed)], env=env,
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
        res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"mixed {res['rows']:,} rows in {res['build_s']} s (save_to_disk {res['save_s']} s): peak RSS "
          f"{res['peak_rss_mb']} MB over a baseline of {res['baseline_rss_mb']} MB, peak anonymous "
          f"{res['peak_anon_mb']} MB, Arrow output {res['arrow_mb']} MB")
    print(json.dumps({"bench": "data_mix", "reasoning_rows": args.reasoning_rows, "other_rows": args.other_rows,
                      "row_bytes": args.row_bytes, **res}))


if __name__ == "__main__":
    main()
