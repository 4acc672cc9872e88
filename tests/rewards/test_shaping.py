import pytest

import r1cli.rewards as R
from r1cli.rewards.shaping import make_cosine, make_repetition, make_soft_overlong


def test_soft_overlong():
    fn = make_soft_overlong(max_len=100, cache_len=20)
    ids = [[0] * n for n in (10, 80, 90, 100, 101)]
    assert fn(completions=["x"] * 5, completion_ids=ids) == [0.0, 0.0, -0.5, -1.0, -1.0]
    assert fn(completions=["a " * 90]) == [-0.5]  # no ids: whitespace words
    assert R.get("soft_overlong")(completions=["x"], completion_ids=[[0] * 4000]) == [pytest.approx(-0.0 - 0.0 + (3584 - 4000) / 512)]


def test_repetition():
    fn = make_repetition(ngram=2, max_penalty=-1.0)
    assert fn(completions=["a b c d", "a b a b a b", "a"]) == [0.0, pytest.approx(-0.6), 0.0]
    with pytest.raises(ValueError):
        make_repetition(max_penalty=1.0)


def test_cosine():
    fn = make_cosine(min_correct=0.5, max_correct=1.0, min_wrong=-1.0, max_wrong=-0.5, max_len=100)
    comps = ["\\boxed{2}", "\\boxed{2}", "\\boxed{3}", "\\boxed{3}", "\\boxed{2}"]
    ids = [[0], [0] * 100, [0], [0] * 100, [0] * 50]
    out = fn(completions=comps, completion_ids=ids, answer=["2"] * 5)
    assert out[0] == pytest.approx(1.0, abs=1e-3) and out[1] == pytest.approx(0.5)
    assert out[2] == pytest.approx(-1.0, abs=1e-3) and out[3] == pytest.approx(-0.5)
    assert out[4] == pytest.approx(0.75)
    assert fn(completions=["\\boxed{2}"], completion_ids=[[0]], answer=[""]) == [None]
