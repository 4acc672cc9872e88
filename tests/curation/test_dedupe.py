"""Exact and near duplicates (MinHash LSH), and the per-prompt cap."""

from __future__ import annotations

from r1cli.curation.dedupe import cap, duplicates, shingles

BASE = " ".join(f"step {i} we add {i} and {i + 1} to get {2 * i + 1} then" for i in range(12))


def jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a)), set(shingles(b))
    return len(x & y) / len(x | y)


def test_exact_duplicates_ignore_case_and_whitespace():
    texts = ["<think>\nA b\n</think>\n\n3", "<THINK> a   B </think> 3", "<think>\nA c\n</think>\n\n3"]
    assert duplicates(texts, 0) == [None, "duplicate", None]


def test_near_duplicates_by_minhash_threshold():
    near = BASE.replace("step 11", "stage 11")  # one word changed in ~100
    far = " ".join(f"consider {i} times {i} equals {i * i}" for i in range(20))
    assert jaccard(BASE, near) > 0.9 and jaccard(BASE, far) < 0.1
    assert duplicates([BASE, near, far], 0.85) == [None, "near_duplicate", None]
    assert duplicates([BASE, near, far], 0) == [None, None, None]  # switched off
    assert duplicates([near, BASE], 0.99) == [None, None]  # below a stricter threshold


def test_cap_shortest_and_random():
    assert cap([5, 3, 9, 3], 2, "shortest", "p", 0) == [False, True, False, True]
    assert cap([5, 3, 9], 0, "shortest", "p", 0) == [True, True, True]  # no cap
    picks = cap([1] * 10, 3, "random", "p", 0)
    assert sum(picks) == 3 and cap([1] * 10, 3, "random", "p", 0) == picks  # deterministic in seed and prompt
    assert any(cap([1] * 10, 3, "random", "p", s) != picks for s in range(1, 5))
