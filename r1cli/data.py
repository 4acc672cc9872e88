"""Data I/O core: every stage loads and writes datasets through here.

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
import os
import re
import string
import uuid
from collections.abc import Iterator
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
RUN_MANIFEST = "r1_manifest.json"  # what marks an r1 output folder (runs.MANIFEST; runs imports data, not back)


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


def _non_object_line(path: Path) -> bool:
    """A .jsonl file with a non-blank line that cannot be a JSON object (it does not start with '{')."""
    if path.suffix != ".jsonl":
        return False
    with open(path, "rb") as f:
        return any(line.strip() and not line.lstrip().startswith(b"{") for line in f)


def _no_rows(path: Path, fmt: str) -> bool:
    """A text data file with no data lines: blank lines only (a CSV: a header at most)."""
    lines = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return lines <= (1 if fmt == "csv" else 0)


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


def _root_cause(e: BaseException) -> str:
    """The innermost error of a chain in one line (the outer ones only say that generating failed)."""
    while e.__cause__ is not None or e.__context__ is not None:
        e = e.__cause__ or e.__context__
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _diagnose(path: Path, fmt: str) -> str | None:
    """What is wrong with a data file the reader rejected, with its line number; None if nothing found."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            pq.read_metadata(path)
        except Exception as e:
            return f"not a valid Parquet file ({_root_cause(e)})"
        return None
    text = path.read_text(encoding="utf-8")  # _load_files checked that it is UTF-8
    if fmt == "csv":
        return _diagnose_csv(text)
    if path.suffix == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            if not _looks_like_json_lines(text):
                return f"line {e.lineno} column {e.colno}: {e.msg} (not valid JSON)"
        else:
            if isinstance(doc, list):
                for i, item in enumerate(doc):
                    if not isinstance(item, dict):
                        return f"item {i} of the top-level list is {type(item).__name__}, not an object of columns"
                return None
            if not isinstance(doc, dict):
                return f"holds a JSON {type(doc).__name__}, not a list of objects or one object per line"
            return None
    for n, line in enumerate(text.split("\n"), 1):  # not splitlines(): JSON strings may hold U+2028
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            return f"line {n} is not valid JSON: {e.msg} (column {e.colno})"
        if not isinstance(row, dict):
            return f"line {n} is a JSON {type(row).__name__}, not an object of columns"
    return None


