"""The R1 layout of a curated response: `<think>\\nREASONING\\n</think>\\n\\nSUMMARY`.

The DeepSeek-R1 models write their reasoning inside think tags and then a readable summary that states the
answer; curated SFT rows (reject-sample, cold start, distillation) are re-written in that one layout, unless
a stage's `--layout sampled` keeps them as sampled. The tags survive tokenization as ordinary text, so any
model can learn them.
"""

from __future__ import annotations

from r1cli.rewards.extract import ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN

# How a curation output writes its kept responses: in the R1 layout, or as they were sampled (a small model
# that never saw chat turns or summaries is taught best in the format it already reads and writes).
LAYOUTS = ["r1", "sampled"]
TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)


def stray_tags(part: str) -> bool:
    """Whether a reasoning or a summary still holds a tag: a completion that opened or closed its blocks more
    than once (a tiny model's "1<think>20</answer>0</answer>") is no layout, even when its answer checks out."""
    return any(tag in part for tag in TAGS)


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


def split_sampled(text: str) -> tuple[str, str]:
    """(reasoning, summary) of a completion kept as sampled: R1's parts when it has a think block; else the
    whole reply is both (an instruct model reasons and answers in one text, which the readability filters and
    the judge then read whole). Never None: nothing needs re-writing, so no think block is required."""
    return split_r1(text) or (text, text)


def r1_layout(reasoning: str, summary: str) -> str:
    """The assistant turn in the R1 layout."""
    return f"{THINK_OPEN}\n{reasoning.strip()}\n{THINK_CLOSE}\n\n{summary.strip()}"

