import threading
import time

import pytest

import r1cli.rewards as R
from r1cli.rewards import accuracy

HANG = r"\boxed{\dfrac{5^{\left(5^{\left(5^{\left(5^5\right)}\right)} - 4\right)} - 5}{16}}"


def acc(completions, golds, **kw):
    return R.get("accuracy")(prompts=None, completions=completions, completion_ids=None, answer=golds,
                             trainer_state=None, **kw)


@pytest.mark.parametrize("completion,gold,expected", [
    ("<think>..</think><answer>\\boxed{3\\sqrt{13}}</answer>", "3\\sqrt{13}", 1.0),
    ("<think>..</think><answer>\\boxed{3}</answer>", "3\\sqrt{13}", 0.0),  # gold must not parse as 3
    ("\\boxed{\\dfrac{14}{3}}", "\\frac{14}{3}", 1.0),
    ("\\boxed{4.6667}", "\\frac{14}{3}", 0.0),
    ("The answer is \\boxed{025}", "25", 1.0),
    ("\\boxed{25}", "025", 1.0),
    ("<answer>1,000</answer>", "1000", 1.0),
    ("<answer>\\boxed{(1,2)}</answer>", "(1,2)", 1.0),
    ("<answer>\\boxed{(1,3)}</answer>", "(1,2)", 0.0),
    ("\\boxed{\\text{(B)}}", "B", 1.0),
    ("<answer>(C)</answer>", "\\text{(B)}", 0.0),
    ("\\boxed{\\frac{1}{2^{98}}}", "\\frac{1}{2^{99}}", 0.0),  # math-verify alone says equal
    ("\\boxed{\\frac{1}{2^{99}}}", "2^{-99}", 1.0),
    ("\\boxed{0.5}", "\\frac12", 1.0),
    ("<think>long thought \\boxed{7}", "7", 0.0),  # truncated
    ("no tags, answer 12", "12", 1.0),
    ("\\boxed{x^2+2x+1}", "(x+1)^2", 1.0),
    ("\\boxed{18}", "Natalia sold 48/2 = 24 clips.\n#### 18", 1.0),
])
def test_accuracy_cases(completion, gold, expected):
    assert acc([completion], [gold]) == [expected]


def test_chat_completions_and_dedup():
    chat = [[{"role": "assistant", "content": "<think>x</think><answer>\\boxed{\\pi}</answer>"}]] * 3
    assert acc(chat, ["\\pi"] * 3) == [1.0, 1.0, 1.0]


def test_unparsable_gold_is_none_and_counted():
    before = accuracy.stats["unparsable_gold"]
    assert acc(["\\boxed{1}", "\\boxed{1}"], ["", "1"]) == [None, 1.0]
    assert accuracy.stats["unparsable_gold"] == before + 1


def test_hanging_input_scores_zero_within_deadline():
    t = time.monotonic()
    out = R.verify_batch(["1", "2", "3"], [R.extract_answer(HANG)[0], "2", "\\sqrt{9}"], timeout=2.0)
    elapsed = time.monotonic() - t
    assert out == [0.0, 1.0, 1.0]
    assert elapsed < 2.0 + 1.5


def test_called_from_a_thread():
    box = {}

    def run():
        box["out"] = acc(["\\boxed{\\sqrt{2}/2}", "\\boxed{2}"], ["\\frac{\\sqrt2}{2}", "3"])

    th = threading.Thread(target=run)
    th.start()
    th.join(60)
    assert box["out"] == [1.0, 0.0]


def test_equivalence_classes():
    answers = ["025", "25", "\\frac12", "0.5", None, "\\sqrt{2}", "2^{1/2}", "7", "(B)", "\\text{B}"]
    assert R.equivalence_classes(answers) == [0, 0, 1, 1, 2, 3, 3, 4, 5, 5]


def test_score_uses_row_reward():
    comps = ["\\boxed{4}", "<answer>(1 + 2) * 3</answer>", "<answer>1 + 2 + 3</answer>"]
    out = R.score(comps, ["4", None, None], reward=["accuracy", "countdown", "countdown"],
                  numbers=[None, [1, 2, 3], [1, 2, 3]], target=[None, 9, 9])
    assert out == [1.0, 1.0, 0.0]
    assert R.score(["\\boxed{5}"], ["6"]) == [0.0]


def test_accuracy_timeout_is_configurable_by_spec():
    (_, fn, _), = R.parse_specs(["accuracy(timeout=1.5)"])
    t = time.monotonic()
    assert fn(completions=[HANG, "\\boxed{2}"], answer=["1", "2"]) == [0.0, 1.0]
    assert time.monotonic() - t < 1.5 + 1.5
