"""Training logs shared by the trainer stages (sft, grpo, align): metrics.jsonl, a rich progress line, plots."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def metrics_callback(path: str | Path, extra: dict[str, Any] | None = None):
    """A transformers TrainerCallback that appends every log record (with step and time) to `path`."""
    from transformers import TrainerCallback

    target = Path(path)

    class MetricsToJsonl(TrainerCallback):
        def __init__(self):
            self.t_last = time.time()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or not state.is_world_process_zero:
                return
            now = time.time()
            record = {"step": state.global_step, "epoch": state.epoch, "time": round(now, 3), **(extra or {})}
            record.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str, bool))})
            record.setdefault("step_time", round((now - self.t_last) / max(1, args.logging_steps), 4))
            self.t_last = now
            with open(target, "a") as f:
                f.write(json.dumps(record) + "\n")

    return MetricsToJsonl()


def read(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


def plot(path: str | Path, keys: list[str], out_png: str | Path, title: str = "") -> Path | None:
    """Plot each key of metrics.jsonl against step, one panel a key; keys absent from the log are skipped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read(path)
    present = [k for k in keys if any(k in r for r in records)]
    if not present:
        return None
    fig, axes = plt.subplots(len(present), 1, figsize=(7, 2.6 * len(present)), squeeze=False)
    for ax, key in zip(axes[:, 0], present, strict=True):
        pts = [(r["step"], r[key]) for r in records if key in r and isinstance(r[key], (int, float))]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="." if len(pts) < 50 else None)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(out_png)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
