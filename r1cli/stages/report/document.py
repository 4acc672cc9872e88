"""The report's content, written once as Markdown (figures as PNG files beside it) and rendered from that same
text into one HTML page whose figures are inlined as data URIs, so that it opens anywhere without a network."""

from __future__ import annotations

import base64
import html
import re
import textwrap
from pathlib import Path
from typing import Any

from r1cli import papertable, trainlog
from r1cli.stages.report import lineage
from r1cli.stages.report.collect import Found, RunRecord

LINEAGE_PNG = "lineage.png"
# Curves of a run that sampled rollouts (RL: the paper's accuracy and response-length figures) ...
RL_PANELS = [
    trainlog.Panel("accuracy", [trainlog.Curve("accuracy", "training accuracy"),
                                trainlog.Curve("eval/pass@1", "held-out pass@1", smooth=False)]),
    trainlog.Panel("tokens", [trainlog.Curve("completions/mean_length", "mean response length")]),
]
# ... and of a supervised one.
SFT_PANELS = [trainlog.Panel("loss", [trainlog.Curve("loss", "training loss")])]
RL_KEY = "completions/mean_length"
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
img { max-width: 100%; }
code { background: #f5f5f5; padding: 0 0.2em; }
"""


def write(found: Found, out: Path) -> dict[str, Any]:
    """Write report.md, its figures and report.html into `out`; the numbers of evaluations and figures drawn."""
    lineage.draw(found, out / LINEAGE_PNG)
    evals = eval_rows(found)
    curves = _draw_curves(found, out)
    parts = [
        f"# r1 report: {esc(str(found.root))}",
        f"{len(found.runs)} runs. Each run's folder is named relative to the reported folder.",
        "## Lineage",
        "Which run was trained or evaluated from which model, on what data (dashed: data; white boxes: inputs "
        "from outside the folder).",
        f"![lineage]({LINEAGE_PNG})",
        "## Runs",
        markdown_table(*run_table(found)),
        "## Evaluations",
        markdown_table(*evals) if evals[1] else "No evaluation among these runs.",
        *(["## The paper's table", "pass@1 and cons@K (%) of every evaluated model, a model per row.",
           markdown_table(*papertable.cells(paper_table(found)))] if evals[1] else []),
        "## Training curves",
        "Accuracy and mean response length against the step for RL runs, the loss for supervised ones.",
    ]
    for run, png in curves:
        parts += [f"### {esc(run.name)} ({esc(run.stage)})", f"![{esc(run.name)}]({png})"]
    if not curves:
        parts.append("No run among these logged training metrics.")
    text = "\n\n".join(parts) + "\n"
    (out / "report.md").write_text(text)
    (out / "report.html").write_text(to_html(text, out, title=f"r1 report: {found.root}"))
    return {"evaluations": len(evals[1]), "curves": len(curves)}


# ------------------------------------------------------------------------------------------------- tables


def run_table(found: Found) -> tuple[list[str], list[list[str]]]:
    headers = ["run", "stage", "model", "data", "processes", "minutes", "finished", "metrics"]
    rows = []
    for run in found.runs:
        m = run.manifest
        seconds = m.get("seconds")
        rows.append([run.name, run.stage, ", ".join(found.sources(run, "model")),
                     ", ".join(found.sources(run, "dataset")), str(m.get("world_size", "")),
                     f"{seconds / 60:.1f}" if isinstance(seconds, (int, float)) else "",
                     str(m.get("finished", "")).replace("T", " "), _scalars(m.get("metrics"))])
    return headers, rows


def _scalars(metrics: Any) -> str:
    """A run's final numbers in one cell (the nested ones, such as an eval's per benchmark, have their table)."""
    if not isinstance(metrics, dict):
        return ""
    return ", ".join(f"{k} {_number(v)}" for k, v in metrics.items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool))


def _evaluations(found: Found) -> list[tuple[RunRecord, str, dict[str, Any], dict[str, Any]]]:
    """(run, model row label, {benchmark: results entry}, sampling) of every model every eval run evaluated."""
    import json

    out = []
    for run in found.runs:
        if run.stage != "eval":
            continue
        path = run.path / "results.json"
        results = json.loads(path.read_text()) if path.exists() else {
            "benchmarks": {name: {"metrics": m} for name, m in (run.manifest.get("metrics") or {}).items()}}
        sampling = results.get("sampling") or {}
        for model, entry in (results.get("models") or {run.name: results}).items():
            label = run.name if "models" not in results else f"{run.name}: {model}"
            out.append((run, label, entry.get("benchmarks", {}), sampling))
    return out


def paper_table(found: Found) -> dict[str, Any]:
    """The paper's table over every evaluation: a row per evaluated model (its run, and its name where the run
    evaluated several)."""
    return papertable.build({label: benches for _, label, benches, _ in _evaluations(found)})


def eval_rows(found: Found) -> tuple[list[str], list[list[str]]]:
    """One row per benchmark of every eval run: pass@1 (± its standard error), cons@K, every pass@k, tokens, the
    template and system prompt it was asked in."""
    entries = [(run, bench, res, sampling) for run, _, benches, sampling in _evaluations(found)
               for bench, res in benches.items()]
    ks = sorted({int(key[5:]) for _, _, res, _ in entries for key in res.get("metrics", {})
                 if re.fullmatch(r"pass@\d+", key) and key != "pass@1"})
    known = {"pass@1", "pass@1_stderr", "truncated_frac", "mean_completion_tokens"}
    extra = sorted({key for _, _, res, _ in entries for key in res.get("metrics", {})
                    if key not in known and not re.fullmatch(r"(pass|cons)@\d+", key)})
    headers = ["run", "model", "benchmark", "problems", "K", "T", "pass@1", "cons@K", *[f"pass@{k}" for k in ks],
               "mean tokens", "truncated", *extra, "template", "system prompt"]
    rows = []
    for run, bench, res, sampling in entries:
        m = res.get("metrics", {})
        cons = next((v for key, v in m.items() if key.startswith("cons@")), None)
        p1 = _percent(m.get("pass@1"))
        if m.get("pass@1_stderr") is not None and p1:
            p1 += f" ± {_percent(m['pass@1_stderr'])}"
        rows.append([run.name, ", ".join(found.sources(run, "model")), bench, str(res.get("num_problems", "")),
                     str(res.get("num_samples", "")), _number(sampling.get("temperature")), p1, _percent(cons),
                     *[_percent(m.get(f"pass@{k}")) for k in ks], _number(m.get("mean_completion_tokens")),
                     _percent(m.get("truncated_frac")),
                     *[_percent(m.get(k)) if k.endswith("_frac") else _number(m.get(k)) for k in extra],
                     # two runs that differ only in how the model was asked must not look alike
                     res.get("template") or "", textwrap.shorten(sampling.get("system_prompt") or "", 60)])
    return headers, rows


def _percent(v: Any) -> str:
    return f"{100 * v:.1f}" if isinstance(v, (int, float)) else ""


def _number(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "" if v is None else str(v)
    return str(v) if isinstance(v, int) else f"{v:.4g}"


# ------------------------------------------------------------------------------------------------ curves


def _draw_curves(found: Found, out: Path) -> list[tuple[RunRecord, str]]:
    drawn, used = [], set()
    for run in found.runs:
        log = run.path / "metrics.jsonl"
        records = trainlog.read(log)
        if not records:
            continue
        panels = RL_PANELS if any(RL_KEY in r for r in records) else SFT_PANELS
        name = _unique("curves-" + re.sub(r"[^A-Za-z0-9._-]+", "-", run.name).strip("-") + ".png", used)
        if trainlog.plot(log, panels, out / name):  # the section heading names the run
            drawn.append((run, name))
    return drawn


def _unique(name: str, used: set[str]) -> str:
    stem, n = name[:-4], 1
    while name in used:
        n += 1
        name = f"{stem}-{n}.png"
    used.add(name)
    return name


# ---------------------------------------------------------------------------------------------- markdown

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!&])")


def esc(text: str) -> str:
    """Text shown as it is in Markdown (names and dataset specs hold `_`, `*`, `&`, `|`, ...)."""
    return _SPECIAL.sub(r"\\\1", text)


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def to_html(markdown: str, folder: Path, title: str) -> str:
    """The Markdown as one HTML page, each image read from `folder` and inlined as a data URI."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML in names stays text
    tokens = md.parse(markdown)
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                data = base64.b64encode((folder / str(child.attrGet("src"))).read_bytes()).decode()
                child.attrSet("src", f"data:image/png;base64,{data}")
    body = md.renderer.render(tokens, md.options, {})
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")
