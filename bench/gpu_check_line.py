"""What bench/gpu_check.sh prints about a finished run folder: the saved weights' dtype (bf16 on the GPU, float32
on CPU) and the stage's headline numbers from its manifest (or, for eval, its results).

    python bench/gpu_check_line.py RUN_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEYS = ("device", "steps", "final_loss", "pairwise_accuracy", "reward_last10", "accuracy_last10")


def line(run: Path) -> str:
    if (run / "student").is_dir():  # distill: the student is the trained part
        run = run / "student"
    parts = []
    config = run / "config.json"
    if config.exists():
        cfg = json.loads(config.read_text())
        parts.append(f"weights {cfg.get('dtype') or cfg.get('torch_dtype')}")
    metrics = json.loads((run / "r1_manifest.json").read_text()).get("metrics") or {}
    parts += [f"{key} {metrics[key]}" for key in KEYS if metrics.get(key) is not None]
    results = run / "results.json"
    if results.exists():
        for name, bench in json.loads(results.read_text())["benchmarks"].items():
            parts.append(f"{name} pass@1 {bench['metrics']['pass@1']:.3f}")
    return ", ".join(parts)


if __name__ == "__main__":
    print(line(Path(sys.argv[1])))
