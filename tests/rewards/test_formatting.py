import pytest

import r1cli.rewards as R


@pytest.mark.parametrize("text,full,prefilled,tags", [
    ("<think>a</think><answer>b</answer>", 1.0, 0.0, 1.0),
    ("  <think>\na\n</think>\n\n<answer>\nb\n</answer>\n", 1.0, 0.0, 1.0),
    ("<think>a</think>x<answer>b</answer>", 0.0, 0.0, 1.0),
    ("<think>a</think><answer>b</answer> trailing", 0.0, 0.0, 1.0),
    ("<think>a<think></think><answer>b</answer>", 0.0, 0.0, 0.75),
    ("a</think>\n<answer>b</answer>", 0.0, 1.0, 0.75),
    ("<think>a</think>", 0.0, 0.0, 0.5),
    ("nothing", 0.0, 0.0, 0.0),
])
def test_format_rewards(text, full, prefilled, tags):
    chat = [{"role": "assistant", "content": text}]
    for comp in (text, chat):
        assert R.get("format")(completions=[comp]) == [full]
        assert R.get("format_prefilled")(completions=[comp]) == [prefilled]
        assert R.get("tag_count")(completions=[comp]) == [tags]


@pytest.mark.parametrize("text,expected", [
    ("<think>\n3+5=8\n8*4=32\n</think>\n\nThe answer is 32.", 1.0),
    ("3+5=8\n</think>\n\nThe answer is 32.", 1.0),  # a template prefilled the opening tag
    ("<think>\n3+5=8\n</think>\n<answer>32</answer>", 0.0),  # R1-Zero's tags
    ("<think>\n3+5=8\n</think>\n\n", 0.0),  # no summary
    ("<think>\n\n</think>\n\nThe answer is 32.", 0.0),  # no reasoning
    ("Sure! <think>\n3+5=8\n</think>\n\n32", 0.0),  # text before the think block
    ("<think>a</think>b</think> 32", 0.0),  # two closing tags
    ("The answer is 32.", 0.0),
])
def test_format_r1_is_the_r1_layout(text, expected):
    from r1cli.rewards.formatting import r1_layout_ok

    for comp in (text, [{"role": "assistant", "content": text}]):
        assert R.get("format_r1")(completions=[comp]) == [expected]
    assert r1_layout_ok(text) is bool(expected)
