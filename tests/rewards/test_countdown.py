import pytest

import r1cli.rewards as R


@pytest.mark.parametrize("text,expected", [
    ("<think>t</think><answer>(25 - 5) * 4 / 2</answer>", 1.0),
    ("<answer>(25 - 5) * 4 / 2 = 40</answer>", 1.0),
    ("<answer>\\boxed{(25 - 5) \\times 4 \\div 2}</answer>", 1.0),
    ("<answer>(25 - 5) * 4</answer>", 0.0),  # 2 unused
    ("<answer>(25 - 5) * 4 / 2 * 1</answer>", 0.0),  # 1 not given
    ("<answer>(25 - 5 - 5) * 4 / 2</answer>", 0.0),  # 5 used twice
    ("<answer>25 * 4 / 2 - 5 - 5</answer>", 0.0),
    ("<answer>__import__('os').system('echo hi')</answer>", 0.0),
    ("<answer>2 ** 25 - 5 * 4</answer>", 0.0),
    ("<answer>-5 + 25 * 4 / 2</answer>", 0.0),  # unary minus not allowed
    ("<answer>5 / (4 - 4)</answer>", 0.0),
    ("<think>(25 - 5) * 4 / 2", 0.0),  # truncated
])
def test_countdown(text, expected):
    fn = R.get("countdown")
    assert fn(completions=[text], numbers=[[25, 5, 4, 2]], target=[40]) == [expected]


def test_countdown_exact_fractions():
    fn = R.get("countdown")
    assert fn(completions=["<answer>(1 + 1 / 3) * 3</answer>"], numbers=[[1, 1, 3, 3]], target=[4]) == [1.0]
    assert fn(completions=["<answer>7 / 2 * 2</answer>"], numbers=[[7, 2, 2]], target=[7]) == [1.0]
