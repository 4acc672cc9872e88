import pytest

import r1cli.rewards as R
from r1cli.rewards.shaping import make_cosine, make_repetition, make_soft_overlong, repetition_ratio


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


def test_repetition_catches_a_looping_chinese_or_japanese_chain_of_thought():
    fn = R.get("repetition")  # trigrams over words; a Han or kana character is a word
    loop_zh, loop_ja = "这个这个这个这个这个", "<think>" + "もう一度確認します。" * 10 + "</think>"
    assert fn(completions=[loop_zh]) == [pytest.approx(-0.75)]  # 8 trigrams, 2 distinct
    assert fn(completions=[loop_ja])[0] < -0.8
    fluent = "我们先计算三角形的面积。已知底边长为6，高为4，所以面积等于底乘以高再除以2，也就是12。"
    assert fn(completions=[fluent])[0] > -0.1
    assert repetition_ratio(loop_zh) == 0.75  # the measure on a plain string, as filters use it


def test_repetition_keeps_numbers_so_an_enumeration_is_not_a_loop():
    assert repetition_ratio("Step 1: add. Step 2: add. Step 3: add. Step 4: add.") == 0.0
    assert repetition_ratio("x = x + 1, " * 6) > 0.5


def test_cosine():
    fn = make_cosine(min_correct=0.5, max_correct=1.0, min_wrong=-1.0, max_wrong=-0.5, max_len=100)
    comps = ["\\boxed{2}", "\\boxed{2}", "\\boxed{3}", "\\boxed{3}", "\\boxed{2}"]
    ids = [[0], [0] * 100, [0], [0] * 100, [0] * 50]
    out = fn(completions=comps, completion_ids=ids, answer=["2"] * 5)
    assert out[0] == pytest.approx(1.0, abs=1e-3) and out[1] == pytest.approx(0.5)
    assert out[2] == pytest.approx(-1.0, abs=1e-3) and out[3] == pytest.approx(-0.5)
    assert out[4] == pytest.approx(0.75)
    assert fn(completions=["\\boxed{2}"], completion_ids=[[0]], answer=[""]) == [None]
