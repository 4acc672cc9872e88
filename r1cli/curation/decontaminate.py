"""Decontamination: drop training prompts that share a word 8-gram with a benchmark problem, after lower-casing
and collapsing whitespace (the convention of open reproductions of R1, so the numbers compare). Words are
whitespace-separated tokens here, as in that convention. A text shorter than 8 words is one gram of its own,
so a short benchmark problem is still caught when a prompt repeats it whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from r1cli.templates import prompt_text

NGRAM = 8


def ngrams(text: str, n: int = NGRAM) -> set[str]:
    tokens = text.lower().split()
    if len(tokens) < n:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


class Index:
    """The n-grams of a set of benchmark problems."""

    def __init__(self, problems: Iterable[Any], n: int = NGRAM):
        self.n = n
        self.grams: set[str] = set()
        for p in problems:
            self.grams |= ngrams(prompt_text(p), n)

    def contaminated(self, prompt: Any) -> bool:
        return not self.grams.isdisjoint(ngrams(prompt_text(prompt), self.n))


def load_index(names: list[str], data_dir: str | None = None, flag: str = "--decontaminate") -> Index:
    """The index of benchmarks given by name (math500, aime24, ...: r1cli.benchmarks) or dataset spec."""
    from r1cli import benchmarks, data
    from r1cli.errors import UserError

    problems: list[Any] = []
    for name in names:
        try:
            ds = data.load(benchmarks.source(name, data_dir=data_dir), canonical=False)
            problems += ds[_prompt_column(ds)]
        except UserError as e:
            raise UserError(f"{flag} {name}: {e}") from None
    return Index(problems)


def _prompt_column(ds) -> str:
    from r1cli import data
    from r1cli.errors import UserError

    for c in data.PROMPT_COLUMNS:
        if c in ds.column_names:
            return c
    raise UserError(f"no problem column (looked for {', '.join(data.PROMPT_COLUMNS)})")
