"""Bad-file diagnosis: what is wrong with a data file, said as one line with its line number.

The datasets readers fail on a bad row with their internals (or, for some JSON lines, crash the process);
these checks find the problem first, or explain the reader's failure afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path


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
