"""Length and repetition shaping. Each has a factory for custom parameters; the registered name uses the
defaults below. From the CLI: "soft_overlong(max_len=2048,cache_len=256):1.0", "repetition(ngram=4)".

soft_overlong  DAPO's soft overlong punishment on the completion length L (tokens, from completion_ids;
               whitespace words when TRL gives no ids):
                 0                                  if L <= max_len - cache_len
                 (max_len - cache_len - L) / cache_len   in the last cache_len tokens (0 .. -1)
                 -1                                 if L > max_len
               Parameters: max_len (default 4096), cache_len (default 512).
repetition     n-gram repetition penalty: max_penalty * repetition_ratio(text), the share of repeated
               n-grams (1 - distinct n-grams / n-grams) over the words of r1cli.rewards.words (the words
               language_consistency counts; each Han/kana character is a word, so a looping Chinese or
               Japanese chain of thought is caught); 0 for texts shorter than one n-gram.
               Parameters: ngram (default 3), max_penalty (default -1.0, must be <= 0).
cosine         length-scaled accuracy (Yeo et al. 2025, "Demystifying long CoT"): with t = min(L, max_len)/max_len
               and c = cos(pi * t), reward = lo + (hi - lo) * (1 + c) / 2 where for a correct answer
               (lo, hi) = (min_correct, max_correct) -- short correct answers earn most -- and for a wrong
               one (lo, hi) = (max_wrong, min_wrong) -- short wrong answers are punished most.
               Parameters: min_correct 0.5, max_correct 1.0, min_wrong -1.0, max_wrong -0.5, max_len 1000.
               Correctness is the accuracy reward's; None where the gold is not mathematics (not applicable).
"""

from __future__ import annotations

import math

from r1cli.rewards.extract import completion_text
from r1cli.rewards.registry import Reward, register
from r1cli.rewards.words import words


def _lengths(completions, completion_ids) -> list[int]:
    if completion_ids is not None and len(completion_ids) == len(completions):
        return [len(ids) for ids in completion_ids]
    return [len(completion_text(c).split()) for c in completions]


def _soft_overlong(completions, completion_ids=None, *, max_len: int, cache_len: int, **kwargs) -> list[float]:
    safe = max_len - cache_len
    return [0.0 if n <= safe else (safe - n) / cache_len if n <= max_len else -1.0
            for n in _lengths(completions, completion_ids)]


def make_soft_overlong(max_len: int = 4096, cache_len: int = 512) -> Reward:
    if not 0 < cache_len <= max_len:
        raise ValueError(f"need 0 < cache_len <= max_len, got cache_len={cache_len}, max_len={max_len}")
    return Reward("soft_overlong", _soft_overlong, max_len=max_len, cache_len=cache_len)


def repetition_ratio(text: str, ngram: int = 3) -> float:
    """Share of the word n-grams of `text` that repeat an earlier one (0.0 .. 1.0; 0.0 under one n-gram)."""
    w = words(text)
    grams = [tuple(w[i : i + ngram]) for i in range(len(w) - ngram + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def _repetition(completions, *, ngram: int, max_penalty: float, **kwargs) -> list[float]:
    return [max_penalty * repetition_ratio(completion_text(c), ngram) for c in completions]


def make_repetition(ngram: int = 3, max_penalty: float = -1.0) -> Reward:
    if ngram < 1 or max_penalty > 0:
        raise ValueError(f"need ngram >= 1 and max_penalty <= 0, got ngram={ngram}, max_penalty={max_penalty}")
    return Reward("repetition", _repetition, ngram=ngram, max_penalty=max_penalty)


def _cosine(completions, completion_ids=None, *, min_correct: float, max_correct: float, min_wrong: float,
            max_wrong: float, max_len: int, **kwargs) -> list[float | None]:
    from r1cli.rewards.accuracy import accuracy_reward

    correct = accuracy_reward(completions, **kwargs)
    out: list[float | None] = []
    for ok, n in zip(correct, _lengths(completions, completion_ids), strict=False):
        if ok is None:
            out.append(None)
            continue
        lo, hi = (min_correct, max_correct) if ok == 1.0 else (max_wrong, min_wrong)
        c = math.cos(math.pi * min(n, max_len) / max_len)
        out.append(lo + (hi - lo) * (1 + c) / 2)
    return out


def make_cosine(min_correct: float = 0.5, max_correct: float = 1.0, min_wrong: float = -1.0,
                max_wrong: float = -0.5, max_len: int = 1000) -> Reward:
    if max_len <= 0:
        raise ValueError(f"need max_len > 0, got {max_len}")
    return Reward("cosine", _cosine, min_correct=min_correct, max_correct=max_correct, min_wrong=min_wrong,
                  max_wrong=max_wrong, max_len=max_len)


soft_overlong_reward = register("soft_overlong", factory=make_soft_overlong)(make_soft_overlong())
repetition_reward = register("repetition", factory=make_repetition)(make_repetition())
cosine_reward = register("cosine", factory=make_cosine)(make_cosine())
