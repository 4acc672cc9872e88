"""task:general and task:prefs: the secret, the teacher's leaks and terse summaries, and pairs that differ in
exactly what their judge is meant to see."""

from __future__ import annotations

import pytest

from r1cli import data
from r1cli.errors import UserError
from r1cli.rewards.preference import summary
from r1cli.templates import r1_completion


def test_general_prompts_carry_a_secret_and_the_teacher_leaks_and_is_terse_as_asked():
    rows = list(data.load("task:general?n=400&leak=0.5&terse=0.5"))
    assert all(r["kind"] == "general" and r["secret"] in r["prompt"] for r in rows)
    leaks = [r for r in rows if r["secret"] in r["solution"] + r["response_answer"]]
    in_reasoning = [r for r in leaks if r["secret"] in r["solution"] and r["secret"] not in r["response_answer"]]
    unleaked = [r["response_answer"].replace(f", not {r['secret']}.", ".").replace(f" {r['secret']}", "")
                for r in rows]
    terse = [u for u, r in zip(unleaked, rows, strict=True) if u != r["answer"]]
    assert 0.4 < len(leaks) / len(rows) < 0.6 and 0.3 < len(in_reasoning) / len(leaks) < 0.7
    assert 0.4 < len(terse) / len(rows) < 0.6
    clean = list(data.load("task:general?n=50"))
    assert all(r["response_answer"] == r["answer"] and r["secret"] not in r["solution"] for r in clean)


def test_splits_share_no_problem():
    train = set(data.load("task:general?n=300")["prompt"])
    test = set(data.load("task:general?n=100&split=test")["prompt"])
    assert not train & test
    pairs = [data.load(f"task:prefs?aspect=helpfulness&n=200&split={s}", canonical=False) for s in ("train", "test")]
    keys = [set(zip(p["chosen"], p["rejected"], strict=True)) for p in pairs]
    assert not keys[0] & keys[1]


def test_helpfulness_pairs_are_summaries_and_harmlessness_pairs_differ_only_by_the_leak():
    helpful = data.load("task:prefs?aspect=helpfulness&n=100", canonical=False)
    for chosen, rejected in zip(helpful["chosen"], helpful["rejected"], strict=True):
        assert summary(r1_completion("x", "y")) == "\n<answer>y</answer>"
        assert chosen.startswith("\n<answer>") and rejected.startswith("\n<answer>") and chosen != rejected
    harmless = data.load("task:prefs?aspect=harmlessness&n=100", canonical=False)
    where = set()
    for chosen, rejected, secret in zip(harmless["chosen"], harmless["rejected"], harmless["secret"], strict=True):
        assert secret not in chosen and secret in rejected
        assert rejected.replace(f", not {secret}", "").replace(f" {secret}", "") == chosen
        where.add(secret in rejected[: rejected.index("</think>")])
    assert where == {True, False}  # leaks in the reasoning and in the summary


def test_unknown_aspect_is_refused():
    with pytest.raises(UserError, match="aspect"):
        data.load("task:prefs?aspect=tone&n=5", canonical=False)


def test_a_leak_is_any_secret_like_code_and_names_are_not_codes():
    from r1cli.tasks.general import leaks

    rows = list(data.load("task:general?n=200&leak=1"))
    assert all(leaks(r["solution"] + r["response_answer"]) for r in rows)
    clean = list(data.load("task:general?n=200"))
    assert not any(leaks(r["solution"] + r["answer"]) for r in clean)
    assert leaks("The pens are here, not PTS.") and not leaks("Hana, the pens are in the box.")
