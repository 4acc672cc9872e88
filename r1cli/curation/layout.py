"""The R1 layout of a curated response: `<think>\\nREASONING\\n</think>\\n\\nSUMMARY`.

The DeepSeek-R1 models write their reasoning inside think tags and then a readable summary that states the
answer; every curated SFT row (reject-sample, cold start, distillation) is re-written in that one layout. The
tags survive tokenization as ordinary text, so any model can learn them.
"""

from __future__ import annotations

from r1cli.rewards.extract import ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN


def split_r1(text: str) -> tuple[str, str] | None:
    """(reasoning, summary) of a completion with a closed think block; None when it has no reasoning.

    The summary is what follows the last `</think>` (where the scoring core reads the answer), with R1-Zero's
    `<answer>` tags taken off: the final models state their answer in plain text.
    """
    close = text.rfind(THINK_CLOSE)
    if close < 0:
        return None
    head = text[:close]
    start = head.find(THINK_OPEN)
    reasoning = (head[start + len(THINK_OPEN):] if start >= 0 else head).strip()
    summary = text[close + len(THINK_CLOSE):].replace(ANSWER_OPEN, "").replace(ANSWER_CLOSE, "").strip()
    if not reasoning:
        return None
    return reasoning, summary


def r1_layout(reasoning: str, summary: str) -> str:
    """The assistant turn in the R1 layout."""
    return f"{THINK_OPEN}\n{reasoning.strip()}\n{THINK_CLOSE}\n\n{summary.strip()}"
