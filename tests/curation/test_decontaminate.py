"""Benchmark decontamination by word 8-grams after lower-casing and whitespace normalisation."""

from __future__ import annotations

import json

import pytest

from r1cli.curation.decontaminate import Index, load_index, ngrams
from r1cli.errors import UserError


def test_ngrams_normalise_and_short_texts_are_one_gram():
    assert ngrams("A  b\nC", 8) == {"a b c"}
    assert len(ngrams(" ".join(map(str, range(10))), 8)) == 3


def test_planted_benchmark_problems_are_caught(shared_data):
    index = load_index(["math500"], str(shared_data))
    problems = [json.loads(line)["problem"] for line in (shared_data / "math500" / "test.jsonl").open()][:3]
    for p in problems:
        assert index.contaminated(p.upper().replace(" ", "  \n"))  # case and whitespace do not hide it
        words = p.split()
        if len(words) > 12:  # eight consecutive words inside another text are enough
            assert index.contaminated("Solve this: " + " ".join(words[2:10]) + " please.")
    assert not index.contaminated("What is the sum of the first three primes? Give a number as the answer.")
    assert index.contaminated([{"role": "user", "content": problems[0]}])  # chat prompts: the user turns


def test_short_problems_match_whole():
    index = Index(["(3+5)*4", "2+2"])
    assert index.contaminated(" (3+5)*4 ") and not index.contaminated("(3+5)*5")


def test_unknown_benchmark_names_the_flag():
    with pytest.raises(UserError, match="--decontaminate mathh500: unknown benchmark"):
        load_index(["mathh500"])
