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
