"""Words of a text: the one tokenisation shared by the language-consistency and repetition measures (and
the non-mathematical gold check), so that "a word" means the same thing everywhere.

A word is a run of letters of one script (Latin, Cyrillic, Hangul, ...) or a run of digits; LaTeX command
names (\\frac) and punctuation are not words. Han and kana characters are one word each: Chinese and
Japanese put no spaces between words, and a character is the unit both measures need. A dictionary
segmenter was measured and not taken: jieba (Chinese only; 42 MB installed, 0.6 s to load its dictionary
in every process, no release since 2020) gives the same repetition score as character trigrams on a looping
Chinese chain of thought (0.95 vs 0.95 on a repeated sentence) and nearly the same on fluent text (0.00 vs 0.03),
and Japanese would need a second segmenter with its own dictionary.
"""

from __future__ import annotations

import re

SCRIPTS = {
    "latin": r"A-Za-z\u00C0-\u024F\u1E00-\u1EFF",
    "han": r"\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF",
    "kana": r"\u3040-\u30FF\u31F0-\u31FF",
    "hangul": r"\uAC00-\uD7AF\u1100-\u11FF",
    "cyrillic": r"\u0400-\u04FF",
    "arabic": r"\u0600-\u06FF",
    "greek": r"\u0370-\u03FF",
    "devanagari": r"\u0900-\u097F",
}
PER_CHARACTER = {"han", "kana"}
NUMBER = "number"

_COMMAND = r"\\[A-Za-z]+"  # matched first so that \frac is skipped, not read as the word "frac"
_TOKEN = re.compile(
    f"(?P<command>{_COMMAND})|(?P<{NUMBER}>[0-9]+)|"
    + "|".join(f"(?P<{name}>[{rng}]{'' if name in PER_CHARACTER else '+'})" for name, rng in SCRIPTS.items())
)


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, script) of each word in order; script is a key of SCRIPTS or "number"."""
    return [(m.start(), m.end(), m.lastgroup) for m in _TOKEN.finditer(text) if m.lastgroup != "command"]


def tokens(text: str) -> list[tuple[str, str]]:
    """(word, script) pairs in order; script is a key of SCRIPTS or "number"."""
    return [(text[start:end], script) for start, end, script in spans(text)]


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased (see the module docstring)."""
    return [w.lower() for w, _ in tokens(text)]
