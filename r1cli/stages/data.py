"""r1 data: load any dataset spec into the canonical schema and write it as a dataset folder.

Use it to materialise a built-in task, to convert a benchmark file or hub dataset once, or to check how a
source maps onto prompt/answer/solution/id before a long run.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option

HELP = "Load a dataset (task:NAME, a file, a folder or a hub name) into prompt/answer/solution/id and save it."
EXAMPLE = ("r1 data --dataset 'task:arith?n=500&split=test' --output data/arith-test --jsonl; "
           "r1 data -d 'svamp.json?prompt={Body} {Question}' -o data/svamp")


@dataclass
class Config:
    dataset: str = option(None, "Dataset spec: task:NAME?k=v, a .jsonl/.json/.parquet/.csv file, a "
                          "save_to_disk folder, or a hub name (add ?split=...&config=...). Pick columns with "
                          "?prompt=COLUMN (any case) or build the prompt from several: ?prompt={Body} {Question}.",
                          short="-d", required=True)
    output: str = option(None, "Output folder (a save_to_disk dataset plus the manifest).", short="-o",
                         required=True)
    split: str | None = option(None, "Split to load (overrides ?split= in the spec); a local file has only "
                               "'train'.")
    limit: int | None = option(None, "Keep only the first N rows.", min=1)
    jsonl: bool = option(False, "Also write data.jsonl beside the dataset.")
    overwrite: bool = option(False, "Replace the output folder if it exists.")


def run(cfg: Config) -> dict:
    from r1cli import data, runs

    ds = data.load(cfg.dataset, split=cfg.split, limit=cfg.limit)
    with runs.run_dir("data", cfg.output, cfg, overwrite=cfg.overwrite) as run:
        run.add_input("dataset", cfg.dataset)
        data.save(ds, run.path, jsonl=cfg.jsonl)
        run.metrics = {"rows": len(ds), "columns": ds.column_names}
    log.info(f"wrote {len(ds):,} rows to {run.final}")
    return run.metrics
