"""Length and repetition shaping. Each has a factory for custom parameters; the registered name uses the
defaults below. From the CLI: "soft_overlong(max_len=2048,cache_len=256):1.0", "repetition(ngram=4)".

soft_overlong  DAPO's soft overlong punishment on the completion length L (tokens, from completion_ids;
               whitespace words when TRL gives no ids):
                 0                                  if L <= max_len - cache_len
                 (max_len - cache_len - L) / cache_len   in the last cache_len tokens (0 .. -1)
                 -1                                 if L > max_len
               Parameters: max_len (default 4096), cache_len (default 512).
repetition     n-gram repetition penalty: max_penalty * (1 - distinct n-grams / n-grams) over the
               lower-cased whitespace words of the completion; 0 for texts shorter than one n-gram.
               Parameters: ngram (default 3), max_penalty (default -1.0, must be <= 0).
cosine         length-scaled accuracy (Yeo et al. 2025, "Demystifying long CoT"): with t = min(L, max_len)/max_len
               and c = cos(pi * t), reward = lo + (hi - lo) * (1 + c) / 2 where for a correct answer
               (lo, hi) = (min_correct, max_correct) -- short correct answers earn most -- and for a wrong
               one (lo, hi) = (max_wrong, min_wrong) -- short wrong answers are punished most.
               Parameters: min_correct 0.5, max_correct 1.0, min_wrong -1.0, max_wrong -0.5, max_len 1000.
               Correctness is the accuracy reward's; None where the gold cannot be parsed.
"""

from __future__ import annotations

import math

from r1cli.rewards.extract import completion_text
from r1cli.rewards.registry import register


def _lengths(completions, completion_ids) -> list[int]:
    if completion_ids is not None and len(completion_ids) == len(completions):
        return [len(ids) for ids in completion_ids]
    return [len(completion_text(c).split()) for c in completions]


def make_soft_overlong(max_len: int = 4096, cache_len: int = 512):
    if not 0 < cache_len <= max_len:
        raise ValueError(f"need 0 < cache_len <= max_len, got cache_len={cache_len}, max_len={max_len}")
    safe = max_len - cache_len

    def soft_overlong_reward(completions, completion_ids=None, **kwargs) -> list[float]:
        out = []
        for n in _lengths(completions, completion_ids):
            out.append(0.0 if n <= safe else (safe - n) / cache_len if n <= max_len else -1.0)
        return out

    return soft_overlong_reward


def make_repetition(ngram: int = 3, max_penalty: float = -1.0):
    if ngram < 1 or max_penalty > 0:
        raise ValueError(f"need ngram >= 1 and max_penalty <= 0, got ngram={ngram}, max_penalty={max_penalty}")

    def repetition_reward(completions, **kwargs) -> list[float]:
        out = []
        for c in completions:
            words = completion_text(c).lower().split()
            grams = [tuple(words[i : i + ngram]) for i in range(len(words) - ngram + 1)]
            out.append(max_penalty * (1 - len(set(grams)) / len(grams)) if grams else 0.0)
        return out

    return repetition_reward


def make_cosine(min_correct: float = 0.5, max_correct: float = 1.0, min_wrong: float = -1.0,
                max_wrong: float = -0.5, max_len: int = 1000):
    if max_len <= 0:
        raise ValueError(f"need max_len > 0, got {max_len}")

    def cosine_reward(completions, completion_ids=None, **kwargs) -> list[float | None]:
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

    return cosine_reward


soft_overlong_reward = register("soft_overlong", factory=make_soft_overlong)(make_soft_overlong())
repetition_reward = register("repetition", factory=make_repetition)(make_repetition())
cosine_reward = register("cosine", factory=make_cosine)(make_cosine())
