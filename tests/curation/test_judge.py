"""The judge's prompt and its strict verdict parsing, on fixed strings."""

from __future__ import annotations

import pytest

from r1cli.curation.judge import MAX_ANSWER_CHARS, build_prompt, parse_grade, parse_verdict


def test_prompt_shows_question_reference_and_answer():
    p = build_prompt("What is (3+5)*4?", "The result is \\boxed{32}.", "32")
    assert "What is (3+5)*4?" in p and "Reference answer:\n32" in p and "The result is \\boxed{32}." in p
    assert '{"verdict": "correct"}' in p and '{"verdict": "incorrect"}' in p
    assert p.index("(3+5)*4") < p.index("Reference answer") < p.index("Student's final answer")
    bare = build_prompt("Name a prime.", "7", None)
    assert "Reference answer" not in bare and "no reference answer" in bare
    assert build_prompt("Q", "7", "  ") == bare.replace("Name a prime.", "Q")
    long = build_prompt("Q", "x" * 5000 + " so 42", "42")
    assert "so 42" in long and "x" * (MAX_ANSWER_CHARS + 1) not in long


@pytest.mark.parametrize("reply, verdict", [
    ('{"verdict": "correct"}', True),
    ('{"verdict": "Incorrect"}', False),
    ('```json\n{"verdict": "correct"}\n```', True),
    ('The two answers agree.\n{"verdict": "correct"}', True),
    ("<think>32 equals 32, wait, is it incorrect? no</think>\n{\"verdict\": \"correct\"}", True),
    ("Both give 32.\nVerdict: correct", True),
    ("**incorrect**", False),
    ("Final verdict: Incorrect.", False),
    ("correct", True),
])
def test_verdicts_that_parse(reply, verdict):
    assert parse_verdict(reply) is verdict


@pytest.mark.parametrize("reply", [
    "", "The answer is not correct", "probably correct", "correct or incorrect", "It is correct.\nMaybe.",
    '{"verdict": "maybe"}', '{"verdict": true}', '{"result": "correct"}', "<think>it is correct",
    '{"verdict": "correct"} and more', "yes", "INCORRECT!!",
    '{"verdict": "not attempted"}', "Verdict: not attempted",  # a third verdict the curation judge is not offered
])
def test_anything_else_is_unparsable(reply):
    assert parse_verdict(reply) is None


def test_with_abstention_the_prompt_offers_not_attempted_and_the_grade_is_read():
    p = build_prompt("Who wrote Hamlet?", "I don't know.", "William Shakespeare", abstention=True)
    assert '{"verdict": "not attempted"}' in p and "declines" in p and "Reference answer:\nWilliam Shakespeare" in p
    assert "not attempted" not in build_prompt("Who wrote Hamlet?", "I don't know.", "William Shakespeare")
    assert [parse_grade(r) for r in ('{"verdict": "not attempted"}', "**Not attempted**", "Verdict: correct",
                                     '{"verdict": "incorrect"}', "not attempted or correct", "attempted")] == \
        ["not attempted", "not attempted", "correct", "incorrect", None, None]
