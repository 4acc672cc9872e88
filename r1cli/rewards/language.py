"""Language consistency (DeepSeek-R1 section 2.3.2): the proportion of words in the chain of thought
(the think region, or the whole text without tags) written in the target language's script.

Words are those of r1cli.rewards.words (runs of letters of one script; every Han/kana character counts as
one word, as CJK has no spaces), the same words the repetition reward counts. Math between $...$, code
spans, LaTeX commands, numbers and punctuation are language-neutral and ignored. A CoT with no words
scores 0.0. Script detection is by Unicode ranges, no model.

Target: the registered `language_consistency` reads the row column `language` if present, else the
R1_REWARD_LANGUAGE environment variable, else "en". `make_language_consistency(target="zh")` or the
spec "language_consistency(target=zh)" fixes it. `language_share(text, lang)` is the measure on a plain
string, for filters that are not rewards.
"""

from __future__ import annotations

import os
import re

from r1cli.rewards.extract import completion_text, think_region
from r1cli.rewards.registry import Reward, register
from r1cli.rewards.words import NUMBER, tokens

# which scripts count as the language; for ja the Han characters count too
LANGUAGES = {
    "en": {"latin"}, "fr": {"latin"}, "de": {"latin"}, "es": {"latin"},
    "zh": {"han"}, "ja": {"kana", "han"}, "ko": {"hangul"},
    "ru": {"cyrillic"}, "ar": {"arabic"}, "el": {"greek"}, "hi": {"devanagari"},
}
_NEUTRAL = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]|<[^<>]{1,20}>", re.S)


def script_counts(text: str) -> dict[str, int]:
    """Words per script, outside math, code and tags."""
    counts: dict[str, int] = {}
    for _, script in tokens(_NEUTRAL.sub(" ", text)):
        if script != NUMBER:
            counts[script] = counts.get(script, 0) + 1
    return counts


def _check(lang: str) -> set[str]:
    scripts = LANGUAGES.get(lang)
    if scripts is None:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(sorted(LANGUAGES))})")
    return scripts


def language_share(text: str, lang: str = "en") -> float:
    """Share of the words of `text` written in `lang`'s script(s); 0.0 for a text without words."""
    scripts = _check(lang)
    counts = script_counts(text)
    total = sum(counts.values())
    return sum(counts.get(s, 0) for s in scripts) / total if total else 0.0


def _fixed_target(completions, target: str = "en", **kwargs) -> list[float]:
    return [language_share(think_region(completion_text(c)), target) for c in completions]


def make_language_consistency(target: str = "en"):
    _check(target)
    return Reward("language_consistency", _fixed_target, target=target)


@register("language_consistency", factory=make_language_consistency)
def language_consistency_reward(completions, language=None, **kwargs) -> list[float]:
    """Share of CoT words in the target language (column `language`, else $R1_REWARD_LANGUAGE, else en)."""
    default = os.environ.get("R1_REWARD_LANGUAGE", "en")
    langs = language if isinstance(language, (list, tuple)) else [language or default] * len(completions)
    return [language_share(think_region(completion_text(c)), lang or default)
            for c, lang in zip(completions, langs, strict=False)]