def _utf8_problem(path: Path) -> str | None:
    """Where a text data file stops being UTF-8, if it does (read in blocks: files can be large)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as e:  # e.object: this block, after any bytes held over from the last
                line += e.object[: e.start].count(b"\n")
                return f"line {line} is not UTF-8 text (byte 0x{e.object[e.start]:02x}); save the file as UTF-8"
            if not block:
                return None
            line += block.count(b"\n")


def _looks_like_json_lines(text: str) -> bool:
    first = next((line for line in text.split("\n") if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _diagnose_csv(text: str) -> str | None:
    import csv
    import io

    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return "has no header row"
        for row in reader:
            if row and len(row) != len(header):
                return (f"line {reader.line_num} has {len(row)} fields, the header has {len(header)} "
                        "(quote fields that contain commas)")
    except csv.Error as e:
        return f"line {reader.line_num}: {e}"
    return None


def _resolve_column(name: str, cols: list[str], key: str, spec: str) -> str:
    """`name` itself, or the one column that matches it ignoring case."""
    if name in cols:
        return name
    matches = [c for c in cols if c.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UserError(f"column '{name}' (key '{key}') is ambiguous in {spec}: it matches "
                        f"{', '.join(matches)} (write the exact name)")
    raise UserError(f"column '{name}' (key '{key}') not in {spec} (columns: {', '.join(sorted(cols))})")


class _Field:
    """Where a canonical column's value comes from: one source column as it is, or a template over several
    (`{Body} {Question}`, Python format syntax: `{{`/`}}` are literal braces) rendered to a string."""

    def __init__(self, key: str, value: str, cols: list[str], spec: str):
        self.key = key
        if "{" not in value and "}" not in value:
            self.column = _resolve_column(value, cols, key, spec)
            self.parts: list[tuple[str, str | None, str, str | None]] | None = None
            self.columns = [self.column]
            return
        try:
            parsed = list(string.Formatter().parse(value))
        except ValueError as e:
            raise UserError(f"key '{key}' template {value!r} in {spec} is malformed: {e} "
                            "(write {{ and }} for literal braces)") from None
        self.parts = []
        for literal, field, fmt, conv in parsed:
            if field is not None and not field.strip():
                raise UserError(f"key '{key}' template {value!r} in {spec} has an empty {{}}: name a column in it")
            col = _resolve_column(field, cols, key, spec) if field is not None else None
            self.parts.append((literal, col, fmt or "", conv))
        self.columns = list(dict.fromkeys(c for _, c, _, _ in self.parts if c))

    def value(self, row: dict[str, Any], prefix: str, idx: int) -> Any:
        if self.parts is None:
            return row[prefix + self.column]
        out = []
        for literal, col, fmt, conv in self.parts:
            out.append(literal)
            if col is None:
                continue
            v = row[prefix + col]
            try:
                out.append("" if v is None else format(string.Formatter().convert_field(v, conv), fmt))
            except (ValueError, TypeError) as e:
                raise UserError(f"key '{self.key}': cannot format column '{col}' of row {idx} ({e})") from None
        return "".join(out)


def canonicalize(ds, params: dict[str, str] | None = None, spec: str = "dataset", require_answer: bool = True):
    """Rename/derive columns into prompt/answer/solution/id. Answers are extracted for GSM8K and MATH.

    A key's value is a column name (matched ignoring case when that is unambiguous) or a template over
    columns; without the key, the first known column name present is used. Without `require_answer`, a
    dataset may have no gold answers at all (a judge model checks its samples)."""
    params = params or {}
    cols = list(ds.column_names)
    hint = " or a template such as '?{kind}={{Body}} {{Question}}'"

    def pick(kind: str, candidates: tuple[str, ...], required: bool) -> _Field | None:
        if params.get(kind):
            return _Field(kind, params[kind], cols, spec)
        for c in candidates:
            if any(col.lower() == c for col in cols):
                return _Field(kind, c, cols, spec)
        if required:
            raise UserError(f"{spec} has no {kind} column (columns: {', '.join(sorted(cols))}; "
                            f"name one with '?{kind}=COLUMN'{hint.format(kind=kind)} in the spec)")
        return None

    prompt = pick("prompt", PROMPT_COLUMNS, True)
    answer = pick("answer", ("answer", "final_answer", "target", "gold"), False)
    solution = pick("solution", SOLUTION_COLUMNS, False)
    id_field = pick("id", ID_COLUMNS, False)
    if answer is None and solution is None and require_answer:
        raise UserError(f"{spec} has no answer column and no solution to extract one from "
                        f"(columns: {', '.join(sorted(cols))}; name one with '?answer=COLUMN')")
    prefix = "__src_"

    def convert(row: dict[str, Any], idx: int) -> dict[str, Any]:
        out = {"prompt": text_or_chat(prompt.value(row, prefix, idx), spec, idx, "prompt")}
        raw_answer = answer.value(row, prefix, idx) if answer else None
        sol = solution.value(row, prefix, idx) if solution else None
        gold, derived_solution = derive_answer(raw_answer, sol)
        out["answer"] = gold
        out["solution"] = derived_solution if derived_solution is not None else (sol or "")
        out["id"] = str(id_field.value(row, prefix, idx)) if id_field else str(idx)
        return out

    # Source columns are renamed out of the way first, so the canonical ones get fresh (string) types.
    used = {c for f in (prompt, answer, solution, id_field) if f for c in f.columns}
    drop = sorted(used | ({"prompt", "answer", "solution", "id"} & set(cols)))
    ds = ds.rename_columns({c: prefix + c for c in drop})
    ds = ds.map(convert, with_indices=True, remove_columns=[prefix + c for c in drop],
                cache_file_name=scratch_file("canonical"))
    bad = sum(1 for a in ds["answer"] if not a)
    if bad == len(ds) and require_answer:
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


# ------------------------------------------------------------------------------------------ SFT pairs
# Training examples are prompt/completion pairs, each side text or chat turns. Three schemas are read:
#   messages           chat turns ending with the assistant's: the last turn is the completion, the turns
#                      before it the prompt (earlier assistant turns are context);
#   prompt-completion  what coldstart / reject-sample / distill write, either side text or chat turns;
#   canonical          prompt/answer/solution (tasks, benchmark files): the completion is
#                      r1_completion(solution, response_answer or answer), where `response_answer` is what the
#                      row's teacher wrote (task:arith `slip` rows carry a wrong one on purpose).
# Conversion runs as one batched Arrow map per dataset, so no Python copy of the whole dataset is made.


def _chat_feature():
    from datasets import List, Value

    return List({"role": Value("string"), "content": Value("string")})


def pairs_schema(columns: list[str]) -> str:
    """'messages', 'prompt-completion' or 'canonical' for a dataset's column names."""
    if "messages" in columns:
        return "messages"
    if "prompt" in columns and "completion" in columns:
        return "prompt-completion"
    return "canonical"


def load_pairs(spec: str):
    """Load a spec for SFT: (dataset, schema). Canonical datasets are canonicalized and must have solutions."""
    import pyarrow.compute as pc

    ds = load(spec, canonical=False)
    schema = pairs_schema(ds.column_names)
    if schema == "canonical":
        ds = canonicalize(ds, parse_spec(spec)[1], spec)
        if not pc.max(pc.utf8_length(ds.data.column("solution"))).as_py():
            raise UserError(f"{spec} has no worked solutions to train on (SFT needs a solution or a "
                            "completion column; name it with '?solution=COLUMN')")
    return ds, schema


