"""jsonl I/O: datasets written into run folders, jsonl files written and read back, scratch Arrow files."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.errors import UserError

DATASET_DIR = "dataset"  # where an r1 output folder keeps its save_to_disk dataset
RUN_MANIFEST = "r1_manifest.json"  # what marks an r1 output folder (runs.MANIFEST; runs imports data, not back)


def save(ds, folder: Path, *, jsonl: bool = False) -> Path:
    """Write `ds` into `folder/dataset` (save_to_disk) and optionally `folder/data.jsonl`."""
    target = Path(folder) / DATASET_DIR
    if not len(ds):  # published all the same (the run is finished), but no stage can read it
        log.warn(f"0 rows kept: {target} is empty, and every stage will refuse it as a dataset")
    ds.save_to_disk(str(target))
    if jsonl:
        ds.to_json(str(Path(folder) / "data.jsonl"), lines=True, force_ascii=False)
    return target


def write_jsonl(rows, path: Path) -> None:
    tmp = Path(path).with_suffix(Path(path).suffix + ".tmp")
    with open(tmp, "w") as f:
        for row in rows:
            # default=str: dates (LiveCodeBench's contest_date loads as a timestamp) are written as text
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise UserError(f"{path} line {n} is not valid JSON: {e.msg}") from None
    return rows


def read_objects(path: str, flag: str, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for each non-blank line of a jsonl file given by `flag`, in order, so a caller's own
    checks of line n come before line n+1 is parsed: a missing file, a line that is not JSON or not an object
    is one error naming the flag and the line. `what` says what the file should be."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise UserError(f"{flag} {path}: no such file ({what})")
    for n, line in enumerate(file.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"{flag} {path}: line {n} is not JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise UserError(f"{flag} {path}: line {n} is not a JSON object")
        yield n, row


def scratch_file(tag: str) -> str:
    """A fresh Arrow file in this process's temporary cache folder (deleted at exit), for `Dataset.map`.

    Kept in memory, a large set would cost its size in RAM in every rank; by default `map` writes its file
    beside the input's Arrow files, i.e. inside an upstream run's published folder, which must not change."""
    from datasets.fingerprint import get_temporary_cache_files_directory

    return str(Path(get_temporary_cache_files_directory()) / f"{tag}-{uuid.uuid4().hex}.arrow")
