"""Dataset specs and their sources: the one way every stage loads rows.

A dataset *spec* is a string:
  task:arith?n=500&seed=0&split=test      a built-in generated task (see r1cli.tasks)
  data/train.jsonl                        a local .jsonl/.json/.parquet/.csv file
  runs/coldstart                          a `save_to_disk` folder (or an r1 output folder holding one)
  openai/gsm8k?config=main&split=test     a Hugging Face hub dataset
Query keys valid for every source: split, config, limit (first N rows), prompt/answer/solution/id (the source
column to use for each canonical column, matched ignoring case when unambiguous, or a template over columns
such as `prompt={Body} {Question}`). A local file, folder of files or saved single dataset has one split,
`train`; naming another is an error. The canonical schema is `prompt` (string or chat messages),
`answer` (the gold final answer as a string), optional `solution` and `id`; other columns are kept.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from urllib.parse import parse_qsl

from r1cli import log
from r1cli.data.canonical import canonicalize
from r1cli.data.diagnose import _diagnose, _no_rows, _non_object_line, _root_cause, _utf8_problem
from r1cli.data.files import DATASET_DIR, RUN_MANIFEST
from r1cli.errors import UserError

FILE_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
COMMON_KEYS = {"split", "config", "limit", "prompt", "answer", "solution", "id"}


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    source, _, query = spec.partition("?")
    # A spec is typed, not URL-encoded: '+' stays a plus (a prompt template may hold one), not a space.
    pairs = parse_qsl(query.replace("+", "%2B"), keep_blank_values=True)
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise UserError(f"key '{twice[0]}' is given more than once in dataset spec '{spec}' (keep one)")
    if not source.strip():
        raise UserError(f"dataset spec '{spec}' names no source before '?' (a task:NAME, a file, a folder or a "
                        "hub dataset)")
    blank = [k for k, v in pairs if not v.strip()]
    if blank:
        raise UserError(f"key '{blank[0]}' in dataset spec '{spec}' has no value (give {blank[0]}=VALUE or drop it)")
    return source, dict(pairs)


def load(spec: str, *, split: str | None = None, canonical: bool = True, limit: int | None = None,
         require_answer: bool = True):
    """Load a dataset spec as a `datasets.Dataset`, renamed into the canonical schema when `canonical`.

    `split` and `limit` come from stage flags (--split, --limit) and override the spec's keys.
    `require_answer=False` accepts prompts without gold answers (their `answer` is "")."""
    import datasets

    if log.verbosity() <= 0:
        datasets.disable_progress_bars()
    source, params = parse_spec(spec)
    if split is not None:
        if not split.strip():
            raise UserError("--split is empty: name a split such as train or test, or leave the flag out")
        params["split"] = split
    if limit is not None and limit < 1:
        raise UserError(f"--limit must be at least 1 (rows to keep), got {limit}")
    n = limit if limit is not None else _limit_key(params, spec)
    if source.startswith("task:"):
        from r1cli import tasks

        ds = tasks.load(source[len("task:"):], params)
    else:
        unknown = set(params) - COMMON_KEYS
        if unknown:
            raise UserError(f"unknown key(s) {', '.join(sorted(unknown))} in dataset spec '{spec}' "
                            f"(valid: {', '.join(sorted(COMMON_KEYS))})")
        ds = _load_source(source, params)
    if n is not None:
        ds = ds.select(range(min(n, len(ds))))
    if len(ds) == 0:
        raise UserError(f"dataset '{spec}' is empty (check the file or the split)")
    return canonicalize(ds, params, spec, require_answer=require_answer) if canonical else ds


def _limit_key(params: dict[str, str], spec: str) -> int | None:
    raw = params.get("limit")
    if not raw:
        return None
    if not raw.strip().isdigit() or int(raw) < 1:
        raise UserError(f"key 'limit' in dataset spec '{spec}' must be a whole number of rows >= 1, got {raw!r}")
    return int(raw)


def _load_source(source: str, params: dict[str, str]):
    import datasets

    path = Path(source).expanduser()
    refuse_non_data(path, source)
    if path.is_dir():
        if (path / DATASET_DIR / "dataset_info.json").exists() or (path / DATASET_DIR / "dataset_dict.json").exists():
            path = path / DATASET_DIR
        if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
            ds = datasets.load_from_disk(str(path))
            return _pick_split(ds, params.get("split"), source)
        files = sorted(p for p in path.iterdir() if p.suffix in FILE_FORMATS)
        if not files:
            raise UserError(f"folder {source} holds no dataset (expected a save_to_disk folder or data files)")
        formats = {FILE_FORMATS[p.suffix] for p in files}
        if len(formats) > 1:
            raise UserError(f"folder {source} mixes data formats ({', '.join(sorted(p.name for p in files))}): "
                            "keep files of one format in it, or give one file")
        _single_split(params.get("split"), source)
        return _load_files([str(p) for p in files], formats.pop())
    if "config" in params and (path.is_dir() or path.suffix in FILE_FORMATS):
        raise UserError(f"key 'config' is for hub datasets; {source} is a local file or folder (drop ?config=)")
    if path.suffix in FILE_FORMATS:
        if not path.is_file():
            raise UserError(f"data file not found: {source} (check the path)")
        _single_split(params.get("split"), source)
        return _load_files([str(path)], FILE_FORMATS[path.suffix])
    if source.startswith((".", "/", "~")) or path.suffix:
        raise UserError(f"data file or folder not found: {source} (check the path; "
                        f"files must end in {', '.join(FILE_FORMATS)})")
    return _load_hub(source, params)


def refuse_non_data(path: Path, source: str) -> None:
    """Refuse, in one line, a local source that is never data: anything in an interrupted run's working folder
    (its rows are unchecked or half-written), an r1 run folder that holds no dataset/ (its other files are
    logs, results, weights), and a saved dataset of 0 rows (which datasets fails to read with an IndexError)."""
    if any(part.endswith(".partial") for part in path.parts):
        raise UserError(f"{source} is inside an interrupted run's working folder (.partial), not data: finish "
                        "that run with --resume, or give a finished one")
    if not path.is_dir():
        return
    if (path / RUN_MANIFEST).is_file() and not (path / DATASET_DIR).is_dir():
        raise UserError(f"{source} is an r1 run folder without a {DATASET_DIR}/ folder: give a run that wrote a "
                        "dataset (data, reject-sample, coldstart, distill's traces) or a data file")
    for folder in (path / DATASET_DIR, path):
        try:
            state = json.loads((folder / "state.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(state, dict) and not state.get("_data_files"):
            raise UserError(f"{source} holds a dataset of 0 rows (the run that wrote it kept none): rerun it so "
                            "that it keeps some, or give another dataset")
        return


def _load_files(files: list[str], fmt: str):
    import datasets

    if all(Path(f).stat().st_size == 0 for f in files):
        raise UserError(f"data file {files[0]} is empty (give a file with at least one row)")
    if fmt != "parquet":  # the JSON reader takes bad bytes silently and fails later, mid-run, on that row
        for f in files:
            problem = _utf8_problem(Path(f))
            if problem:
                raise UserError(f"cannot read {f}: {problem}")
        if all(_no_rows(Path(f), fmt) for f in files):
            raise UserError(f"data file {files[0]} has no rows (blank lines{', or a header only' if fmt == 'csv' else ''})")
        # A JSON-lines row that is not an object (`null`, a number) can crash the JSON reader outright (a
        # segmentation fault, which no except clause sees); a line not starting with '{' is found cheaply.
        for f in files:
            problem = _non_object_line(Path(f)) and _diagnose(Path(f), fmt)
            if problem:
                raise UserError(f"cannot read {f}: {problem}")
    try:
        with _quiet_datasets_logs():
            return datasets.load_dataset(fmt, data_files=files, split="train")
    except Exception as e:  # malformed file: say which file and where, not the reader's internals
        for f in files:
            problem = _diagnose(Path(f), fmt)
            if problem:
                raise UserError(f"cannot read {f}: {problem}") from None
        raise UserError(f"cannot read {', '.join(files)}: {_root_cause(e)}") from None


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
            raise UserError(f"split '{split}' not in {source} (available: {', '.join(ds)}; change ?split= or --split)")
        return ds[split]
    _single_split(split, source)
    return ds


def _single_split(split: str | None, source: str) -> None:
    """A local file, a folder of files or a saved single dataset is one split, named `train` (as the datasets
    library names it); asking for any other split is a mistake worth stopping for, not something to ignore."""
    if split and split != "train":
        raise UserError(f"split '{split}' does not exist in {source}: a single file or dataset has only the "
                        "split 'train' (drop ?split= / --split, or give the file that holds that split)")


@contextlib.contextmanager
def _quiet_datasets_logs():
    """The datasets library logs its reader errors before raising them; r1 reports them once, as one line."""
    import datasets

    before = datasets.logging.get_verbosity()
    if log.verbosity() <= 0:
        datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(before)
