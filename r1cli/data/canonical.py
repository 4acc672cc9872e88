"""Canonical columns: any dataset renamed into prompt/answer/solution/id, with the GSM8K and MATH answer rules."""

from __future__ import annotations

import re
import string
from typing import Any

from r1cli.data.files import scratch_file
from r1cli.errors import UserError
from r1cli.rewards.code_tests import has_tests
from r1cli.rewards.extract import last_boxed  # the same \boxed{} reader the rewards use

PROMPT_COLUMNS = ("prompt", "problem", "question", "input", "instruction", "query", "question_content")
SOLUTION_COLUMNS = ("solution", "response", "output", "completion")
ID_COLUMNS = ("id", "unique_id", "idx", "problem_id")


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
    tested = has_tests(cols)  # a code row's tests are its gold: it needs no answer
    if answer is None and solution is None and require_answer and not tested:
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
    if bad == len(ds) and require_answer and not tested:
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


def is_messages(value) -> bool:
    """Whether a prompt or completion value is chat turns (a list of role/content dicts)."""
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict) and "role" in value[0]


def text_or_chat(value: Any, spec: str, row: int, column: str) -> Any:
    """`value` when it is text or chat turns; a null, a number or anything else is refused naming the row
    (read as text it would train on 'None' or '5')."""
    if isinstance(value, str) or is_messages(value):
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
                kinds.add("chat" if is_messages(text_or_chat(batch[side][k], spec, row, side)) else "text")
            margin = batch["margin"][k] if "margin" in batch else 0.0
            if isinstance(margin, bool) or not isinstance(margin, (int, float)):
                raise UserError(f"{spec} row {row}: 'margin' is {margin!r}, not a number")
            if len(kinds) > 1:
                raise UserError(f"{spec} row {row}: mixes text and chat turns (its own sides or with the rows "
                                "before it); give every row in one form")
            row += 1
