"""Rewards for GRPO and evaluation, with TRL's reward-function contract:

    f(prompts=..., completions=..., completion_ids=..., **dataset_columns) -> list[float | None]

Completions may be strings or chat messages. Every reward is registered by name in REGISTRY
(the only list of names); `parse_specs` turns CLI specs such as ["accuracy", "format:0.5",
"soft_overlong(max_len=2048,cache_len=256):0.5"] into (name, function, weight) triples.

Registered: accuracy, format, format_prefilled, tag_count, language_consistency, soft_overlong,
repetition, cosine, code, code_binary, countdown. math-verify and sympy are imported only inside
the verifier worker processes, so importing this package is cheap.
"""

from __future__ import annotations

from r1cli.rewards import accuracy, code, countdown, formatting, language, shaping  # noqa: F401  (registers)
from r1cli.rewards.accuracy import equivalence_classes, verify_batch
from r1cli.rewards.extract import completion_text, extract_answer
from r1cli.rewards.registry import REGISTRY, get, measures_correctness, names, parse_specs, register

__all__ = [
    "REGISTRY",
    "register",
    "names",
    "get",
    "measures_correctness",
    "parse_specs",
    "extract_answer",
    "verify_batch",
    "equivalence_classes",
    "score",
    "completion_text",
]


def score(completions, golds, reward_names_per_row=None, **columns) -> list[float]:
    """Correctness of each completion against its gold, with the row's reward (default accuracy; a column
    `reward` or `reward_names_per_row` may name another, e.g. countdown). None (unparsable gold) -> 0.0."""
    n = len(completions)
    row_names = reward_names_per_row or columns.pop("reward", None) or ["accuracy"] * n
    columns.pop("reward", None)
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(row_names):
        groups.setdefault(name or "accuracy", []).append(i)
    out = [0.0] * n
    for name, rows in groups.items():
        fn = get(name)
        sub = {k: [v[i] for i in rows] for k, v in columns.items() if isinstance(v, (list, tuple)) and len(v) == n}
        sub["answer"] = [golds[i] for i in rows] if golds is not None else [None] * len(rows)
        values = fn(prompts=None, completions=[completions[i] for i in rows], **sub)
        for i, v in zip(rows, values, strict=False):
            out[i] = 0.0 if v is None else float(v)
    return out
