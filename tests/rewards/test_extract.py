from fractions import Fraction

import pytest

from r1cli.rewards.extract import (
    as_number,
    completion_text,
    extract_answer,
    last_boxed,
    mc_letter,
    strip_thousands,
)


@pytest.mark.parametrize("text,expected", [
    ("<think>x</think><answer>The result is \\boxed{42}</answer>", ("42", False)),
    ("<think>\\boxed{1}</think> so \\boxed{2}", ("2", False)),
    ("<think>a</think><answer>1</answer> <answer>7</answer>", ("7", False)),
    ("<think>still thinking \\boxed{3}", (None, True)),
    ("<think>t</think><answer>5", (None, True)),
    ("just \\boxed{\\frac{1}{2}} here", ("\\frac{1}{2}", False)),
    ("prefilled cot</think> \\boxed 5.", ("5", False)),
    ("Answer: #### 1,234", ("1,234", False)),
    ("blah blah.\nThe answer is $\\frac{3}{4}$.", ("\\frac{3}{4}", False)),
    ("<answer>(B)</answer>", ("(B)", False)),
    # an empty box copied from the instructions does not hide the answer stated after it
    ("I will put it in \\boxed{}. 3 + 4 = 7, so the answer is 7.", ("7", False)),
    ("\\boxed{ } then #### 12", ("12", False)),
])
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


def test_last_boxed_nested_and_unbalanced():
    assert last_boxed("\\boxed{\\frac{a^{2}}{b}} and \\boxed{x") == "\\frac{a^{2}}{b}"
    assert last_boxed("\\fbox{3}") == "3"
    assert last_boxed("none") is None
    assert last_boxed("\\boxed{9} and later an empty \\boxed{}") == "9"
    assert last_boxed("\\boxed{}") is None


def test_completion_text_chat_and_plain():
    chat = [{"role": "assistant", "content": "first"}, {"role": "user", "content": "u"},
            {"role": "assistant", "content": [{"type": "text", "text": "last"}]}]
    assert completion_text(chat) == "last"
    assert completion_text("plain") == "plain"
    assert extract_answer([{"role": "assistant", "content": "<answer>9</answer>"}]) == ("9", False)


def test_numbers_and_letters():
    assert as_number("025") == 25 and as_number("1,000") == 1000 and as_number("-\\frac{1}{2}") == Fraction(-1, 2)
    assert as_number("\\dfrac12") == Fraction(1, 2) and as_number("0.50") == Fraction(1, 2)
    assert as_number("\\$1{,}000.") == 1000 and as_number("3\\sqrt{13}") is None and as_number("(1,2)") is None
    assert strip_thousands("(1,234)") == "(1,234)" and strip_thousands("1,2") == "1,2"
    assert mc_letter("\\text{(B)}") == "B" and mc_letter("B") == "B" and mc_letter("(B) 42", prefix=True) == "B"
    assert mc_letter("Bx") is None
