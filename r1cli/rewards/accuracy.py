"""Math correctness: the accuracy reward, batch verification and answer equivalence classes.

Pipeline per (gold, answer) pair:
  1. caller-side fast path (extract.fast_compare): identical text is right; plain numbers compared as exact fractions
     ('025' = 25, '1,000' = 1000, '0.5' = '\\frac12'), option letters compared as letters;
  2. everything else goes, deduplicated, to the verifier pool: math-verify parse + verify in a worker
     process with a hard deadline (default 5 s; an item past it scores 0). Exact rationals are compared
     exactly there (math-verify's rounding calls 1/2^99 equal to 1/2^98).
A gold that is not mathematics gives None: not applicable, so TRL ignores the sample and `score` counts it
as not correct. Not mathematics means (before any answer is compared, so identical text does not rescue it):
empty or without a digit, letter or LaTeX command ("?"); or holding prose words (extract.prose_words:
"forty two", "Answer is forty two.") and either not parsing to an expression or parsing to variables spelled
from those words (math-verify reads "forty two" as f*o*r*t*y*t*w*o); or not parsing to an expression at all.
"5 inches", "infinity" and `\\text{Evelyn}` stay applicable. Such samples are counted in
`stats["gold_not_math"]`, and the first one in a process is logged once.
"""

from __future__ import annotations

import os

from r1cli.rewards.extract import (
    as_number,
    clean_gold,
    completion_text,
    extract_answer,
    fast_compare,
    has_notation,
    mc_letter,
    prose_words,
)
from r1cli.rewards.extract import strip_thousands as _thousands
from r1cli.rewards.registry import Reward, register

DEFAULT_TIMEOUT = float(os.environ.get("R1_REWARD_TIMEOUT", "5"))  # per-item hard deadline, seconds

stats = {"gold_not_math": 0, "timeouts": 0}
_warned = {"gold_not_math": False}


def _pool():
    from r1cli.rewards.pool import get_pool

    return get_pool()


def applicable_golds(golds: list[str], timeout: float = DEFAULT_TIMEOUT) -> dict[str, bool]:
    """Cleaned gold -> whether it is mathematics (see the module docstring). Plain numbers and option letters
    are decided here; golds with prose words are parsed in the verifier pool."""
    status: dict[str, bool] = {}
    to_parse = []
    for g in dict.fromkeys(golds):
        if not g or not has_notation(g):
            status[g] = False
        elif as_number(g) is not None or mc_letter(g) or not prose_words(g):
            status[g] = True
        else:
            to_parse.append(g)
    if to_parse:  # a gold that cannot be read within the deadline cannot be scored either
        values = _pool().run("gold", [(g,) for g in to_parse], timeout, default=False)
        status.update((g, bool(v)) for g, v in zip(to_parse, values, strict=True))
    return status


def verify_batch(golds: list, answers: list, timeout: float = DEFAULT_TIMEOUT) -> list[float | None]:
    """1.0/0.0 per (gold, answer); None when the gold is not mathematics. Never raises on bad input."""
    if len(golds) != len(answers):
        raise ValueError(f"verify_batch: {len(golds)} golds but {len(answers)} answers")
    if len(golds) > 64:
        _pool().warm()  # overlap the workers' start-up with the fast path below
    cleaned = [_thousands(clean_gold(gold)) for gold in golds]
    status = applicable_golds(cleaned, timeout)
    results: list[float | None] = [0.0] * len(golds)
    todo: dict[tuple[str, str], list[int]] = {}
    for i, (g, answer) in enumerate(zip(cleaned, answers, strict=False)):
        if not status[g]:
            results[i] = None
            continue
        if answer is None or not str(answer).strip():
            continue
        a = _thousands(str(answer).strip())
        quick = fast_compare(g, a)
        if quick is not None:
            results[i] = quick
        else:
            todo.setdefault((g, a), []).append(i)
    if todo:
        pairs = list(todo)
        killed_before = _pool().killed
        values = _pool().run("verify", pairs, timeout, default=0.0)
        late = _pool().killed - killed_before
        if late:
            stats["timeouts"] += late
            from r1cli import log

            log.warn("%d answer(s) took longer than %.1fs to verify and scored 0", late, timeout)
        for pair, value in zip(pairs, values, strict=False):
            for i in todo[pair]:
                results[i] = value
    _count_not_math(golds, results)
    return results


def _count_not_math(golds: list, results: list) -> None:
    bad = [i for i, r in enumerate(results) if r is None]
    if not bad:
        return
    stats["gold_not_math"] += len(bad)
    if not _warned["gold_not_math"]:  # once per process: a bad dataset would otherwise log every batch
        _warned["gold_not_math"] = True
        from r1cli import log

        log.warn("gold answer %r is not mathematics: its samples get no accuracy reward (not applicable); "
                 "later ones are only counted", str(golds[bad[0]])[:80])


def equivalence_classes(answers: list, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
    """A class label per answer; mathematically equivalent answers share it. Labels count up from 0 in
    order of first appearance. Missing/empty answers each get a label of their own (they never win a vote)."""
    labels = [-1] * len(answers)
    by_key: dict[tuple, int] = {}
    reps: list[tuple[int, str, bool]] = []  # (label, representative answer, is a plain number)
    next_label = 0
    for i, raw in enumerate(answers):
        if raw is None or not str(raw).strip():
            labels[i], next_label = next_label, next_label + 1
            continue
        a = _thousands(str(raw).strip())
        num = as_number(a)
        letter = mc_letter(a) if num is None else None
        key = ("n", num) if num is not None else ("l", letter) if letter else ("s", "".join(a.split()))
        if key in by_key:
            labels[i] = by_key[key]
            continue
        found = None
        candidates = [(lab, rep) for lab, rep, rep_num in reps if not (rep_num and num is not None)]
        unknown = []
        for lab, rep in candidates:
            quick = fast_compare(rep, a)
            if quick == 1.0:
                found = lab
                break
            if quick is None:
                unknown.append((lab, rep))
        if found is None and unknown:
            values = _pool().run("verify", [(rep, a) for _, rep in unknown], timeout, default=0.0)
            found = next((lab for (lab, _), v in zip(unknown, values, strict=False) if v == 1.0), None)
        if found is None:
            found, next_label = next_label, next_label + 1
            reps.append((found, a, num is not None))
        by_key[key] = labels[i] = found
    return labels


def answers_of(completions) -> list[str | None]:
    """Extracted final answers (None for truncated / answerless completions)."""
    out = []
    for c in completions:
        ans, truncated = extract_answer(completion_text(c))
        out.append(None if truncated else ans)
    return out


def _accuracy(completions, answer=None, solution=None, *, timeout: float, **kwargs) -> list[float | None]:
    if answer is None:
        answer = solution
    if answer is None:
        from r1cli import log

        log.warn("accuracy reward: the dataset has no 'answer' column; no reward given")
        return [None] * len(completions)
    return verify_batch(list(answer), answers_of(completions), timeout=timeout)


def make_accuracy(timeout: float = DEFAULT_TIMEOUT) -> Reward:
    """accuracy with another per-item deadline (spec: "accuracy(timeout=10)")."""
    return Reward("accuracy", _accuracy, timeout=timeout)


accuracy_reward = register("accuracy", factory=make_accuracy, correctness=True)(make_accuracy())
