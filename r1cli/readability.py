"""Readability filters on the reasoning (DeepSeek-R1 section 2.3.3: chains of thought with mixed languages,
long paragraphs and code blocks were filtered out), plus n-gram repetition, which marks looping reasoning.

The measures are the rewards' own (r1cli.rewards): the language-consistency reward's share of words in the
prompt's language (each word identified by language, not script; `prompt_language` identifies the prompt's) and
`repetition_ratio` of the repetition reward, over the same word tokeniser, so a filter threshold means what
the matching reward measures. Each check can be switched off: a language share of 0, a paragraph length of
0, code blocks allowed, a repetition share of 1 (the share of repeated n-grams is always below 1).

A floor below the curation core, which filters samples with `Readability`, and the scoring core, whose
`readable` share is eval's readable_frac: one definition for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from r1cli.rewards.language import LANGUAGES, mixes_languages
from r1cli.rewards.language import text_language as prompt_language
from r1cli.rewards.shaping import repetition_ratio
from r1cli.rewards.words import words

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
CODE_FENCE = "```"
# Below this many words a reasoning is too short to loop, and its n-grams repeat by nature ("1*1=1, 1*1=1" is
# six words and three quarters repeated 3-grams): the repetition filter leaves it alone.
REPETITION_MIN_WORDS = 32


@dataclass(frozen=True)
class Readability:
    """Thresholds of the readability filters (see the module docstring for how each is switched off)."""

    min_language_consistency: float = 0.9
    max_paragraph_chars: int = 3000
    reject_code_blocks: bool = True
    max_repetition: float = 0.5
    repetition_ngram: int = 3  # the repetition reward's default

    def __post_init__(self):
        if not 0 <= self.min_language_consistency <= 1:
            raise ValueError(f"the language share must be in [0, 1], got {self.min_language_consistency}")
        if not 0 < self.max_repetition <= 1:
            raise ValueError(f"the repetition share must be in (0, 1], got {self.max_repetition}")
        if self.max_paragraph_chars < 0:
            raise ValueError(f"the paragraph length must be >= 0, got {self.max_paragraph_chars}")

    def check(self, reasoning: str, language: str, code_prompt: bool = False) -> str | None:
        """The first filter the reasoning fails ("mixed_language", "long_paragraph", "code_block",
        "repetition"), or None. A reasoning without words (pure arithmetic) is in no language and passes;
        one of fewer than REPETITION_MIN_WORDS words is not checked for repetition."""
        if (self.min_language_consistency > 0 and language in LANGUAGES
                and mixes_languages(reasoning, language, self.min_language_consistency)):
            return "mixed_language"
        if self.max_paragraph_chars and any(len(p.strip()) > self.max_paragraph_chars
                                            for p in PARAGRAPH_BREAK.split(reasoning)):
            return "long_paragraph"
        if self.reject_code_blocks and not code_prompt and CODE_FENCE in reasoning:
            return "code_block"
        if (self.max_repetition < 1 and len(words(reasoning)) >= REPETITION_MIN_WORDS
                and repetition_ratio(reasoning, self.repetition_ngram) > self.max_repetition):
            return "repetition"
        return None


def readable(text: str, prompt: str, rules: Readability = Readability()) -> bool:
    """Whether a response is readable in the paper's sense: in the R1 layout, with reasoning that passes every
    readability filter in the prompt's language (what evaluation reports as readable_frac). The layout test is
    the format_r1 reward's."""
    from r1cli.layout import split_r1
    from r1cli.rewards.formatting import r1_layout_ok

    if not r1_layout_ok(text):
        return False
    reasoning, _ = split_r1(text)
    return rules.check(reasoning, prompt_language(prompt)) is None


def mixed(text: str, prompt: str, rules: Readability = Readability()) -> bool:
    """Whether a response's reasoning (its think region, or all of it without tags) mixes languages: under the
    filter's share of its words are in the prompt's language (what evaluation reports as mixed_frac). Unlike
    `readable`, it does not need the R1 layout, so a model that never learned the layout is measured too."""
    from r1cli.rewards.extract import think_region

    return mixes_languages(think_region(text), prompt_language(prompt), rules.min_language_consistency)
