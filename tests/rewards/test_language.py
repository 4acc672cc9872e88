import pytest

import r1cli.rewards as R
from r1cli.rewards.language import consistency, make_language_consistency


def test_english_and_chinese():
    en = "<think>We add the two numbers, $x^2$ and \\frac{1}{2}.</think><answer>3</answer>"
    mixed = "<think>We 计算 this</think>"  # 2 latin words, 2 han characters
    zh = "<think>我们先计算 x 的值</think>"  # 7 han characters, 1 latin word
    assert consistency(en, "en") == 1.0
    assert consistency(mixed, "en") == 0.5 and consistency(mixed, "zh") == 0.5
    assert consistency(zh, "zh") == pytest.approx(7 / 8)
    assert consistency("<think>123 + 4</think>", "en") == 0.0


def test_target_from_factory_column_env_and_spec(monkeypatch):
    zh = "<think>你好</think>"
    assert make_language_consistency("zh")(completions=[zh]) == [1.0]
    fn = R.get("language_consistency")
    assert fn(completions=[zh, zh], language=["zh", "en"]) == [1.0, 0.0]
    monkeypatch.setenv("R1_REWARD_LANGUAGE", "zh")
    assert fn(completions=[zh]) == [1.0]
    (_, spec_fn, _), = R.parse_specs(["language_consistency(target=en)"])
    assert spec_fn(completions=[zh]) == [0.0]
    with pytest.raises(ValueError):
        make_language_consistency("xx")
