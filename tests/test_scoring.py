"""r1cli.scoring: per-sample verdicts on hand-written strings, the text a sample is judged on, vote labels, and
a benchmark's results checked against the metric definitions applied to hand-judged samples."""

from __future__ import annotations

import pytest

from r1cli import metrics, scoring
from r1cli.generation.base import Completion
from r1cli.scoring import Problem

# text, gold, finish reason -> expected (extracted, truncated, correct, reason), all decided by hand
CASES = [
    ("\\boxed{\\frac{1}{2}}", "0.5", "stop", ("\\frac{1}{2}", False, 1.0, "correct")),
    ("Some work. \\boxed{3}", "2", "stop", ("3", False, 0.0, "wrong")),
    # cut at the token limit right after a correct answer: right, but truncated (no vote, not kept)
    ("\\boxed{2} and then", "2", "length", ("2", True, 1.0, "truncated")),
    # an unclosed <think> has no answer, whatever it boxed while thinking
    ("<think>maybe \\boxed{2}", "2", "stop", (None, True, 0.0, "truncated")),
    # r1-zero tags: the answer is inside <answer>; one left open is truncated
    ("<think>2+2</think> <answer>4</answer>", "4", "stop", ("4", False, 1.0, "correct")),
    ("<think>2+2</think> <answer>4", "4", "stop", (None, True, 0.0, "truncated")),
    ("<think>2+2 is 4</think><answer>5</answer>", "4", "stop", ("5", False, 0.0, "wrong")),
    # answerless: nothing after the thinking, or nothing at all
    ("<think>I give up</think>", "4", "stop", (None, False, 0.0, "no_answer")),
    ("", "4", "stop", (None, False, 0.0, "no_answer")),
    # a prefilled "<think>\n" closed by the model: the answer follows </think>
    ("<think>\nok</think> The answer is 7.", "7", "stop", ("7", False, 1.0, "correct")),
    # an empty gold answer gives the reward nothing to judge against
    ("\\boxed{7}", "", "stop", ("7", False, 0.0, "unscorable")),
]


@pytest.mark.parametrize("text,gold,finish,expected", CASES)
def test_verdict_of_one_sample(text, gold, finish, expected):
    (v,) = scoring.verdicts([text], [gold], [finish])
    assert (v.extracted, v.truncated, v.correct, v.reason) == expected
    assert v.reason in scoring.REASONS
    assert v.has_answer == (expected[0] is not None)
    assert v.votes == (not expected[1] and expected[0] is not None)


def test_one_batch_equals_one_call_per_sample():
    texts, golds, finish = zip(*[(t, g, f) for t, g, f, _ in CASES], strict=True)
    assert scoring.verdicts(texts, golds, finish) == [
        v for t, g, f in zip(texts, golds, finish, strict=True) for v in scoring.verdicts([t], [g], [f])]


def test_rows_with_their_own_reward_column():
    # countdown rows are judged by countdown (numbers used once, value = target), the other row by accuracy
    texts = ["<answer>(3+5)*4</answer>", "<answer>32</answer>", "<answer>(3+5)*4</answer>", "\\boxed{32}"]
    judged = scoring.verdicts(texts, ["32"] * 4, reward=["countdown", "countdown", "countdown", None],
                              numbers=[[3, 5, 4], [3, 5, 4], [3, 5, 5], None], target=[32, 32, 32, None])
    assert [v.correct for v in judged] == [1.0, 0.0, 0.0, 1.0]
    assert [v.reason for v in judged] == ["correct", "wrong", "wrong", "correct"]
    assert [v.extracted for v in judged] == ["(3+5)*4", "32", "(3+5)*4", "32"]


def test_missing_finish_reasons_count_as_stop():
    assert scoring.verdicts(["\\boxed{1}"], ["1"]) == scoring.verdicts(["\\boxed{1}"], ["1"], ["stop"])


@pytest.mark.parametrize("completion,prefill,finish,stop,expected", [
    ("x</think> <answer>4", "<think>\n", "stop", ["</answer>"], "<think>\nx</think> <answer>4</answer>"),
    ("x</think> <answer>4", "", "length", ["</answer>"], "x</think> <answer>4"),  # cut by the limit: stays open
    ("<answer>4", "", "stop", [], "<answer>4"),  # no stop string was asked for: the model left it open
    ("<answer>4</answer>", "", "stop", ["</answer>"], "<answer>4</answer>"),
])
def test_scored_text(completion, prefill, finish, stop, expected):
    assert scoring.scored_text(completion, prefill, finish, stop) == expected


def test_problem_from_completions():
    row = {"id": 3, "prompt": "2+2?", "answer": "4", "subject": "Algebra"}
    comps = [Completion("<answer>4", 5, "stop"), Completion("<answer>4", 9, "length")]
    p = Problem.from_completions(row, comps, prefill="<think>\n", stop=["</answer>"])
    assert (p.id, p.prompt, p.gold, p.extras) == ("3", "2+2?", "4", {"subject": "Algebra"})
    assert p.texts == ["<think>\n<answer>4</answer>", "<think>\n<answer>4"]
    assert (p.tokens, p.finish) == ([5, 9], ["stop", "length"])
    assert [v.reason for v in scoring.score([p])[0]] == ["correct", "truncated"]


def test_vote_labels_group_equivalent_answers_and_skip_non_voters():
    texts = ["\\boxed{0.5}", "\\boxed{1/2}", "\\boxed{\\frac12}", "", "\\boxed{3}", "<think>\\boxed{3}"]
    finish = ["stop", "length", "stop", "stop", "stop", "stop"]
    judged = scoring.verdicts(texts, ["1/2"] * 6, finish)
    assert scoring.vote_labels(judged) == [0, None, 0, None, 1, None]
    assert scoring.vote_labels(judged[3:4]) == [None]


