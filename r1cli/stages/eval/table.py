"""r1 eval's results table on the console: a row per benchmark, its metrics as columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def headers(names: list[str]) -> dict[str, str]:
    """Table headers: a data file's (or local folder's) name instead of its whole spec, unless two benchmarks
    would share one."""
    from r1cli import data

    def short(name: str) -> str:
        source = data.parse_spec(name)[0]
        path = Path(source).expanduser()
        local = not source.startswith("task:") and (path.suffix in data.FILE_FORMATS or path.is_dir())
        return path.name if local and path.name else name

    short_names = {name: short(name) for name in names}
    counts = {s: list(short_names.values()).count(s) for s in short_names.values()}
    return {name: s if counts[s] == 1 else name for name, s in short_names.items()}


def print_table(results: dict[str, Any], console) -> None:
    """One column per benchmark, one row per metric (percentages), then the subject/level breakdowns."""
    from rich.table import Table

    from r1cli import papertable

    benches = results["benchmarks"]
    header = headers(list(benches))
    keys: list[str] = []
    for res in benches.values():
        keys += [k for k in res["metrics"] if k not in keys and k != "mean_completion_tokens"]
    table = Table(title="r1 eval (metrics in %)", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name in benches:
        table.add_column(header[name], justify="right", overflow="fold")
    table.add_row("problems", *(str(res["num_problems"]) for res in benches.values()))
    table.add_row("samples (K)", *(str(res["num_samples"]) for res in benches.values()))
    for key in keys:
        values = (res["metrics"].get(key) for res in benches.values())
        label = f"{key} (score)" if key in papertable.SCORES else key
        table.add_row(label, *("" if v is None else papertable.shown(key, v) for v in values))
    tokens = (res["metrics"].get("mean_completion_tokens") for res in benches.values())
    table.add_row("mean tokens", *("" if t is None else f"{t:.0f}" for t in tokens))
    console.print(table)
    for name, res in benches.items():
        for column, groups in res.get("breakdown", {}).items():
            cons = f"cons@{res['num_samples']}"
            sub = Table(title=f"{header[name]} by {column}", title_justify="left")
            for col in (column, "problems", "pass@1", cons):
                sub.add_column(col, justify="left" if col == column else "right")
            for value, g in groups.items():
                sub.add_row(value, str(g["num_problems"]), f"{100 * g['pass@1']:.1f}", f"{100 * g[cons]:.1f}")
            console.print(sub)
