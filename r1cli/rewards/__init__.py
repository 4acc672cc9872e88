"""Rewards for GRPO and evaluation, with TRL's reward-function contract:

    f(prompts=..., completions=..., completion_ids=..., **dataset_columns) -> list[float | None]

Completions may be strings or chat messages. Every reward is registered by name in REGISTRY
(the only list of names); `parse_specs` turns CLI specs such as ["accuracy", "format:0.5",
"soft_overlong(max_len=2048,cache_len=256):0.5"] into (name, function, weight) triples.

`names()` (and `r1 grpo --help`) lists them. Every module of this package is imported (and its rewards
register) on the first lookup in the registry or the first use of a name below that lives in one, so
importing one helper module of this package (e.g. `r1cli.rewards.extract`) registers nothing. math-verify and sympy are imported
only inside the verifier worker processes, so even the full registry is cheap.
"""

from __future__ import annotations

from r1cli.rewards import registry
from r1cli.rewards.extract import completion_text, extract_answer
from r1cli.rewards.registry import get, measures_correctness, names, parse_specs, register

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
    "correctness",
    "completion_text",
    "row_rewards",
    "answer_of",
]


def __getattr__(name: str):
    """REGISTRY (complete), verify_batch and equivalence_classes, importing the reward modules on first use."""
    if name == "REGISTRY":
        return registry.load_all()
    if name in ("verify_batch", "equivalence_classes"):
        from r1cli.rewards import accuracy

        return getattr(accuracy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def score(completions, golds, reward_names_per_row=None, **columns) -> list[float]:
    """Correctness of each completion against its gold (see `correctness`); no verdict (None) counts as 0.0."""
    values = correctness(completions, golds, reward_names_per_row, **columns)
    return [0.0 if v is None else v for v in values]


def check_row_rewards(ds, spec: str) -> None:
    """Refuse, before any work, a dataset whose `reward` column names a reward that is not registered: each
    row is verified by the reward it names, and an unknown one would fail only when its samples are scored."""
    from r1cli.errors import UserError

    if "reward" not in ds.column_names:
        return
    known = set(names())
    unknown = sorted({str(n) for n in ds["reward"] if n} - known)
    if unknown:
        raise UserError(f"{spec}: its 'reward' column names unknown reward(s) {', '.join(unknown[:3])} "
                        f"(known: {', '.join(sorted(known))}); fix the rows or pass --reward NAME")


def row_rewards(n: int, reward=None, choices=None) -> list[str]:
    """Each row's correctness reward: its own `reward` column, else `choice` where it carries its options
    (`choices`), else accuracy."""
    reward = reward if isinstance(reward, (list, tuple)) else [None] * n
    choices = choices if isinstance(choices, (list, tuple)) else [None] * n
    return [r or ("choice" if c else "accuracy") for r, c in zip(reward, choices, strict=True)]


def answer_of(text, reward: str = "accuracy") -> tuple[str | None, bool]:
    """(the answer `reward` judges in a completion, truncated): the math answer unless the reward reads its own
    (multiple choice reads a letter)."""
    registry.load_all()
    return registry.EXTRACTORS.get(reward, extract_answer)(text)


def correctness(completions, golds, reward_names_per_row=None, **columns) -> list[float | None]:
    """Correctness of each completion against its gold, with the row's reward (`row_rewards`: default
    accuracy, choice for rows with options; a column `reward` or `reward_names_per_row` may name another, e.g.
    countdown). None where the reward gives no verdict (e.g. a gold answer that cannot be parsed)."""
    n = len(completions)
    row_names = reward_names_per_row or row_rewards(n, columns.pop("reward", None), columns.get("choices"))
    columns.pop("reward", None)
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(row_names):
        groups.setdefault(name or "accuracy", []).append(i)
    out: list[float | None] = [0.0] * n
    for name, rows in groups.items():
        fn = get(name)
        sub = {k: [v[i] for i in rows] for k, v in columns.items() if isinstance(v, (list, tuple)) and len(v) == n}
        sub["answer"] = [golds[i] for i in rows] if golds is not None else [None] * len(rows)
        values = fn(prompts=None, completions=[completions[i] for i in rows], **sub)
        for i, v in zip(rows, values, strict=False):
            out[i] = None if v is None else float(v)
    return out
