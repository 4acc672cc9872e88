import pytest

import r1cli.rewards as R
from r1cli.rewards.language import language_share, make_language_consistency, mixes_languages, text_language

EN = "First we add the two numbers: 3 plus 5 is 8. Then we multiply the result by 4, which gives 32."
FR = "D'abord on ajoute les deux nombres : 3 plus 5 font 8. Ensuite on multiplie le résultat par 4, ce qui donne 32."
DE = "Zuerst addieren wir die beiden Zahlen: 3 plus 5 ist 8. Dann multiplizieren wir das Ergebnis mit 4."
ZH = "首先把两个数相加，三加五等于八，然后乘以四，得到三十二。"
EN_FR = "First we add the two numbers: 3 plus 5 is 8. Ensuite on multiplie le résultat par 4, ce qui donne 32."
EN_DE = "First we add the two numbers: 3 plus 5 is 8. Dann multiplizieren wir das Ergebnis mit 4, das ergibt 32."
EN_ZH = "First we add the two numbers: 3 plus 5 is 8. 然后乘以四，得到三十二。"


@pytest.mark.parametrize("text, lang", [(EN, "en"), (FR, "fr"), (DE, "de"), (ZH, "zh")])
def test_reasoning_in_one_language_scores_one(text, lang):
    assert language_share(text, lang) == 1.0
    assert not mixes_languages(text, lang)


@pytest.mark.parametrize("text", [EN_FR, EN_DE, EN_ZH])
def test_mixed_reasoning_scores_below_one_though_english_and_french_share_a_script(text):
    assert language_share(text, "en") < 0.9 and mixes_languages(text, "en")
    # word by word, not sentence by sentence: French words inside an English sentence count too
    assert language_share("First we ajoute the deux nombres and then we multiplie the résultat by four", "en") < 0.9


def test_neutral_tokens_and_the_other_side_of_a_mix():
    assert language_share("<think>We add $x^2$ and \\frac{1}{2}.</think><answer>3</answer>", "en") == 1.0
    assert language_share("<think>123 + 4</think>", "en") == 0.0
    assert not mixes_languages("3+5=8\n8*4=32", "en")  # no words: in no language
    assert language_share(EN_ZH, "en") + language_share(EN_ZH, "zh") == pytest.approx(1.0)
    assert language_share(EN, "zh") == 0.0 and language_share(ZH, "en") == 0.0
    assert language_share("我们先计算", "ja") == 1.0  # Han is written in Japanese too


def test_text_language_identifies_the_prompt():
    assert text_language("What is 3+5? Show your steps.") == "en"
    assert text_language("Combien font trois plus cinq ? Montrez les étapes.") == "fr"
    assert text_language("Wie viel ist drei plus fünf? Zeige die Schritte.") == "de"
    assert text_language("求 3+5 的值") == "zh"
    assert text_language("3+5 はいくつですか") == "ja"
    assert text_language("Сколько будет 3+5?") == "ru"
    assert text_language("(3+5)*4") == "en" and text_language("(3+5)*4", default="fr") == "fr"


def test_target_from_factory_column_prompt_and_spec():
    zh = "<think>你好</think>"
    fr = f"<think>{FR}</think>"
    assert make_language_consistency("zh")(completions=[zh]) == [1.0]
    fn = R.get("language_consistency")
    assert fn(completions=[zh, zh], language=["zh", "en"]) == [1.0, 0.0]
    # no column: the prompt's language, read from the untemplated prompt where there is one
    asked = ["Combien font trois plus cinq ? Montrez les étapes.", "What is three plus five? Show the steps."]
    scores = fn(completions=[fr, fr], prompts=asked)
    assert scores[0] == 1.0 and scores[1] < 0.5
    chat = [[{"role": "user", "content": asked[0]}]]
    assert fn(completions=[fr], prompts=["Answer in English: ..."], user_prompt=chat) == [1.0]
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
