"""Data I/O core: every stage loads and writes datasets through here.

A dataset *spec* is a string:
  task:arith?n=2000&seed=0&split=test     a built-in generated task (see r1cli.tasks)
  data/train.jsonl                        a local .jsonl/.json/.parquet/.csv file
  runs/coldstart                          a `save_to_disk` folder (or an r1 output folder holding one)
  openai/gsm8k?config=main&split=test     a Hugging Face hub dataset
Query keys valid for every source: split, config, limit (first N rows), prompt/answer/solution/id (the source
column to use for each canonical column). The canonical schema is `prompt` (string or chat messages),
`answer` (the gold final answer as a string), optional `solution` and `id`; other columns are kept.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from r1cli import log
from r1cli.errors import UserError
from r1cli.rewards.extract import last_boxed  # the same \boxed{} reader the rewards use

FILE_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
PROMPT_COLUMNS = ("prompt", "problem", "question", "input", "instruction", "query")
SOLUTION_COLUMNS = ("solution", "response", "output", "completion")
ID_COLUMNS = ("id", "unique_id", "idx", "problem_id")
COMMON_KEYS = {"split", "config", "limit", "prompt", "answer", "solution", "id"}
DATASET_DIR = "dataset"  # where an r1 output folder keeps its save_to_disk dataset


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    source, _, query = spec.partition("?")
    return source, dict(parse_qsl(query, keep_blank_values=True))


def load(spec: str, *, split: str | None = None, canonical: bool = True, limit: int | None = None):
    """Load a dataset spec as a `datasets.Dataset`, renamed into the canonical schema when `canonical`."""
    import datasets

    if log.verbosity() <= 0:
        datasets.disable_progress_bars()
    source, params = parse_spec(spec)
    if split is not None:
        params.setdefault("split", split)
    if source.startswith("task:"):
        from r1cli import tasks

        ds = tasks.load(source[len("task:"):], params)
    else:
        unknown = set(params) - COMMON_KEYS
        if unknown:
            raise UserError(f"unknown key(s) {', '.join(sorted(unknown))} in dataset spec '{spec}' "
                            f"(valid: {', '.join(sorted(COMMON_KEYS))})")
        ds = _load_source(source, params)
    n = limit or (int(params["limit"]) if params.get("limit") else None)
    if n is not None:
        ds = ds.select(range(min(n, len(ds))))
    if len(ds) == 0:
        raise UserError(f"dataset '{spec}' is empty (check the file or the split)")
    return canonicalize(ds, params, spec) if canonical else ds


def _load_source(source: str, params: dict[str, str]):
    import datasets

    path = Path(source).expanduser()
    if path.is_dir():
        if (path / DATASET_DIR / "dataset_info.json").exists() or (path / DATASET_DIR / "dataset_dict.json").exists():
            path = path / DATASET_DIR
        if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
            ds = datasets.load_from_disk(str(path))
            return _pick_split(ds, params.get("split"), source)
        files = sorted(p for p in path.iterdir() if p.suffix in FILE_FORMATS)
        if not files:
            raise UserError(f"folder {source} holds no dataset (expected a save_to_disk folder or data files)")
        return _load_files([str(p) for p in files], FILE_FORMATS[files[0].suffix])
    if path.suffix in FILE_FORMATS:
        if not path.is_file():
            raise UserError(f"data file not found: {source} (check the path)")
        return _load_files([str(path)], FILE_FORMATS[path.suffix])
    if source.startswith((".", "/", "~")) or path.suffix:
        raise UserError(f"data file or folder not found: {source} (check the path; "
                        f"files must end in {', '.join(FILE_FORMATS)})")
    return _load_hub(source, params)


def _load_files(files: list[str], fmt: str):
    import datasets

    if all(Path(f).stat().st_size == 0 for f in files):
        raise UserError(f"data file {files[0]} is empty (give a file with at least one row)")
    try:
        return datasets.load_dataset(fmt, data_files=files, split="train")
    except Exception as e:  # malformed file
        raise UserError(f"cannot read {files[0]}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def _load_hub(name: str, params: dict[str, str]):
    import datasets

    from r1cli import hub

    split = params.get("split") or "train"
    offline = hub.go_offline_if_unreachable()
    try:
        return datasets.load_dataset(name, params.get("config") or None, split=split)
    except Exception as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if offline:
            raise UserError(f"hub dataset '{name}' is not cached and the hub cannot be reached (no network): "
                            "download it elsewhere and pass a local file or folder") from None
        raise UserError(f"cannot load hub dataset '{name}' (split {split}): {msg}") from None


def _pick_split(ds, split: str | None, source: str):
    import datasets

    if isinstance(ds, datasets.DatasetDict):
        if split is None:
            split = "train" if "train" in ds else next(iter(ds))
        if split not in ds:
            raise UserError(f"split '{split}' not in {source} (available: {', '.join(ds)})")
        return ds[split]
    return ds


def canonicalize(ds, params: dict[str, str] | None = None, spec: str = "dataset"):
    """Rename/derive columns into prompt/answer/solution/id. Answers are extracted for GSM8K and MATH."""
    params = params or {}
    cols = set(ds.column_names)

    def pick(kind: str, candidates: tuple[str, ...], required: bool) -> str | None:
        if params.get(kind):
            if params[kind] not in cols:
                raise UserError(f"column '{params[kind]}' not in {spec} (columns: {', '.join(sorted(cols))})")
            return params[kind]
        for c in candidates:
            if c in cols:
                return c
        if required:
            raise UserError(f"{spec} has no {kind} column (columns: {', '.join(sorted(cols))}; "
                            f"name one with '?{kind}=COLUMN' in the spec)")
        return None

    prompt_col = pick("prompt", PROMPT_COLUMNS, True)
    answer_col = pick("answer", ("answer", "final_answer", "target", "gold"), False)
    solution_col = pick("solution", SOLUTION_COLUMNS, False)
    id_col = pick("id", ID_COLUMNS, False)
    if answer_col is None and solution_col is None:
        raise UserError(f"{spec} has no answer column and no solution to extract one from "
                        f"(columns: {', '.join(sorted(cols))}; name one with '?answer=COLUMN')")

    def convert(row: dict[str, Any], idx: int) -> dict[str, Any]:
        out = {"prompt": row[prompt_col]}
        raw_answer = row.get(answer_col) if answer_col else None
        solution = row.get(solution_col) if solution_col else None
        answer, derived_solution = derive_answer(raw_answer, solution)
        out["answer"] = answer
        out["solution"] = derived_solution if derived_solution is not None else (solution or "")
        out["id"] = str(row[id_col]) if id_col else str(idx)
        return out

    # Source columns are renamed out of the way first, so the canonical ones get fresh (string) types.
    used = {c for c in (prompt_col, answer_col, solution_col, id_col) if c}
    drop = sorted(used | ({"prompt", "answer", "solution", "id"} & cols))
    ds = ds.rename_columns({c: f"__src_{c}" for c in drop})
    prompt_col, answer_col, solution_col, id_col = (
        f"__src_{c}" if c else None for c in (prompt_col, answer_col, solution_col, id_col))
    ds = ds.map(convert, with_indices=True, remove_columns=[f"__src_{c}" for c in drop])
    bad = sum(1 for a in ds["answer"] if not a)
    if bad == len(ds):
        raise UserError(f"no row of {spec} yielded a gold answer (name the column with '?answer=COLUMN')")
    return ds


_GSM8K = re.compile(r"####\s*(.+?)\s*$", re.S)


def derive_answer(raw_answer: Any, solution: Any) -> tuple[str, str | None]:
    """(gold answer, solution or None). GSM8K `... #### 18` splits into both; MATH takes the last \\boxed{}."""
    if isinstance(raw_answer, str) and "####" in raw_answer:
        m = _GSM8K.search(raw_answer)
        answer = m.group(1).replace(",", "").strip() if m else ""
        return answer, raw_answer[: raw_answer.rfind("####")].strip()
    if raw_answer is not None and raw_answer != "":
        if isinstance(raw_answer, float) and raw_answer.is_integer():
            return str(int(raw_answer)), None
        return str(raw_answer).strip(), None
    if isinstance(solution, str):
        boxed = last_boxed(solution)
        if boxed is not None:
            return boxed, None
        m = _GSM8K.search(solution)
        if m:
            return m.group(1).replace(",", "").strip(), solution[: solution.rfind("####")].strip()
    return "", None


# ----------------------------------------------------------------------------------------------- writing


def save(ds, folder: Path, *, jsonl: bool = False) -> Path:
    """Write `ds` into `folder/dataset` (save_to_disk) and optionally `folder/data.jsonl`."""
    target = Path(folder) / DATASET_DIR
    ds.save_to_disk(str(target))
    if jsonl:
        ds.to_json(str(Path(folder) / "data.jsonl"), lines=True, force_ascii=False)
    return target


def write_jsonl(rows, path: Path) -> None:
    tmp = Path(path).with_suffix(Path(path).suffix + ".tmp")
    with open(tmp, "w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
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


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
