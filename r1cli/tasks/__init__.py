"""Built-in, procedurally generated, verifiable tasks, addressable as datasets: `task:NAME?key=value&...`.

Every task row has `prompt`, `answer` (gold), `solution` (a worked step-by-step solution, for SFT) and `id`;
a row may name the reward that checks it in a `reward` column (default: accuracy) and give, in
`response_answer`, what a correct model writes in its answer tags when that differs from the gold.
Generation is deterministic in `seed`. A problem belongs to the train or the test split by a hash of its
text, so the two splits never share a problem whatever n and seed are.

Keys for every task: n (rows, default 1000), seed (default 0), split (train|test, default train).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from typing import Any

from r1cli.errors import UserError

TEST_FRACTION = 0.2
# name -> (generator(rng, **params) yielding rows without id, {param: (type, default, help)})
TASKS: dict[str, tuple[Callable[..., Iterator[dict[str, Any]]], dict[str, tuple[type, Any, str]]]] = {}


def task(name: str, params: dict[str, tuple[type, Any, str]]):
    def deco(fn):
        TASKS[name] = (fn, params)
        return fn

    return deco


def split_of(problem: str) -> str:
    h = int.from_bytes(hashlib.sha256(problem.encode()).digest()[:8], "big")
    return "test" if (h % 10_000) < TEST_FRACTION * 10_000 else "train"


def parse_params(name: str, raw: dict[str, str]) -> dict[str, Any]:
    if name not in TASKS:
        raise UserError(f"unknown task '{name}' (available: {', '.join(sorted(TASKS))})")
    declared = {"n": (int, 1000, ""), "seed": (int, 0, ""), "split": (str, "train", ""), "limit": (int, 0, "")}
    declared.update(TASKS[name][1])
    out = {}
    for key, value in raw.items():
        if key not in declared:
            raise UserError(f"unknown key '{key}' for task:{name} (valid: {', '.join(sorted(declared))})")
        tp = declared[key][0]
        try:
            out[key] = tp(value)
        except ValueError:
            raise UserError(f"task:{name} key '{key}' expects {tp.__name__}, got {value!r}") from None
    for key, (_, default, _) in declared.items():
        out.setdefault(key, default)
    if out["split"] not in ("train", "test"):
        raise UserError(f"task split must be train or test, got {out['split']!r}")
    return out


def rows(name: str, raw: dict[str, str]) -> list[dict[str, Any]]:
    p = parse_params(name, raw)
    gen, declared = TASKS[name]
    kwargs = {k: p[k] for k in declared}
    rng = random.Random(f"{name}:{p['seed']}:{p['split']}")
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    attempts = 0
    for row in gen(rng, **kwargs):
        attempts += 1
        if attempts > 200 * p["n"] + 10_000:
            raise UserError(f"task:{name} has fewer than {p['n']} distinct {p['split']} problems "
                            "with these settings (lower n or widen the ranges)")
        if row["prompt"] in seen or split_of(row["prompt"]) != p["split"]:
            continue
        seen.add(row["prompt"])
        row["id"] = f"{name}-{p['split']}-{p['seed']}-{len(out)}"
        out.append(row)
        if len(out) == p["n"]:
            break
    return out


def load(name_and_query: str, params: dict[str, str]):
    import datasets

    from r1cli.tasks import arith, countdown  # noqa: F401  (registers the tasks)

    return datasets.Dataset.from_list(rows(name_and_query, params))

