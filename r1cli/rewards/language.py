"""Language consistency (DeepSeek-R1 section 2.3.2): the proportion of the chain of thought's words (the think
region, or the whole text without tags) that are in the target language.

Words are those of r1cli.rewards.words (every Han/kana character is one word), the same words the repetition
reward counts. Math between $...$, code spans, LaTeX commands, tags, numbers and punctuation are
language-neutral and ignored. A CoT with no words scores 0.0.

A word's language: where its script belongs to one language here (Hangul, Cyrillic, ...), the script decides;
Han counts for Chinese and Japanese, kana for Japanese. A Latin word is identified by py3langid among the Latin
languages here, read with its Latin neighbours (one word alone is too short: py3langid puts 52-59 % of the
words of plain English reasoning in another language, a window of three 0-6 %), and counted as the
target's where the target is at least TARGET_MARGIN as likely as the best language: "plus", "total", "on" are
words of several languages and do not make English reasoning mixed.

Why py3langid (langid.py's model, 4.5 MB installed, numpy only) and not lingua-language-detector (96 MB): on
135 single words of math reasoning (en/fr/de/zh) they were right on 82 % vs 90 %, on 16 short phrases both on
all, at 62 vs 126 us a call; with the window and the margin both score plain en/fr/de reasoning 1.0, and
py3langid scores en/fr mixed by sentence 0.71, by word 0.82 and en/de 0.50 (lingua: 0.71, 0.76, 0.50).

Target: the row column `language` if present, else the language of the prompt (`text_language`; the untemplated
`user_prompt` column where there is one, so a template's English instructions do not decide it).
`make_language_consistency(target="zh")` or the spec "language_consistency(target=zh)" fixes it.
`language_share(text, lang)` is the measure on a plain string, for filters that are not rewards.
"""

from __future__ import annotations

import functools
import re

from r1cli.rewards.extract import completion_text, think_region
from r1cli.rewards.registry import Reward, register
from r1cli.rewards.words import NUMBER, spans

LATIN_LANGUAGES = ("en", "fr", "de", "es")
# script -> the languages here written in it (a Han character is Chinese or Japanese)
SCRIPT_LANGUAGES = {"latin": set(LATIN_LANGUAGES), "han": {"zh", "ja"}, "kana": {"ja"}, "hangul": {"ko"},
                    "cyrillic": {"ru"}, "arabic": {"ar"}, "greek": {"el"}, "devanagari": {"hi"}}
LANGUAGES = sorted(set().union(*SCRIPT_LANGUAGES.values()))
# a Latin word counts as the target's where P(target) >= this share of the best language's probability
TARGET_MARGIN = 0.2
WINDOW = 1  # Latin neighbours read on each side of a Latin word
_NEUTRAL = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]|<[^<>]{1,20}>", re.S)


@functools.cache
def _identifier():
    """py3langid's model (shipped in its wheel), restricted to the Latin languages; loaded once (about 1 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LATIN_LANGUAGES))
    return identifier


@functools.lru_cache(maxsize=65536)
def _latin_probs(text: str) -> dict[str, float]:
    return dict(_identifier().rank(text))


def _is(lang: str, probs: dict[str, float]) -> bool:
    return probs[lang] >= TARGET_MARGIN * max(probs.values())


def script_counts(text: str) -> dict[str, int]:
    """Words per script, outside math, code and tags."""
    counts: dict[str, int] = {}
    for _, script in _words(text):
        counts[script] = counts.get(script, 0) + 1
    return counts


def _words(text: str) -> list[tuple[str, str]]:
    return [(w, s) for w, s in _located(text)[1]]


def _located(text: str) -> tuple[str, list[tuple[str, str]], list[tuple[int, int]]]:
    """The text with math, code and tags blanked; its (word, script) pairs; the (start, end) of its Latin words."""
    plain = _NEUTRAL.sub(" ", text)
    found = [(start, end, script) for start, end, script in spans(plain) if script != NUMBER]
    return plain, [(plain[a:b], s) for a, b, s in found], [(a, b) for a, b, s in found if s == "latin"]


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    return lang


def language_share(text: str, lang: str = "en") -> float:
    """Share of the words of `text` in language `lang` (see the module docstring); 0.0 for a text without words."""
    _check(lang)
    plain, found, latin = _located(text)
    if not found:
        return 0.0
    hits = sum(lang in SCRIPT_LANGUAGES[s] for _, s in found if s != "latin")
    if lang in LATIN_LANGUAGES:
        # the window is the text itself from the word before to the word after, elisions (d'abord) and all
        windows = (plain[latin[max(0, i - WINDOW)][0]:latin[min(len(latin) - 1, i + WINDOW)][1]]
                   for i in range(len(latin)))
        hits += sum(_is(lang, _latin_probs(window)) for window in windows)
    return hits / len(found)


def mixes_languages(text: str, lang: str, below: float = 0.9) -> bool:
    """Whether reasoning with words mixes languages: under `below` of its words are in `lang` (the
    readability filter's default threshold). A text without words is in no language and mixes none."""
    return bool(_words(text)) and language_share(text, lang) < below


def text_language(text: str, default: str = "en") -> str:
    """The language a text (a prompt) is written in: by its most frequent script (kana anywhere means Japanese,
    whose text mixes kana and Han), a Latin text by py3langid, `default` where it is as likely as the best (a
    short prompt of few words) or where the text has no words."""
    counts = script_counts(text)
    if not counts:
        return default
    if counts.get("kana"):
        return "ja"
    script = max(counts, key=counts.__getitem__)
    if script != "latin":
        return "zh" if script == "han" else next(iter(SCRIPT_LANGUAGES[script]))
    probs = _latin_probs(_NEUTRAL.sub(" ", text))
    return default if default in probs and _is(default, probs) else max(probs, key=probs.__getitem__)


def _share_of(completion, lang: str) -> float:
    return language_share(think_region(completion_text(completion)), lang)


def _fixed_target(completions, target: str = "en", **kwargs) -> list[float]:
    return [_share_of(c, target) for c in completions]


def make_language_consistency(target: str = "en"):
    _check(target)
    return Reward("language_consistency", _fixed_target, target=target)


def _column(values, n: int) -> list:
    return list(values) if isinstance(values, (list, tuple)) else [values] * n


@register("language_consistency", factory=make_language_consistency)
def language_consistency_reward(completions, prompts=None, language=None, user_prompt=None,
                                **kwargs) -> list[float]:
    """Share of CoT words in the target language (column `language`, else the prompt's language)."""
    from r1cli.templates import prompt_text

    n = len(completions)
    langs, asked = _column(language, n), _column(user_prompt if user_prompt is not None else prompts, n)
    return [_share_of(c, lang or text_language(prompt_text(p or "")))
            for c, lang, p in zip(completions, langs, asked, strict=True)]
