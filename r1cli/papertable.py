"""The paper's results table: models as rows, each benchmark's pass@1 (and cons@K where K > 1) as columns.
`r1 eval` prints it for the models it evaluated and keeps it in results.json; `r1 report` draws the same table
over every evaluation in a folder of runs.

The table is data first: {"columns": [...], "rows": {model: {column: value or None}}}, values as fractions
(shown in %). A column is "BENCHMARK pass@1" or "BENCHMARK cons@K"; a model not evaluated on a benchmark has
no value there; a benchmark graded by a judge has no cons@K (free answers are not voted on). A benchmark of
general prompts judged by reward models has no pass@1: its columns are the mean helpfulness (a reward-model
score, shown as it is) and the harmful share.
"""

from __future__ import annotations

from typing import Any

SCORES = ("helpfulness", "harmlessness")  # reward-model scores: not fractions
GENERAL = ("helpfulness", "harmful")  # the columns of a benchmark judged by reward models


def build(evaluated: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The table from {model: {benchmark: results entry (num_samples, metrics)}}, in the order given."""
    columns: list[str] = []
    for benches in evaluated.values():
        for name, res in benches.items():
            k = res.get("num_samples") or 1
            judged = [m for m in GENERAL if m in res.get("metrics", {}) and "pass@1" not in res["metrics"]]
            for column in ([f"{name} {m}" for m in judged] or
                           (f"{name} pass@1", *([f"{name} cons@{k}"] if k > 1 and f"cons@{k}" in res["metrics"] else []))):
                if column not in columns:
                    columns.append(column)
    rows = {}
    for model, benches in evaluated.items():
        rows[model] = {}
        for column in columns:
            name, _, metric = column.rpartition(" ")
            rows[model][column] = (benches.get(name) or {}).get("metrics", {}).get(metric)
    return {"columns": columns, "rows": rows}


def labels(models: list[str]) -> dict[str, str]:
    """A short row label per model: its folder or hub name, the whole spec where two would share one."""
    short = {m: m.rstrip("/").rsplit("/", 1)[-1] or m for m in models}
    counts = {s: list(short.values()).count(s) for s in short.values()}
    return {m: s if counts[s] == 1 else m for m, s in short.items()}


def cells(table: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """(headers, rows of text cells) with values in %, blank where a model has no value."""
    headers = ["model", *table["columns"]]
    rows = [[model, *("" if values.get(c) is None else shown(c.rpartition(" ")[2], values[c])
                      for c in table["columns"])] for model, values in table["rows"].items()]
    return headers, rows


def print_rich(table: dict[str, Any], console, title: str = "r1 eval: pass@1 and cons@K (%)") -> None:
    from rich.table import Table

    headers, rows = cells(table)
    out = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        out.add_column(header, justify="left" if i == 0 else "right", no_wrap=i == 0, overflow="fold")
    for row in rows:
        out.add_row(*row)
    console.print(out)


def shown(metric: str, value: float) -> str:
    """A value as a cell: a fraction in %, a reward-model score as it is."""
    return f"{value:.2f}" if metric in SCORES else f"{100 * value:.1f}"
