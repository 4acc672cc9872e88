"""Benchmark: our accuracy reward vs a serial math-verify loop (the open-r1 / TRL way).

    .venv/bin/python bench/rewards.py [--n 4096] [--data /work/shared/data]

Builds N completions from MATH-500 and GSM8K gold answers (right, wrong and reformatted: boxed, inside
<answer>, thousands separators, decimals vs fractions, chat messages), then times
  * baseline: per item parse("$gold$"), parse(completion), verify(...) in this process, serially;
  * ours: r1cli accuracy reward on the whole batch, pool started cold (its start-up is included);
  * ours + the input that hangs math-verify, again from a cold pool (must finish within the
    per-item deadline + 1 s of the run without it).
The last line printed is JSON with `ratio` = our throughput / baseline throughput.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from fractions import Fraction
from pathlib import Path

HANG = r"\boxed{\dfrac{5^{\left(5^{\left(5^{\left(5^5\right)}\right)} - 4\right)} - 5}{16}}"


def _load(path: Path) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _decimal(gold: str) -> str | None:
    m = re.fullmatch(r"\\[dt]?frac\{(-?\d+)\}\{(\d+)\}", gold.strip())
    if not m:
        return None
    q = Fraction(int(m.group(1)), int(m.group(2)))
    d = q.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    return str(float(q)) if d == 1 else None


def build(data: Path, n: int, seed: int = 0) -> tuple[list, list[str]]:
    rng = random.Random(seed)
    golds = [r["answer"] for r in _load(data / "math500" / "test.jsonl")]
    golds += [r["answer"].split("####")[-1].strip() for r in _load(data / "gsm8k" / "test.jsonl")]
    completions, answers = [], []
    think = "<think>\nLet me work through this step by step. First we simplify, then compute.\n</think>\n"
    for i in range(n):
        gold = rng.choice(golds)
        kind = i % 8
        text = gold
        if kind == 0:
            body = f"<answer>The final answer is $\\boxed{{{gold}}}$.</answer>"
        elif kind == 1:
            body = f"<answer>{gold}</answer>"
        elif kind == 2:  # thousands separators / decimal forms
            if re.fullmatch(r"\d{4,}", gold.replace(",", "")):
                text = f"{int(gold.replace(',', '')):,}"
            elif _decimal(gold):
                text = _decimal(gold)
            elif re.fullmatch(r"-?\d+", gold):
                text = f"{gold}.0"
            body = f"<answer>\\boxed{{{text}}}</answer>"
        elif kind == 3:  # wrong: another problem's answer
            body = f"<answer>\\boxed{{{rng.choice(golds)}}}</answer>"
        elif kind == 4:  # wrong: off by one where numeric
            text = str(int(gold) + 1) if re.fullmatch(r"-?\d+", gold) else gold + "+1"
            body = f"<answer>\\boxed{{{text}}}</answer>"
        elif kind == 5:  # no answer tags, prose + boxed
            body = f"So after all that, the answer is $\\boxed{{{gold}}}$."
            completions.append(think + body)
            answers.append(gold)
            continue
        elif kind == 6:  # chat message
            completions.append([{"role": "assistant", "content": think + f"<answer>\\boxed{{{gold}}}</answer>"}])
            answers.append(gold)
            continue
        else:  # truncated: think never closed
            completions.append("<think>\nStill working on it... maybe " + gold)
            answers.append(gold)
            continue
        completions.append(think + body)
        answers.append(gold)
    return completions, answers


def baseline(completions, answers) -> list[float]:
    """The open-r1 / TRL pattern: gold parsed wrapped in $...$, completion parsed, verify, one by one."""
    from math_verify import LatexExtractionConfig, parse, verify
    from math_verify.parser import NormalizationConfig

    from r1cli.rewards.extract import completion_text

    cfg = [LatexExtractionConfig(normalization_config=NormalizationConfig(nits=False, malformed_operators=False,
                                                                          basic_latex=True, boxed="all", units=True),
                                 boxed_match_priority=0, try_extract_without_anchor=False)]
    out = []
    for comp, gold in zip(completions, answers, strict=False):
        gold_parsed = parse(f"${gold}$")
        if not gold_parsed:
            out.append(None)
            continue
        pred = parse(completion_text(comp), extraction_config=cfg, extraction_mode="first_match")
        try:
            out.append(float(verify(gold_parsed, pred)))
        except Exception:
            out.append(0.0)
    return out


def ours(completions, answers, timeout: float) -> tuple[list, float]:
    from r1cli.rewards import get
    from r1cli.rewards.pool import shutdown_pool

    shutdown_pool()  # cold start: include the worker start-up in the timing
    t = time.perf_counter()
    out = get("accuracy")(prompts=None, completions=completions, completion_ids=None, answer=answers,
                          timeout=timeout)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    completions, answers = build(args.data, args.n)

    import math_verify  # noqa: F401  (import outside the timed region, as a trainer would have it loaded)

    t = time.perf_counter()
    base = baseline(completions, answers)
    t_base = time.perf_counter() - t
    mine, t_ours = ours(completions, answers, args.timeout)
    hang_comps, hang_answers = completions + [f"<answer>{HANG}</answer>"], answers + ["1"]
    mine_hang, t_hang = ours(hang_comps, hang_answers, args.timeout)

    def acc(xs):
        return sum(x or 0.0 for x in xs) / len(xs)

    diff = sum((a or 0.0) != (b or 0.0) for a, b in zip(base, mine, strict=False))
    result = {
        "n": len(completions),
        "baseline_s": round(t_base, 2),
        "ours_s": round(t_ours, 2),
        "ratio": round(t_base / t_ours, 2),
        "baseline_items_per_s": round(len(completions) / t_base, 1),
        "ours_items_per_s": round(len(completions) / t_ours, 1),
        "with_hang_s": round(t_hang, 2),
        "hang_extra_s": round(t_hang - t_ours, 2),
        "hang_within_deadline_plus_1s": t_hang <= t_ours + args.timeout + 1.0,
        "hang_item_score": mine_hang[-1],
        "baseline_mean_reward": round(acc(base), 4),
        "ours_mean_reward": round(acc(mine), 4),
        "disagreements": diff,
    }
    print(f"baseline {t_base:.2f}s, ours {t_ours:.2f}s (x{t_base / t_ours:.2f}); with hang {t_hang:.2f}s",
          file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
