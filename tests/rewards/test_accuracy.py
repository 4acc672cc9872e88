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
    before = accuracy.stats["gold_not_math"]
    assert acc(["\\boxed{1}", "\\boxed{1}"], ["", "1"]) == [None, 1.0]
    assert accuracy.stats["gold_not_math"] == before + 1


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


# Golds that are not mathematics: prose, number words, other languages, nothing at all. A completion that
# repeats the gold word for word must not rescue them, and a number must not be marked wrong against them.
NOT_MATH = ["Answer is forty two.", "forty two", "The answer is 42", "seven", "none", "undefined", "No solution",
            "is it", "18 dollars", "\\frac{1}{2} of the cake", "四十二", "42 个", "сорок два", "?", "...", " "]
# Golds that look wordy but are mathematics (or deliberate word answers), and short letter runs read as
# products of variables.
MATH = ["5 inches", "42 apples", "infinity", "sqrt(2)", "x = 5 meters", "\\text{Evelyn}", "\\text{forty two}",
        "10 \\text{ inches}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "xy", "abc", "2k+2", "(B)", "\\pi", "π"]


@pytest.mark.parametrize("gold", NOT_MATH)
def test_gold_that_is_not_mathematics_is_not_applicable(gold):
    before = accuracy.stats["gold_not_math"]
    comps = [f"\\boxed{{{gold}}}", gold, "\\boxed{42}"]
    assert acc(comps, [gold] * 3) == [None, None, None]
    assert R.get("cosine")(completions=comps, completion_ids=[[0]] * 3, answer=[gold] * 3) == [None] * 3
    assert R.score(comps, [gold] * 3) == [0.0, 0.0, 0.0]  # not applicable never counts as correct
    assert accuracy.stats["gold_not_math"] == before + 9  # counted by accuracy, cosine and score


@pytest.mark.parametrize("gold", MATH)
def test_wordy_or_short_gold_that_is_mathematics_is_applicable(gold):
    assert acc([f"<answer>\\boxed{{{gold}}}</answer>", "\\boxed{123456}"], [gold, gold]) == [1.0, 0.0]


def test_every_shared_benchmark_gold_is_applicable_and_equals_itself(shared_data):
    from r1cli import data
    from r1cli.benchmarks import BENCHMARKS

    counts = {}
    for name, bench in BENCHMARKS.items():
        if bench.template != "math":  # code benchmarks have tests, not answers
            continue
        golds = data.load(str(shared_data / bench.file))["answer"]
        # \boxed{} around the gold keeps the text-identity shortcut out: non-number golds go through math-verify
        counts[name] = R.verify_batch(golds, [f"\\boxed{{{g}}}" for g in golds]).count(1.0)
        assert counts[name] == len(golds), name
    assert sum(counts.values()) == 1889  # gsm8k 1319 + math500 500 + aime24 30 + amc23 40


def test_not_mathematics_is_warned_once_per_process():
    import subprocess
    import sys

    code = ("import r1cli.rewards as R\n"
            "f = R.get('accuracy')\n"
            "for _ in range(3): print(f(completions=['\\\\boxed{1}'] * 2, answer=['forty two', 'seven']))\n"
            "from r1cli.rewards.accuracy import stats; print(stats['gold_not_math'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split("\n")[:4] == ["[None, None]"] * 3 + ["6"]
    assert out.stderr.count("not mathematics") == 1
