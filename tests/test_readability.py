"""Readability filters on fixed reasoning texts, with the rewards' own measures."""

from __future__ import annotations

import pytest

from r1cli.readability import Readability, mixed, prompt_language
from r1cli.rewards.language import language_share
from r1cli.rewards.shaping import repetition_ratio

CLEAN = "First add the two numbers: 3 plus 5 is 8.\n\nThen multiply by 4, which gives 32."


def test_prompt_language_by_script():
    assert prompt_language("What is 3+5?") == "en"
    assert prompt_language("求 3+5 的值") == "zh"
    assert prompt_language("3+5 はいくつですか") == "ja"
    assert prompt_language("Сколько будет 3+5?") == "ru"
    assert prompt_language("(3+5)*4") == "en"  # no words: the default
    # Latin-script prompts by language, not script
    assert prompt_language("Combien font trois plus cinq ? Montrez les étapes.") == "fr"


def test_each_filter_and_its_switch():
    r = Readability()
    assert r.check(CLEAN, "en") is None
    assert r.check("3+5=8\n8*4=32", "zh") is None  # no words: in no language, so never mixed

    mixed = CLEAN + " 所以答案是三十二因为八乘以四"
    assert language_share(mixed, "en") < 0.9
    assert r.check(mixed, "en") == "mixed_language"
    assert Readability(min_language_consistency=0).check(mixed, "en") is None

    long = " ".join(f"word{i}" for i in range(500))  # no repeated 3-gram: only too long
    assert r.check(CLEAN + "\n\n" + long, "en") == "long_paragraph"
    assert Readability(max_paragraph_chars=0).check(CLEAN + "\n\n" + long, "en") is None
    assert Readability(max_paragraph_chars=5000).check(CLEAN + "\n\n" + long, "en") is None

    code = CLEAN + "\n```python\nprint(3 + 5)\n```"
    assert r.check(code, "en") == "code_block"
    assert r.check(code, "en", code_prompt=True) is None
    assert Readability(reject_code_blocks=False).check(code, "en") is None

    loop = "so the answer is eight " * 20
    assert repetition_ratio(loop, 3) > 0.5
    assert r.check(loop, "en") == "repetition"
    assert Readability(max_repetition=1).check(loop, "en") is None
    short = "1*1=1\n1*1=1"  # mostly repeated 3-grams, but far too short to be a loop
    assert repetition_ratio(short, 3) > 0.5 and r.check(short, "en") is None


def test_bad_thresholds():
    for bad in (dict(min_language_consistency=1.5), dict(max_repetition=0), dict(max_paragraph_chars=-1)):
        with pytest.raises(ValueError):
            Readability(**bad)


def test_readable_needs_the_r1_layout_and_every_readability_filter():
    from r1cli.layout import r1_layout
    from r1cli.readability import readable

    prompt = "What is (3+5)*4? Show your steps."
    assert readable(r1_layout("First add: 3+5=8. Then multiply: 8*4=32.", "The answer is 32."), prompt)
    assert not readable("<think>\n3+5=8\n</think>\n<answer>8</answer>", prompt)
    mixed = "First we add the numbers 然后我们把结果乘以四 得到三十二 这是最后的答案 对吧"
    assert not readable(r1_layout(mixed, "The answer is 32."), prompt)
    fenced = "We compute it in code:\n```python\nprint((3+5)*4)\n```"
    assert not readable(r1_layout(fenced, "The answer is 32."), prompt)


def test_english_reasoning_with_french_steps_is_mixed_though_one_script():
    french_step = CLEAN + " Ensuite on divise le résultat par deux, ce qui donne seize."
    assert Readability().check(french_step, "en") == "mixed_language"
    assert Readability().check(CLEAN, "en") is None


def test_mixed_reads_the_reasoning_in_the_prompts_language_with_or_without_the_layout():
    from r1cli.layout import r1_layout

    prompt = "What is (3+5)*4? Show your steps."
    french = "D'abord on ajoute les deux nombres. Ensuite on multiplie le résultat par quatre."
    assert mixed(r1_layout(CLEAN + " " + french, "Thirty-two."), prompt)
    assert mixed(CLEAN + " " + french, prompt)  # no tags: the whole text is the reasoning
    assert not mixed(r1_layout(CLEAN, "Le résultat est trente-deux."), prompt)  # the answer is not reasoning
    assert not mixed(r1_layout(french, "32"), "Combien font (3+5)*4 ? Montrez les étapes.")
    assert not mixed("<think>3+5=8</think><answer>8</answer>", prompt)