def _problem(pid, gold, texts, finish=None, tokens=None, **extras) -> Problem:
    return Problem(id=pid, prompt="", gold=gold, extras=extras, texts=texts,
                   tokens=tokens or [len(t) for t in texts], finish=finish or ["stop"] * len(texts))


def test_summarize_applies_the_metric_definitions():
    problems = [
        _problem("a", "2", ["\\boxed{2}", "\\boxed{3}", "\\boxed{3}", "<think>\\boxed{2}"], subject="Algebra"),
        _problem("b", "5", ["\\boxed{5}", "\\boxed{5}", "\\boxed{4}", "\\boxed{5}"], ["stop", "length", "stop", "stop"],
                 subject="Geometry"),
        _problem("c", "1", ["", "\\boxed{1}", "\\boxed{1}", "\\boxed{2}", "\\boxed{2}"], subject="Algebra"),
    ]
    # judged by hand: correctness, truncation and vote labels (equal answers share a label; None: no vote)
    correct = [[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0]]
    truncated = [[False, False, False, True], [False, True, False, False], [False] * 5]
    votes = [[0, 1, 1, None], [0, None, 1, 0], [None, 0, 0, 1, 1]]
    tokens = [p.tokens for p in problems]

    res = scoring.summarize(problems, scoring.score(problems), 4)
    # no sample is in the R1 layout (a think block, then a summary): none is readable
    assert res["metrics"] == {**metrics.summarize(correct, votes, truncated, tokens, 4), "readable_frac": 0.0,
                              "mixed_frac": 0.0}
    assert (res["num_problems"], res["num_samples"]) == (3, 4)
    # a: 3 beats 2 -> wrong; b: 5 wins -> right; c: 1-1 tie goes to the earlier 1 -> right
    assert res["metrics"]["cons@4"] == pytest.approx(2 / 3)
    assert res["breakdown"] == {"subject": {
        "Algebra": {"num_problems": 2, "pass@1": (1 / 4 + 2 / 5) / 2, "cons@4": 0.5},
        "Geometry": {"num_problems": 1, "pass@1": 3 / 4, "cons@4": 1.0}}}


def test_readable_frac_is_the_share_of_samples_in_the_readable_r1_layout():
    readable = "<think>\nAdd first: 3+5=8, then 8*4=32.\n</think>\n\nThe answer is $\\boxed{32}$."
    zero = "<think>\n3+5=8\n8*4=32\n</think>\n<answer>32</answer>"
    problems = [_problem("a", "32", [readable, zero]), _problem("b", "32", [readable, "32"])]
    res = scoring.summarize(problems, scoring.score(problems), 2)
    assert res["metrics"]["readable_frac"] == 2 / 4


def test_mixed_frac_is_the_share_of_samples_whose_reasoning_mixes_languages():
    english = "<think>First we add the two numbers, then we multiply the result by four.</think><answer>32</answer>"
    mixing = ("<think>First we add the two numbers. Ensuite on multiplie le résultat par quatre, ce qui donne "
              "trente-deux.</think><answer>32</answer>")
    problems = [_problem("a", "32", [english, mixing]), _problem("b", "32", [mixing, "32"])]
    res = scoring.summarize(problems, scoring.score(problems), 2)
    assert res["metrics"]["mixed_frac"] == 2 / 4


def test_unknown_token_counts_give_no_mean():
    problems = [_problem("a", "1", ["\\boxed{1}"], tokens=[None])]
    assert scoring.summarize(problems, scoring.score(problems), 1)["metrics"]["mean_completion_tokens"] is None


def _program(code: str) -> str:
    return f"<think>first try:\n```python\nprint(0)\n```\n</think>\n```python\n{code}\n```"


ECHO_TESTS = [{"input": "1\n", "output": "1\n"}, {"input": "2\n", "output": "2\n"}]


def test_a_program_is_correct_only_when_it_passes_all_tests():
    texts = [_program("print(input())"), _program("print(1)"), "<think>no code</think> 42",
             _program("print(input())")]
    got = scoring.verdicts(texts, ["", "", "", ""], ["stop", "stop", "stop", "length"],
                           tests=[ECHO_TESTS] * 4, reward=[None, "code", None, None])
    assert [(v.correct, v.reason) for v in got] == [(1.0, "correct"), (0.0, "failed_tests"), (0.0, "no_answer"),
                                                   (1.0, "truncated")]
    assert got[0].extracted == "print(input())\n" and got[1].behaviour == ("1", "1")
    assert not metrics.solved(0.5) and metrics.solved(1.0)


def test_programs_vote_by_behaviour_on_the_tests():
    # two different texts that behave alike (up to trailing spaces) outvote one other program; the class's
    # earliest program decides
    texts = [_program("print(1)"), _program("print(input())"), _program("x = input()\nprint(x + '  ')"),
             _program("while True: pass")]
    p = Problem("p", "echo", "", {"tests": ECHO_TESTS}, texts, [5] * 4, ["stop"] * 4)
    judged = scoring.score([p])
    labels = scoring.vote_labels(judged[0])
    assert labels[1] == labels[2] != labels[0] and labels[3] not in (labels[0], labels[1])
    summary = scoring.summarize([p], judged, 4)["metrics"]
    assert summary["cons@4"] == 1.0 and summary["pass@1"] == 0.5
