"""task:arith's worded and language-mixing teachers (the other keys are tested in tests/test_data.py)."""

from __future__ import annotations

import re

import pytest

from r1cli import data
from r1cli.errors import UserError
from r1cli.rewards.language import language_share, mixes_languages

FRENCH = re.compile(r"\b(on|les deux|D'abord|Ensuite)\b")


def test_worded_steps_say_what_the_teacher_computed_in_english():
    ds = data.load("task:arith?n=200&steps=3&slip=0.5&paren=0.5&prose=1&seed=3")
    assert any(r["response_answer"] != r["answer"] for r in ds)  # slipped teachers are worded too
    for r in ds:
        lines = r["solution"].splitlines()
        assert len(lines) == 3 and all(line.startswith(("First we ", "Then we ")) for line in lines)
        assert not FRENCH.search(r["solution"]) and language_share(r["solution"], "en") == 1.0
        # each step ends on its result, the last on the teacher's answer; a right teacher's steps chain (a
        # slipped one multiplies first, out of order)
        results = [re.search(r"(-?\d+)\.$", line).group(1) for line in lines]
        assert results[-1] == r["response_answer"]
        if r["response_answer"] == r["answer"] == str(eval(r["prompt"])):
            for result, following in zip(results, lines[1:], strict=False):
                assert result in re.findall(r"-?\d+", following)


def test_a_share_of_worded_solutions_alternates_english_and_french_steps():
    ds = data.load("task:arith?n=600&steps=2&prose=0.8&mix=0.5&seed=3")
    worded = [r["solution"] for r in ds if re.search("[a-z]", r["solution"])]
    mixed = [s for s in worded if FRENCH.search(s)]
    assert 0.7 < len(worded) / len(ds) < 0.9 and 0.4 < len(mixed) / len(worded) < 0.6
    for s in mixed:  # one step in each language, in either order
        assert sum(bool(FRENCH.search(line)) for line in s.splitlines()) == 1
    # the language reward's identification tells them apart although both are in Latin script
    assert all(mixes_languages(s, "en") for s in mixed)
    assert not any(mixes_languages(s, "en") for s in worded if s not in mixed)


def test_flat_problems_leave_out_the_shape_the_slip_gets_wrong():
    plain, flat = (data.load(f"task:arith?n=300&steps=2&slip=1{key}&seed=5") for key in ("", "&flat=1"))
    assert sum("(" in r["prompt"] for r in plain) > 30  # the shape arises by itself about 1 time in 5
    assert not any("(" in r["prompt"] for r in flat)
    # a slipping teacher is right on every flat problem: precedence never changes their answer
    assert all(r["response_answer"] == r["answer"] for r in flat)
    assert any(r["response_answer"] != r["answer"] for r in plain)


@pytest.mark.parametrize("spec, match", [("task:arith?style=word&prose=0.5", "'prose'"),
                                         ("task:arith?flat=1&paren=0.5", "contradict"),
                                         ("task:arith?mix=0.5", "needs 'prose'"),
                                         ("task:arith?prose=2", "at most 1")])
def test_bad_keys(spec, match):
    with pytest.raises(UserError, match=match):
        data.load(spec)
