"""`r1 --help` and `r1 <stage> --help` against TRL's own `trl --help`, median of 5 runs each, side by side.

Prints one line per command and, last, a JSON line with `ratio` = worst r1 median / trl median (target ≤ 1.1).
Run: .venv/bin/python bench/cli_help.py
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def median_seconds(argv: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    from r1cli.cli import STAGES

    r1 = str(BIN / "r1") if (BIN / "r1").exists() else shutil.which("r1")
    trl = str(BIN / "trl") if (BIN / "trl").exists() else shutil.which("trl")
    median_seconds([trl, "--help"], runs=1)  # warm the file cache for both
    median_seconds([r1, "--help"], runs=1)
    results = {}
    # Interleave so that machine noise hits both sides alike.
    for args in [["--help"]] + [[name, "--help"] for name, _ in STAGES]:
        ours = median_seconds([r1, *args])
        theirs = median_seconds([trl, "--help"])
        results[" ".join(["r1", *args])] = (ours, theirs)
        print(f"{'r1 ' + ' '.join(args):<28} {ours:.3f}s   trl --help {theirs:.3f}s   ratio {ours / theirs:.2f}")
    worst = max(o / t for o, t in results.values())
    print(json.dumps({"bench": "cli_help", "ratio": round(worst, 3),
                      "r1_help_s": round(results["r1 --help"][0], 3), "trl_help_s": round(results["r1 --help"][1], 3)}))


if __name__ == "__main__":
    main()
