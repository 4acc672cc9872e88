"""r1 report: one document for a folder of runs, in Markdown and in a self-contained HTML page.

It reads every r1_manifest.json under RUNS_DIR and shows
  - the lineage: which run was trained or evaluated from which model, on what data (a figure);
  - every run in one table (stage, model, data, time, its scalar metrics);
  - every evaluation in one table: pass@1, cons@K and pass@k per benchmark (from each eval's results.json);
  - the training curves of every run that logged metrics.jsonl: accuracy and mean response length against
    the step for RL runs (the paper's figures 2 and 3), the loss for supervised ones.

Output folder: report.md with its figures as PNG files beside it, report.html with the same figures inlined
(no network needed to open it), and the manifest. Runs are linked through the upstream manifests their own
manifests recorded, so the lineage survives moving the whole folder; earlier reports are not reported on.

The stage's files: this module (options, run), collect.py (finding and linking runs), lineage.py (the graph
figure) and document.py (the tables, report.md and report.html).
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option

HELP = "Report on a folder of runs: lineage, every evaluation, training curves (report.md and report.html)."
EXAMPLE = "r1 report runs/r1 --output runs/r1/report"


@dataclass
class Config:
    runs_dir: str = option(None, "Folder of r1 runs: every r1_manifest.json under it is reported.",
                           positional=True, required=True)
    output: str | None = option(None, "Output folder (report.md, its figures, report.html); default: "
                                "RUNS_DIR/report.", short="-o")
    overwrite: bool = option(False, "Replace the output folder if it exists.")


def run(cfg: Config) -> dict:
    from pathlib import Path

    from r1cli import runs
    from r1cli.stages.report import collect, document

    found = collect.find(Path(cfg.runs_dir))
    output = cfg.output or str(Path(cfg.runs_dir) / "report")
    with runs.run_dir("report", output, cfg, overwrite=cfg.overwrite) as run:
        for r in found.runs:
            run.add_input("run", str(r.path))
        written = document.write(found, run.path)
        run.metrics = {"runs": len(found.runs), "evaluations": written["evaluations"],
                       "curves": written["curves"]}
    log.info(f"wrote report.md and report.html on {len(found.runs)} runs to {run.final}")
    return run.metrics
