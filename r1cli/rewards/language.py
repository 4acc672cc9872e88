"""Language consistency (DeepSeek-R1 section 2.3.2): the proportion of words in the chain of thought
(the think region, or the whole text without tags) written in the target language's script.

Words: runs of letters of one script; every Han/kana character counts as one word (CJK has no spaces).
LaTeX commands, math between $...$, code spans, digits and punctuation are ignored. A CoT with no
words scores 0.0. Script detection is by Unicode ranges, no model.

Target: the registered `language_consistency` reads the row column `language` if present, else the
R1_REWARD_LANGUAGE environment variable, else "en". `make_language_consistency(target="zh")` or the
spec "language_consistency(target=zh)" fixes it.
"""

from __future__ import annotations

import os
import re

from r1cli.rewards.extract import completion_text, think_region
from r1cli.rewards.registry import register

_SCRIPTS = {
    "latin": r"A-Za-z\u00C0-\u024F\u1E00-\u1EFF",
    "han": r"\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF",
    "kana": r"\u3040-\u30FF\u31F0-\u31FF",
    "hangul": r"\uAC00-\uD7AF\u1100-\u11FF",
    "cyrillic": r"\u0400-\u04FF",
    "arabic": r"\u0600-\u06FF",
    "greek": r"\u0370-\u03FF",
    "devanagari": r"\u0900-\u097F",
}
# which scripts count as the language; for ja the Han characters count too
LANGUAGES = {
    "en": {"latin"}, "fr": {"latin"}, "de": {"latin"}, "es": {"latin"},
    "zh": {"han"}, "ja": {"kana", "han"}, "ko": {"hangul"},
    "ru": {"cyrillic"}, "ar": {"arabic"}, "el": {"greek"}, "hi": {"devanagari"},
}
_PER_CHAR = {"han", "kana"}
_TOKEN = re.compile("|".join(f"(?P<{name}>[{rng}]{'' if name in _PER_CHAR else '+'})" for name, rng in _SCRIPTS.items()))
_STRIP = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]|\\[A-Za-z]+|<[^<>]{1,20}>", re.S)


def script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in _TOKEN.finditer(_STRIP.sub(" ", text)):
        counts[m.lastgroup] = counts.get(m.lastgroup, 0) + 1
    return counts


def consistency(text: str, target: str = "en") -> float:
    scripts = LANGUAGES.get(target)
    if scripts is None:
        raise ValueError(f"unknown language {target!r} (known: {', '.join(sorted(LANGUAGES))})")
    counts = script_counts(think_region(text))
    total = sum(counts.values())
    return sum(counts.get(s, 0) for s in scripts) / total if total else 0.0


def make_language_consistency(target: str = "en"):
    if target not in LANGUAGES:
        raise ValueError(f"unknown language {target!r} (known: {', '.join(sorted(LANGUAGES))})")

    def language_consistency_reward(completions, **kwargs) -> list[float]:
        return [consistency(completion_text(c), target) for c in completions]

    return language_consistency_reward


@register("language_consistency", factory=make_language_consistency)
def language_consistency_reward(completions, language=None, **kwargs) -> list[float]:
    """Share of CoT words in the target language (column `language`, else $R1_REWARD_LANGUAGE, else en)."""
    default = os.environ.get("R1_REWARD_LANGUAGE", "en")
    langs = language if isinstance(language, (list, tuple)) else [language or default] * len(completions)
    return [consistency(completion_text(c), lang or default) for c, lang in zip(completions, langs, strict=False)]