def is_chat(ds, schema: str) -> bool:
    """Whether a dataset loaded by `load_pairs` holds chat turns (read from its column types)."""
    from datasets import LargeList, List

    if schema == "messages":
        return True
    columns = ("prompt", "completion") if schema == "prompt-completion" else ("prompt",)
    return any(isinstance(ds.features[c], (List, LargeList)) for c in columns)


def _is_messages(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict) and "role" in value[0]


def _clean(messages) -> list[dict[str, str]]:
    return [{"role": str(m["role"]), "content": str(m.get("content") or "")} for m in messages]


def to_pairs(ds, schema: str, template: str, conversational: bool, spec: str = "dataset"):
    """The dataset as exactly two columns, prompt and completion, rendered for training: text prompts through
    `template`; in a conversational set (`is_chat` of any dataset in it, or the chat template) text becomes
    chat turns, a prompt one user turn and a completion one assistant turn."""
    from datasets import Features, Value

    from r1cli import templates

    def pair(prompt, completion):
        if isinstance(prompt, str):
            rendered = templates.render(prompt, template)
            if conversational and isinstance(rendered, str):
                rendered = [{"role": "user", "content": rendered}]
            elif template == "r1-zero" and isinstance(completion, str) and not completion[:1].isspace():
                completion = " " + completion  # "... Assistant: <think>"
            prompt = rendered
        if conversational and isinstance(completion, str):
            completion = [{"role": "assistant", "content": completion}]
        return prompt, completion

    def messages(batch, indices):
        for i, msgs in zip(indices, batch["messages"], strict=True):
            if not _is_messages(msgs) or msgs[-1].get("role") != "assistant":
                raise UserError(f"{spec} row {i}: 'messages' must be chat turns ending with an assistant turn")
            msgs = _clean(msgs)
            yield msgs[:-1], msgs[-1:]

    def prompt_completion(batch, indices):
        for i, p, c in zip(indices, batch["prompt"], batch["completion"], strict=True):
            p, c = text_or_chat(p, spec, i, "prompt"), text_or_chat(c, spec, i, "completion")
            yield (_clean(p) if _is_messages(p) else p), (_clean(c) if _is_messages(c) else c)

    def canonical(batch, indices):
        answers = batch.get("response_answer") or batch["answer"]
        for p, solution, answer, gold in zip(batch["prompt"], batch["solution"], answers, batch["answer"],
                                             strict=True):
            yield (_clean(p) if _is_messages(p) else p), templates.r1_completion(solution or "", str(answer or gold))

    rows = {"messages": messages, "prompt-completion": prompt_completion, "canonical": canonical}[schema]

    def convert(batch, indices):
        out = {"prompt": [], "completion": []}
        for prompt, completion in rows(batch, indices):
            prompt, completion = pair(prompt, completion)
            out["prompt"].append(prompt)
            out["completion"].append(completion)
        return out

    kind = _chat_feature() if conversational else Value("string")
    return ds.map(convert, batched=True, with_indices=True, remove_columns=ds.column_names,
                  features=Features({"prompt": kind, "completion": kind}), cache_file_name=scratch_file("sft-pairs"),
                  desc="formatting")


def text_or_chat(value: Any, spec: str, row: int, column: str) -> Any:
    """`value` when it is text or chat turns; a null, a number or anything else is refused naming the row
    (read as text it would train on 'None' or '5')."""
    if isinstance(value, str) or _is_messages(value):
        return value
    shown = "null" if value is None else type(value).__name__
    raise UserError(f"{spec} row {row}: '{column}' is {shown}, not text or chat turns; fix or drop that row")


def check_preferences(ds, spec: str) -> None:
    """Preference pairs as a reward model trains on them: every side text or chat turns (no null), all rows
    of one kind (text and chat cannot share a column), and a margin, where given, a number."""
    kinds = set()
    sides = [c for c in ("prompt", "chosen", "rejected") if c in ds.column_names]
    row = 0
    for batch in ds.select_columns(sides + [c for c in ("margin",) if c in ds.column_names]).iter(batch_size=1000):
        for k in range(len(batch[sides[0]])):
            for side in sides:
                kinds.add("chat" if _is_messages(text_or_chat(batch[side][k], spec, row, side)) else "text")
            margin = batch["margin"][k] if "margin" in batch else 0.0
            if isinstance(margin, bool) or not isinstance(margin, (int, float)):
                raise UserError(f"{spec} row {row}: 'margin' is {margin!r}, not a number")
            if len(kinds) > 1:
                raise UserError(f"{spec} row {row}: mixes text and chat turns (its own sides or with the rows "
                                "before it); give every row in one form")
            row += 1


def scratch_file(tag: str) -> str:
    """A fresh Arrow file in this process's temporary cache folder (deleted at exit), for `Dataset.map`.

    Kept in memory, a large set would cost its size in RAM in every rank; by default `map` writes its file
    beside the input's Arrow files, i.e. inside an upstream run's published folder, which must not change."""
    from datasets.fingerprint import get_temporary_cache_files_directory

    return str(Path(get_temporary_cache_files_directory()) / f"{tag}-{uuid.uuid4().hex}.arrow")
