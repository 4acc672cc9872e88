"""Evaluation metrics of the DeepSeek-R1 protocol, as pure functions of per-sample results.

Definitions (exactly what `r1 eval` reports; all averages are over problems, each problem weighing the same):

- a sample is correct when its correctness value is 1.0 (`solved`): 1.0 from accuracy or countdown, and for a
  program only when it passes all of its problem's tests. A partial score is never correct.

- pass@k: the unbiased estimator of Chen et al. (2021). A problem with n samples of which c are correct scores
  1 - C(n-c, k) / C(n, k) (1.0 when n - c < k), computed with exact integer binomials. pass@1 is therefore
  the mean correctness of all samples of a problem. k runs over 1, 2, 4, 8, ... up to K, and K itself.
- cons@K: majority vote. Only samples that are neither truncated nor answerless vote; their answers are
  grouped into classes of mathematically equivalent answers. The class with most votes wins; a tie goes to the
  class whose first vote came earliest. The problem counts as solved when the earliest sample of the winning
  class is correct. A problem with no voting sample counts as wrong.
  Programs (code problems) vote by behaviour, not by text: a program's label is the tuple of what it did on each
  of the problem's test inputs (its output lines up to trailing whitespace, a called function's result as JSON,
  or for an assert-style test only that it held; or how it failed: an exit status, a timeout), so programs
  that behave the same on every test are one class; the winning class's earliest program decides. Programs
  without a complete code block do not vote.
- pass@1_stderr: standard error of pass@1 over problems, sample standard deviation (ddof=1) of the per-problem
  pass@1 divided by sqrt(number of problems); 0 for a single problem.
- truncated_frac: truncated samples / all samples. mean_completion_tokens: mean generated tokens per sample.
- readable_frac (added by the scoring core, which reads the texts): samples in the R1 layout whose reasoning
  passes the readability filters (r1cli.readability.readable) / all samples. mixed_frac (added there too):
  samples whose reasoning mixes languages (r1cli.readability.mixed: under 90 % of its words in the prompt's
  language, words identified by language) / all samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def solved(value: float) -> bool:
    """Whether a sample's correctness value counts as correct: full marks only."""
    return value >= 1.0


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn without replacement from n (c correct) is correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def k_values(num_samples: int) -> list[int]:
    """1, 2, 4, ... below num_samples, then num_samples itself."""
    ks, k = [], 1
    while k < num_samples:
        ks.append(k)
        k *= 2
    return ks + [num_samples] if num_samples >= 1 else []


def majority_vote(labels: Sequence[int | None]) -> int | None:
    """Position of the earliest sample of the most frequent label (None labels do not vote); None if no vote.

    Ties go to the label seen first."""
    counts: dict[int, int] = {}
    first: dict[int, int] = {}
    for i, label in enumerate(labels):
        if label is None:
            continue
        counts[label] = counts.get(label, 0) + 1
        first.setdefault(label, i)
    if not counts:
        return None
    winner = max(counts, key=lambda lab: (counts[lab], -first[lab]))
    return first[winner]


def cons_correct(labels: Sequence[int | None], correct: Sequence[float]) -> float:
    """1.0 when the majority answer's earliest sample is correct, else 0.0 (also when nobody voted)."""
    pos = majority_vote(labels)
    return 0.0 if pos is None else float(solved(correct[pos]))


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def stderr(values: Sequence[float]) -> float:
    """Standard error of the mean: sample standard deviation (ddof=1) / sqrt(n); 0.0 below two values."""
    n = len(values)
    if n < 2:
        return 0.0
    m = mean(values)
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return math.sqrt(var / n)


def summarize(correct: Sequence[Sequence[float]], votes: Sequence[Sequence[int | None]],
              truncated: Sequence[Sequence[bool]], tokens: Sequence[Sequence[int]] | None,
              num_samples: int) -> dict[str, float | None]:
    """Benchmark metrics from per-problem lists of per-sample correctness, vote labels, truncation, tokens.

    `num_samples` (K) sets the k values and the cons@K name; each problem uses all of its own samples."""
    counts = [(len(cs), sum(1 for v in cs if solved(v))) for cs in correct]
    if any(n < num_samples for n, _ in counts):
        raise ValueError(f"every problem needs at least {num_samples} samples")
    out: dict[str, float | None] = {}
    per_problem_p1 = [c / n for n, c in counts]
    for k in k_values(num_samples):
        out[f"pass@{k}"] = mean(per_problem_p1) if k == 1 else mean([pass_at_k(n, c, k) for n, c in counts])
    out[f"cons@{num_samples}"] = mean([cons_correct(v, cs) for v, cs in zip(votes, correct, strict=True)])
    all_trunc = [t for ts in truncated for t in ts]
    out["truncated_frac"] = mean([float(t) for t in all_trunc])
    all_tokens = [t for ts in tokens for t in ts] if tokens is not None else []
    out["mean_completion_tokens"] = mean(all_tokens) if all_tokens else None
    out["pass@1_stderr"] = stderr(per_problem_p1)
    return out
