"""Format rewards for the R1-Zero template.

format            <think>...</think> then <answer>...</answer>, each tag exactly once, only whitespace
                  before, between and after -> 1.0 else 0.0.
format_prefilled  the same for chat templates that prefill "<think>" in the prompt: the completion
                  starts inside the think block, so it must NOT contain "<think>" itself.
tag_count         partial credit: 0.25 for each of the four tags present exactly once.
format_r1         the final R1 models' layout: reasoning in a think block (its opening tag may be prefilled),
                  then a summary in plain text, no answer tags -> 1.0 else 0.0 (after a cold start).
"""

from __future__ import annotations

import re

from r1cli.rewards.extract import ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN, completion_text
from r1cli.rewards.registry import register

_TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
_FULL = re.compile(r"\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", re.S)
_PREFILLED = re.compile(r".*?</think>\s*<answer>.*?</answer>\s*", re.S)


def _counts(text: str) -> dict[str, int]:
    return {t: text.count(t) for t in _TAGS}


def format_ok(text: str, prefilled: bool = False) -> bool:
    c = _counts(text)
    if prefilled:
        if c[THINK_OPEN] != 0 or any(c[t] != 1 for t in _TAGS[1:]):
            return False
        return _PREFILLED.fullmatch(text) is not None
    if any(v != 1 for v in c.values()):
        return False
    return _FULL.fullmatch(text) is not None


def r1_layout_ok(text: str) -> bool:
    """Reasoning in one think block (at most one opening tag: a template may prefill it), then a non-empty
    summary; R1-Zero's answer tags are not part of this layout."""
    c = _counts(text)
    if c[THINK_CLOSE] != 1 or c[THINK_OPEN] > 1 or c[ANSWER_OPEN] or c[ANSWER_CLOSE]:
        return False
    head, summary = text.split(THINK_CLOSE)
    before, _, reasoning = head.rpartition(THINK_OPEN)
    return not before.strip() and bool(reasoning.strip()) and bool(summary.strip())


@register("format")
def format_reward(completions, **kwargs) -> list[float]:
    """1.0 for '<think>...</think> <answer>...</answer>' (tags once each, whitespace only around)."""
    return [float(format_ok(completion_text(c))) for c in completions]


@register("format_prefilled")
def format_prefilled_reward(completions, **kwargs) -> list[float]:
    """Like format, for templates whose prompt ends with '<think>': '...</think> <answer>...</answer>'."""
    return [float(format_ok(completion_text(c), prefilled=True)) for c in completions]


@register("tag_count")
def tag_count_reward(completions, **kwargs) -> list[float]:
    """0.25 per tag (<think>, </think>, <answer>, </answer>) that appears exactly once."""
    out = []
    for c in completions:
        counts = _counts(completion_text(c))
        out.append(0.25 * sum(v == 1 for v in counts.values()))
    return out


@register("format_r1")
def format_r1_reward(completions, **kwargs) -> list[float]:
    """1.0 for '<think>reasoning</think> summary' in plain text (no answer tags), the R1 layout."""
    return [float(r1_layout_ok(completion_text(c))) for c in completions]
