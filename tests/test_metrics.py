"""r1cli.metrics: pass@k, majority vote, standard error, checked against hand computations."""

from __future__ import annotations

import math

import pytest

from r1cli import metrics


@pytest.mark.parametrize("n,c,k,expected", [
    (4, 1, 1, 0.25), (4, 1, 2, 0.5), (4, 1, 4, 1.0),
    (4, 0, 1, 0.0), (4, 4, 1, 1.0), (4, 2, 2, 1 - 1 / 6), (4, 2, 3, 1.0),
    (64, 1, 1, 1 / 64), (64, 1, 64, 1.0), (10, 3, 5, 1 - math.comb(7, 5) / math.comb(10, 5)),
])
def test_pass_at_k_by_hand(n, c, k, expected):
    assert metrics.pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_is_stable_for_large_n():
    # C(1024, 512) overflows a float; the exact integer form does not care.
    value = metrics.pass_at_k(1024, 1, 512)
    assert value == pytest.approx(0.5)
    assert 0 < metrics.pass_at_k(2000, 1, 1) < 1


def test_pass_at_k_rejects_bad_arguments():
    with pytest.raises(ValueError):
        metrics.pass_at_k(4, 5, 1)
    with pytest.raises(ValueError):
        metrics.pass_at_k(4, 1, 5)


def test_k_values():
    assert metrics.k_values(1) == [1]
    assert metrics.k_values(4) == [1, 2, 4]
    assert metrics.k_values(6) == [1, 2, 4, 6]
    assert metrics.k_values(64) == [1, 2, 4, 8, 16, 32, 64]


def test_majority_vote_ties_go_to_the_earliest_and_none_does_not_vote():
    assert metrics.majority_vote([0, 1, 1, 0]) == 0  # 2-2 tie: label 0 came first
    assert metrics.majority_vote([0, 1, 1]) == 1  # earliest sample of the winning label
    assert metrics.majority_vote([None, None, 2, 3, 3]) == 3
    assert metrics.majority_vote([None, None]) is None
    assert metrics.majority_vote([]) is None


def test_cons_correct():
    assert metrics.cons_correct([0, 1, 1, None], [0.0, 1.0, 1.0, 1.0]) == 1.0
    assert metrics.cons_correct([0, 1, 1, 0], [0.0, 1.0, 1.0, 0.0]) == 0.0  # tie -> earliest -> wrong
    assert metrics.cons_correct([None, None], [1.0, 1.0]) == 0.0  # nobody voted


def test_stderr_uses_the_sample_standard_deviation():
    assert metrics.stderr([0.5, 0.5, 0.5, 1.0]) == pytest.approx(0.125)
    assert metrics.stderr([1.0]) == 0.0
    assert metrics.stderr([0.0, 1.0]) == pytest.approx(0.5)


def test_summarize():
    correct = [[1, 0, 0, 0], [1, 1, 1, 1]]
    votes = [[0, 1, 1, None], [0, 0, 0, 0]]
    truncated = [[False, False, False, True], [False] * 4]
    tokens = [[10, 20, 30, 40], [1, 1, 1, 1]]
    out = metrics.summarize(correct, votes, truncated, tokens, 4)
    assert list(out) == ["pass@1", "pass@2", "pass@4", "cons@4", "truncated_frac", "mean_completion_tokens",
                         "pass@1_stderr"]
    assert out["pass@1"] == pytest.approx((0.25 + 1) / 2)
    assert out["pass@2"] == pytest.approx((0.5 + 1) / 2)
    assert out["pass@4"] == 1.0
    assert out["cons@4"] == 0.5  # problem 1: the wrong answer (label 1) wins 2-1
    assert out["truncated_frac"] == 1 / 8
    assert out["mean_completion_tokens"] == pytest.approx(104 / 8)
    assert out["pass@1_stderr"] == pytest.approx(metrics.stderr([0.25, 1.0]))
    assert metrics.summarize(correct, votes, truncated, None, 4)["mean_completion_tokens"] is None
