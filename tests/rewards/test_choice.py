"""The multiple-choice verifier: which letter a completion commits to, its gold letter, the reward's verdicts.
The agreement set of completion forms runs through `r1 eval --generations` in tests/stages/test_eval.py."""

import pytest

import r1cli.rewards as R
from r1cli.rewards.choice import choice_letter, gold_letter, option_texts


@pytest.mark.parametrize("text,letter", [
    ("Answer: C) 42", "C"), ("The correct option is **(B)**", "B"), ("\\boxed{\\text{(D)}}", "D"),
    ("Answer: J", "J"), ("answer: (b)", "B"),
    ("<think>\n(A) is tempting.\n</think>\nAnswer: D", "D"),  # the reasoning's letter does not count
    ("Answer: B\nOn reflection, the answer is D.", "D"),  # the last commitment wins
    ("Answer: B or C", None), ("\\boxed{A, C}", None), ("Answer: A) 2, B) 3", None),  # two letters
    ("The answer is 42.", None), ("the answer is a function of x", None),  # no letter
])
def test_committed_letter(text, letter):
    assert choice_letter(text) == (letter, False)


def test_an_unfinished_reasoning_is_truncated_without_a_letter():
    assert choice_letter("<think>It is (B), surely") == (None, True)


def test_gold_letters_from_letters_or_option_texts():
    assert [gold_letter(g) for g in ("C", "(c)", "\\text{B}", "42", "")] == ["C", "C", "B", None, None]
    assert gold_letter("Paris", ["Rome", "Paris"]) == "B"
    assert option_texts({"B": "y", "A": "x"}) == ["x", "y"] and option_texts(None) == []


def test_rows_with_options_are_scored_by_letter():
    assert R.row_rewards(3, None, [["x", "y"], None, None]) == ["choice", "accuracy", "accuracy"]
    assert R.row_rewards(2, ["countdown", None], None) == ["countdown", "accuracy"]
    values = R.correctness(["Answer: B", "Answer: A", "\\boxed{B}", "Answer: B"], ["B", "B", "2", "zz"],
                           choices=[["1", "2"], ["1", "2"], None, ["1", "2"]])
    assert values == [1.0, 0.0, 0.0, None]  # the math row reads "B" as no number; "zz" is no gold letter
    assert R.answer_of("Answer: (C) 7", "choice") == ("C", False)
    assert R.answer_of("Answer: (C) 7") == ("(C) 7", False)
