from r1cli.rewards.language import script_counts
from r1cli.rewards.words import tokens, words


def test_latin_runs_digits_and_one_word_per_cjk_character():
    assert words("Let x = 12, then \\frac{x}{2} is 6.") == ["let", "x", "12", "then", "x", "2", "is", "6"]
    assert words("我们先计算") == ["我", "们", "先", "计", "算"]
    assert words("答えはです") == ["答", "え", "は", "で", "す"]
    assert words("값은 열두") == ["값은", "열두"]  # Korean is written with spaces: runs, not characters
    assert [s for _, s in tokens("x 个 π 12")] == ["latin", "han", "greek", "number"]


def test_language_counts_the_same_words_less_numbers_and_math():
    text = "我们先计算 x 的值 12"
    counted = sum(script_counts(text).values())
    assert counted == len([w for w in words(text) if not w.isdigit()]) == 8
    assert sum(script_counts("我们 $x+y$ 的").values()) == 3
