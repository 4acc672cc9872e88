"""Training logs shared by the trainer stages (sft, grpo): every logged step appended to metrics.jsonl, read
back, and drawn as one figure of panels against the step."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def metrics_callback(path: str | Path):
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
            record = {"step": state.global_step, "epoch": state.epoch, "time": round(now, 3)}
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


@dataclass
class Curve:
    """One metrics.jsonl key drawn against step. `smooth`: the per-step values faint, their moving average on
    top (noisy values such as rewards); otherwise a plain line with markers (e.g. held-out checks)."""

    key: str
    label: str = ""
    smooth: bool = True


@dataclass
class Panel:
    ylabel: str
    curves: list[Curve] = field(default_factory=list)


def points(records: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of `key` in the records that carry a number for it (None/NaN are skipped)."""
    pts = [(r["step"], float(r[key])) for r in records
           if isinstance(r.get(key), (int, float)) and not isinstance(r[key], bool) and r[key] == r[key]]
    return [p[0] for p in pts], [p[1] for p in pts]


def smoothing_window(n: int) -> int:
    """About a tenth of the run, 2 to 50 steps."""
    return min(50, max(2, round(n / 10)))


def moving_average(values: list[float], window: int) -> list[float]:
    """Trailing mean over `window` steps, defined from the first step (shorter windows there)."""
    import pandas as pd

    return pd.Series(values).rolling(window, min_periods=1).mean().tolist()


def plot(path: str | Path, panels: list[Panel], out_png: str | Path, title: str = "") -> Path | None:
    """Draw the panels (sharing the step axis) from metrics.jsonl into one PNG. Curves absent from the log are
    left out, and so are panels left empty; returns None when nothing at all was logged."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    records = read(path)
    drawn = [(p, [(c, *points(records, c.key)) for c in p.curves]) for p in panels]
    drawn = [(p, [c for c in curves if c[1]]) for p, curves in drawn]
    drawn = [(p, curves) for p, curves in drawn if curves]
    if not drawn:
        return None
    fig, axes = plt.subplots(len(drawn), 1, figsize=(7.5, 2.7 * len(drawn)), sharex=True, squeeze=False)
    for ax, (panel, curves) in zip(axes[:, 0], drawn, strict=True):
        for i, (curve, steps, values) in enumerate(curves):
            color = f"C{i}"
            label = curve.label or curve.key
            if curve.smooth and len(values) > 2:
                window = smoothing_window(len(values))
                ax.plot(steps, values, color=color, alpha=0.25, linewidth=0.8)
                ax.plot(steps, moving_average(values, window), color=color, linewidth=1.8,
                        label=f"{label}, {window}-step mean")
            else:
                ax.plot(steps, values, color=color, marker="o" if len(values) < 50 else None, markersize=3,
                        label=label)
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    axes[-1, 0].set_xlabel("step")
    axes[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(out_png)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
