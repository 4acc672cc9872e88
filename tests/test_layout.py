"""The R1 layout and how a completion splits into reasoning and summary."""

from __future__ import annotations

from r1cli.layout import r1_layout, split_r1, split_sampled
from r1cli.rewards import extract_answer


def test_split_takes_the_think_block_and_unwraps_the_answer_tags():
    assert split_r1("<think>\n3+5=8\n8*4=32\n</think>\n<answer>32</answer>") == ("3+5=8\n8*4=32", "32")
    # a prefilled <think> is part of the text as scored; a missing opening tag still splits at </think>
    assert split_r1("3+5=8 </think> The answer is $\\boxed{8}$.") == ("3+5=8", "The answer is $\\boxed{8}$.")
    assert split_r1("<think>a</think>b</think> c") == ("a</think>b", "c")  # the answer is after the last close


def test_no_reasoning_no_split():
    assert split_r1("<answer>32</answer>") is None
    assert split_r1("<think>  \n</think> 32") is None


def test_layout_is_exact_and_keeps_the_answer_readable():
    reasoning, summary = split_r1("<think>\n  step one\n\nstep two </think>\n\n<answer> 7 </answer>")
    text = r1_layout(reasoning, summary)
    assert text == "<think>\nstep one\n\nstep two\n</think>\n\n7"
    assert extract_answer(text) == ("7", False)


def test_r1_layout_means_a_summary_in_plain_text_after_the_reasoning():
    from r1cli.rewards.formatting import r1_layout_ok

    assert r1_layout_ok(r1_layout("3+5=8\n8*4=32", "The answer is 32."))
    assert not r1_layout_ok("<think>\n3+5=8\n</think>\n<answer>8</answer>")  # R1-Zero's tags
    assert not r1_layout_ok("<think>\n3+5=8\n</think>\n\n")  # no summary
    assert not r1_layout_ok("<think>\n3+5=8 and so on")  # the think block never closes
    assert not r1_layout_ok("The answer is 8.")


def test_kept_as_sampled_a_reply_without_reasoning_is_read_whole():
    reply = "3 + 5 = 8 and 8 * 4 = 32, so the answer is 32."
    assert split_sampled(reply) == (reply, reply)
    r1 = "<think>\nadd\n</think>\n<answer>8</answer>"
    assert split_sampled(r1) == split_r1(r1) == ("add", "8")
