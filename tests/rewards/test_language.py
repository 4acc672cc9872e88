import pytest

import r1cli.rewards as R
from r1cli.rewards.language import language_share, make_language_consistency


def test_english_and_chinese():
    en = "<think>We add the two numbers, $x^2$ and \\frac{1}{2}.</think><answer>3</answer>"
    mixed = "<think>We 计算 this</think>"  # 2 latin words, 2 han characters
    zh = "<think>我们先计算 x 的值</think>"  # 7 han characters, 1 latin word
    assert language_share(en, "en") == 1.0
    assert language_share(mixed, "en") == 0.5 and language_share(mixed, "zh") == 0.5
    assert language_share(zh, "zh") == pytest.approx(7 / 8)
    assert language_share("<think>123 + 4</think>", "en") == 0.0


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


def test_reward_reads_the_chain_of_thought_only():
    text = "<think>你好</think><answer>hello world</answer>"
    assert language_share(text, "zh") == 0.5
    assert make_language_consistency("zh")(completions=[text]) == [1.0]


def test_a_language_column_cannot_override_a_fixed_target():
    fn = make_language_consistency("zh")
    assert fn(completions=["<think>你好</think>"], target=["en"], language=["en"]) == [1.0]
