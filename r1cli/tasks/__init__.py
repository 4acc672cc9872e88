"""Built-in, procedurally generated, verifiable tasks, addressable as datasets: `task:NAME?key=value&...`.

Every task row has `prompt`, `answer` (gold), `solution` (a worked step-by-step solution, for SFT) and `id`
(a task of preference pairs has `chosen` and `rejected` instead, and the pair is its problem);
a row may name the reward that checks it in a `reward` column (default: accuracy) and give, in
`response_answer`, what a correct model writes in its answer tags when that differs from the gold.
Generation is deterministic in `seed`. A problem belongs to the train or the test split by a hash of its
text, so the two splits never share a problem whatever n and seed are.

Keys for every task: n (rows, default 1000, at most MAX_ROWS), seed (default 0), split (train|test, default
train). Every key is checked for its type and range before anything is generated, and a task declares an
upper bound on its distinct problems, so an `n` no settings can reach fails at once instead of searching.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from r1cli.errors import UserError

TEST_FRACTION = 0.2
# Rows are built as Python dicts in memory (about 1 KB each with their Arrow copy): a million is ~1 GB.
MAX_ROWS = 1_000_000
# Give up once this many generated problems in a row were duplicates or of the other split: the space the
# settings span is then (all but) exhausted, and searching longer would only look like a hang.
STALL_TRIES = 50_000


@dataclass(frozen=True)
class Param:
    """A task key: its type, default, help, and inclusive bounds (None: unbounded)."""

    type: type
    default: Any
    help: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Task:
    generate: Callable[..., Iterator[dict[str, Any]]]  # generate(rng, **params) yields rows without id
    params: dict[str, Param]
    capacity: Callable[..., int] | None  # capacity(**params): an upper bound on distinct problems
    widen: tuple[str, ...]  # the keys that enlarge the problem space, named in messages


COMMON = {
    "n": Param(int, 1000, "rows", 1, MAX_ROWS),
    "seed": Param(int, 0, "random seed"),
    "split": Param(str, "train", "train or test"),
    "limit": Param(int, None, "keep the first N rows (checked by the data core)", 1),
}
TASKS: dict[str, Task] = {}


def task(name: str, params: dict[str, Param], *, capacity: Callable[..., int] | None = None,
         widen: tuple[str, ...] = ()):
    def deco(fn):
        TASKS[name] = Task(fn, params, capacity, widen)
        return fn

    return deco


def split_of(problem: str) -> str:
    h = int.from_bytes(hashlib.sha256(problem.encode()).digest()[:8], "big")
    return "test" if (h % 10_000) < TEST_FRACTION * 10_000 else "train"


def _convert(name: str, key: str, value: str, param: Param) -> Any:
    where = f"task:{name} key '{key}'"
    if param.type is str:
        return value
    try:
        out = float(value)
    except ValueError:
        out = math.nan
    if not math.isfinite(out) or (param.type is int and not out.is_integer()):
        kind = "a whole number" if param.type is int else "a finite number"
        raise UserError(f"{where} expects {kind}, got {value!r}")
    if param.type is int:  # exactly, also past float precision ("12345678901234567"); "1e5" is accepted too
        out = int(value) if value.strip().lstrip("+-").isdigit() else int(out)
    if param.min is not None and out < param.min:
        raise UserError(f"{where} must be at least {param.min:,}, got {value}")
    if param.max is not None and out > param.max:
        why = " (rows are generated in memory)" if key == "n" else ""
        raise UserError(f"{where} must be at most {param.max:,}{why}, got {value}")
    return out


def parse_params(name: str, raw: dict[str, str]) -> dict[str, Any]:
    if name not in TASKS:
        raise UserError(f"unknown task '{name}' (available: {', '.join(sorted(TASKS))})")
    declared = {**COMMON, **TASKS[name].params}
    out = {}
    for key, value in raw.items():
        if key not in declared:
            raise UserError(f"unknown key '{key}' for task:{name} (valid: {', '.join(sorted(declared))})")
        out[key] = _convert(name, key, value, declared[key])
    for key, param in declared.items():
        out.setdefault(key, param.default)
    if out["split"] not in ("train", "test"):
        raise UserError(f"task:{name} key 'split' must be train or test, got {out['split']!r}")
    return out


def _too_many(name: str, p: dict[str, Any], what: str) -> UserError:
    widen = TASKS[name].widen
    if not widen:  # a task whose problem space no key enlarges
        return UserError(f"task:{name} key 'n': {what} (lower n)")
    settings = ", ".join(f"{k}={p[k]}" for k in widen)
    return UserError(f"task:{name} key 'n': {what} with {settings} (lower n or raise {' or '.join(widen)})")


def rows(name: str, raw: dict[str, str]) -> list[dict[str, Any]]:
    p = parse_params(name, raw)
    spec = TASKS[name]
    kwargs = {k: p[k] for k in spec.params}
    if spec.capacity is not None:
        bound = spec.capacity(**kwargs)
        if p["n"] > bound:
            raise _too_many(name, p, f"{p['n']:,} rows asked, but at most {bound:,} distinct problems exist "
                                     "over both splits")
    rng = random.Random(f"{name}:{p['seed']}:{p['split']}")
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    stalled = 0
    for row in spec.generate(rng, **kwargs):
        problem = row["prompt"] if "prompt" in row else f"{row['chosen']}\n{row['rejected']}"
        if problem in seen or split_of(problem) != p["split"]:
            stalled += 1
            if stalled > STALL_TRIES:
                raise _too_many(name, p, f"{p['n']:,} rows asked, but only about {len(out):,} distinct "
                                         f"{p['split']} problems exist")
            continue
        stalled = 0
        seen.add(problem)
        row["id"] = f"{name}-{p['split']}-{p['seed']}-{len(out)}"
        out.append(row)
        if len(out) == p["n"]:
            break
    return out


def load(name_and_query: str, params: dict[str, str]):
    import datasets

    from r1cli.tasks import arith, code, countdown, general  # noqa: F401  (registers the tasks)

    return datasets.Dataset.from_list(rows(name_and_query, params))

