"""task:code: deterministic problems, disjoint splits, and a teacher whose wrong programs the real
all-or-nothing code reward tells from the right ones."""

from __future__ import annotations

import re

import pytest

from r1cli import data, tasks
from r1cli.errors import UserError
from r1cli.rewards.code import code_binary_reward
from r1cli.templates import r1_completion


def _passes(rows) -> list[float]:
    """code_binary of the teacher's completions, written as SFT writes them, on each row's hidden tests."""
    texts = [r1_completion(r["solution"], r["response_answer"]) for r in rows]
    return code_binary_reward(texts, tests=[r["tests"] for r in rows])


def _trap(prompt: str) -> bool:
    """A factor before parentheses, "3(x+2)", or inclusive bounds: where the teacher's slip changes the program."""
    return re.search(r"\d\(x|<=", prompt) is not None


def test_generation_is_deterministic_per_seed_and_the_splits_share_no_problem():
    a, b = data.load("task:code?n=300&seed=1"), data.load("task:code?n=300&seed=1")
    assert a.to_list() == b.to_list()
    assert list(data.load("task:code?n=300&seed=2")["prompt"]) != list(a["prompt"])
    test = data.load("task:code?n=300&seed=1&split=test")
    assert not set(a["prompt"]) & set(test["prompt"])
    assert {p.split("=")[0] for p in a["prompt"]} == {"f(x)", "f(xs)"}  # kind=mix draws both kinds
    assert set(a["reward"]) == {"code_binary"}


def test_the_teacher_writes_the_wrong_program_on_the_configured_share_of_trap_problems():
    # The slip is drawn for every problem, so the same seed gives the same problems whatever `slip` is.
    right = data.load("task:code?n=1000&seed=3")
    slipped = data.load("task:code?n=1000&seed=3&slip=0.6")
    assert list(right["prompt"]) == list(slipped["prompt"])
    wrong = [r["response_answer"] != s["response_answer"] for r, s in zip(right, slipped, strict=True)]
    traps = [w for w, p in zip(wrong, right["prompt"], strict=True) if _trap(p)]
    assert 0.4 < len(traps) / len(wrong) < 0.6
    assert 0.54 < sum(traps) / len(traps) < 0.66
    assert sum(wrong) == sum(traps)  # problems without a trap are always written right


def test_the_right_program_passes_its_hidden_tests_through_the_code_reward_and_the_slipped_one_fails():
    right = list(data.load("task:code?n=40&seed=4"))
    slipped = list(data.load("task:code?n=40&seed=4&slip=1"))
    assert _passes(right) == [1.0] * len(right)
    assert _passes(slipped) == [0.0 if _trap(r["prompt"]) else 1.0 for r in slipped]
    count = next(r for r in right if r["prompt"].startswith("f(xs)"))
    assert re.fullmatch(r"```python\ndef f\(xs\):\n    return sum\(.+ for x in xs\)\n```", count["response_answer"])


def test_bad_keys_fail_before_anything_is_generated():
    with pytest.raises(UserError, match="key 'kind' must be one of affine, count, mix"):
        data.load("task:code?kind=strings")
    with pytest.raises(UserError, match="'asserts' is at most 16"):
        data.load("task:code?asserts=20")
    assert len(data.load("task:code?kind=count&asserts=20&n=5")[0]["tests"][0].splitlines()) == 20


@pytest.mark.parametrize("kind", ["affine", "count", "mix"])
def test_capacity_is_an_upper_bound_on_distinct_problems(kind):
    raw = {"kind": kind, "max": "4"}
    params = tasks.parse_params("code", raw)
    bound = tasks.TASKS["code"].capacity(**{k: params[k] for k in tasks.TASKS["code"].params})
    found = 0
    for split in ("train", "test"):
        with pytest.raises(UserError, match=r"only about ([\d,]+) distinct") as err:
            tasks.rows("code", {**raw, "split": split, "n": str(bound)})
        found += int(re.search(r"only about ([\d,]+)", str(err.value)).group(1).replace(",", ""))
    assert 0 < found <= bound
