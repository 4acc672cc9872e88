"""r1 eval's inputs: a benchmark's rows (multiple-choice loaders, date windows, tests and row rewards checked
before any engine opens), a generations file's problems, and the generations rows every run writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from r1cli.scoring import Problem

GENERATION_KEYS = {"id", "prompt", "answer", "benchmark", "completions", "finish_reasons", "num_tokens"}


ID_KEYS = ("id", "task_id", "question_id")  # a generations row's id: ours, HumanEval's, LiveCodeBench's


def choice_loader(name: str) -> str | None:
    from r1cli import benchmarks

    return getattr(benchmarks.BENCHMARKS.get(name), "rows", None)


def load_benchmark(name: str, spec: str, limit: int | None, seed: int, require_answer: bool = True):
    """The benchmark's rows; a multiple-choice benchmark's hub columns become lettered options
    (r1cli.choices), shuffled with `seed` where its loader shuffles."""
    from r1cli import benchmarks, choices, data
    from r1cli.errors import UserError
    from r1cli.rewards import check_row_rewards, code_tests

    base, _ = benchmarks.named(name)
    dated = base in benchmarks.BENCHMARKS and benchmarks.BENCHMARKS[base].window is not None
    try:
        loader = choice_loader(base)
        if loader is None:  # a date window first, then the limit
            ds = data.load(spec, limit=None if dated else limit, require_answer=require_answer)
        else:
            import datasets as hf_datasets

            raw = data.load(spec, limit=limit, canonical=False)
            try:
                rows = choices.LOADERS[loader](list(raw), seed)
            except UserError as e:
                raise UserError(f"benchmark {name} ({spec}): {e}") from None
            ds = hf_datasets.Dataset.from_list(rows)
    except UserError as e:
        if base in benchmarks.BENCHMARKS and spec == benchmarks.hub_spec(base):
            hint = f"; or pass --data-dir DIR holding {benchmarks.BENCHMARKS[base].file}"
            raise UserError(f"{e}{hint}") from None
        raise
    if dated:
        ds = benchmarks.narrow(name, ds)
        ds = ds if limit is None else ds.select(range(min(limit, len(ds))))
    code_tests.check(ds, name)  # a code set's tests are read before the engine opens
    check_row_rewards(ds, f"benchmark {name}")  # and the rewards its rows name are known
    return ds


def column(ds, name: str) -> list | None:
    return list(ds[name]) if name in ds.column_names else None


def general_count(answers: list, kinds: list | None) -> tuple[int, int]:
    """(general rows, rows): general rows (kind=general, or no gold answer) are judged by reward models, as no
    rule can."""
    kinds = kinds or [None] * len(answers)
    return sum(k == "general" or not str(a or "").strip() for a, k in zip(answers, kinds, strict=True)), len(answers)


def load_generations(path: str, num_samples: int | None, limit: int | None) -> dict[str, list[Problem]]:
    """{benchmark: problems} from a generations .jsonl, benchmarks in the order they first appear, the first
    `limit` rows of each (see the module docstring)."""
    from r1cli import data
    from r1cli.errors import UserError
    from r1cli.rewards import completion_text
    from r1cli.rewards.code_tests import suite

    if not Path(path).is_file():
        raise UserError(f"generations file not found: {path} (give a .jsonl with id/answer/completions rows)")
    rows = data.read_jsonl(Path(path))
    if not rows:
        raise UserError(f"generations file {path} has no rows")
    problems: dict[str, list[Problem]] = {}
    for n, row in enumerate(rows, 1):
        name = str(row.get("benchmark") or Path(path).stem)
        if limit is not None and len(problems.get(name, ())) >= limit:
            continue
        comps = row.get("completions")
        if not isinstance(comps, list) or not comps:
            raise UserError(f"{path} row {n}: 'completions' must be a non-empty list of strings")
        k = num_samples or len(comps)
        if len(comps) < k:
            raise UserError(f"{path} row {n} has {len(comps)} completions, fewer than --num-samples {k}")
        finish = row.get("finish_reasons") or ["stop"] * len(comps)
        tokens = row.get("num_tokens") or [None] * len(comps)
        if len(finish) != len(comps) or len(tokens) != len(comps):
            raise UserError(f"{path} row {n}: finish_reasons/num_tokens must have one entry per completion")
        gold, _ = data.derive_answer(row.get("answer"), row.get("solution"))
        extras = {k: v for k, v in row.items() if k not in GENERATION_KEYS}
        try:  # a code row's tests are read now, not after the others are scored
            suite(row, row.get("prompt"))
        except UserError as e:
            raise UserError(f"{path} row {n}: {e}") from None
        problems.setdefault(name, []).append(Problem(
            id=str(next((row[c] for c in ID_KEYS if c in row), n - 1)), prompt=row.get("prompt", ""), gold=gold, extras=extras,
            texts=[completion_text(c) for c in comps[:k]], tokens=list(tokens[:k]),
            finish=[str(f) for f in finish[:k]]))
    return problems


def same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sample rows with one set of columns (benchmarks graded differently have different ones)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return [{k: row.get(k) for k in keys} for row in rows]


def as_text(prompt) -> str:
    return prompt if isinstance(prompt, str) else json.dumps(prompt, ensure_ascii=False)


def generation_row(benchmark: str, p: Problem) -> dict[str, Any]:
    return {"id": p.id, "prompt": p.prompt, "answer": p.gold, **p.extras, "benchmark": benchmark,
            "completions": p.texts, "finish_reasons": p.finish, "num_tokens": p.tokens}
