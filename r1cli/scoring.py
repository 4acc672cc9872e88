"""The scored sample: the one place that decides whether a sampled answer is correct, truncated or answerless.
`r1 eval` reports on it; the stages that sample, filter and keep the good answers (reject sampling, cold-start
and distillation data) filter on it.

A Problem is a prompt with its gold answer, its other dataset columns (`extras`: a `reward` column naming
another reward such as countdown, its `numbers`/`target`, `subject`/`level`, ...) and its samples: the texts
as scored (prefill included), their token counts and finish reasons.

Each sample gets a Verdict:
- extracted: its final answer (r1cli.rewards.extract_answer), None when there is none to read;
- truncated: it ended on the token limit (finish_reason "length") or left a <think> or <answer> open;
- correct: its value from the reward registry (accuracy, or the row's own `reward`), 0.0 where the reward gives
  no verdict; r1cli.metrics.solved says whether the value counts as correct;
- reason: the one category a curation stage counts, in this order of precedence: "truncated" (even when the
  answer before the cut is right: an unfinished sample is no example to learn from), "unscorable" (the reward
  gave no verdict, e.g. a gold answer that is not mathematics), "correct", "no_answer", "wrong". Only
  "correct" samples are worth keeping.

Truncation alone does not make a sample wrong: an unclosed <think> has no answer, so it is wrong, but a sample
cut off after its \\boxed{} answer can be right. Truncated and answerless samples do not vote in cons@K.
`summarize` turns a benchmark's verdicts into the results `r1 eval` prints (definitions: r1cli.metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

REASONS = ("correct", "wrong", "no_answer", "truncated", "unscorable")
BREAKDOWN_COLUMNS = ("subject", "level")  # MATH-500 has both


@dataclass
class Problem:
    """One problem with its samples: texts as scored (prefill included), token counts, finish reasons."""

    id: str
    prompt: Any
    gold: str
    extras: dict[str, Any]
    texts: list[str] = field(default_factory=list)
    tokens: list[int | None] = field(default_factory=list)
    finish: list[str] = field(default_factory=list)

    @classmethod
    def from_completions(cls, row: dict[str, Any], completions, prefill: str = "",
                         stop: Sequence[str] = ()) -> Problem:
        """A dataset row (id, prompt, answer, other columns) with the engine's Completions of its prompt."""
        extras = {k: v for k, v in row.items() if k not in ("id", "prompt", "answer")}
        p = cls(id=str(row["id"]), prompt=row["prompt"], gold=row["answer"], extras=extras)
        for c in completions:
            p.texts.append(scored_text(c.text, prefill, c.finish_reason, stop))
            p.tokens.append(c.num_tokens)
            p.finish.append(c.finish_reason)
        return p


def scored_text(completion: str, prefill: str = "", finish_reason: str = "stop", stop: Sequence[str] = ()) -> str:
    """The text a sample is judged on: the prefill (part of the answer) and the completion, with a closing
    </answer> put back where the engine stopped on it (engines drop the stop string)."""
    text = prefill + completion
    unclosed = text.rfind("<answer>") > text.rfind("</answer>")
    if "</answer>" in stop and finish_reason == "stop" and unclosed:
        text += "</answer>"
    return text


@dataclass(frozen=True)
class Verdict:
    """How one sample fares (see the module docstring)."""

    extracted: str | None
    truncated: bool
    correct: float
    reason: str

    @property
    def has_answer(self) -> bool:
        return bool((self.extracted or "").strip())

    @property
    def votes(self) -> bool:
        """Whether the sample takes part in the majority vote."""
        return not self.truncated and self.has_answer


def verdicts(texts: Sequence[str], golds: Sequence[Any], finish_reasons: Sequence[str] | None = None,
             **columns: Sequence[Any]) -> list[Verdict]:
    """A Verdict per text, judged against its gold with one batched call of the reward registry. `columns` are
    per-text dataset columns (`reward`, `numbers`, `target`, ...); missing finish reasons count as "stop"."""
    from r1cli import metrics, rewards

    finish = finish_reasons or ["stop"] * len(texts)
    values = rewards.correctness(list(texts), list(golds), **{k: list(v) for k, v in columns.items()})
    out = []
    for text, reason_ended, value in zip(texts, finish, values, strict=True):
        extracted, cut = rewards.extract_answer(text)
        truncated = cut or reason_ended == "length"
        correct = 0.0 if value is None else value
        if truncated:
            reason = "truncated"
        elif value is None:
            reason = "unscorable"
        elif metrics.solved(correct):
            reason = "correct"
        elif not (extracted or "").strip():
            reason = "no_answer"
        else:
            reason = "wrong"
        out.append(Verdict(extracted, truncated, correct, reason))
    return out


def score(problems: Sequence[Problem]) -> list[list[Verdict]]:
    """Verdicts of every sample of every problem (one batch for all), grouped by problem."""
    flat = [(p, j) for p in problems for j in range(len(p.texts))]
    columns = {key: [p.extras.get(key) for p, _ in flat] for key in sorted({k for p in problems for k in p.extras})}
    judged = iter(verdicts([p.texts[j] for p, j in flat], [p.gold for p, _ in flat],
                           [p.finish[j] for p, j in flat], **columns))
    return [[next(judged) for _ in p.texts] for p in problems]


def vote_labels(samples: Sequence[Verdict]) -> list[int | None]:
    """Majority-vote labels of one problem's samples: equivalent answers share a label; None for samples that
    do not vote (truncated or answerless)."""
    from r1cli import rewards

    voters = [i for i, v in enumerate(samples) if v.votes]
    if not voters:
        return [None] * len(samples)
    labels = dict(zip(voters, rewards.equivalence_classes([samples[i].extracted for i in voters]), strict=True))
    return [labels.get(i) for i in range(len(samples))]


def summarize(problems: Sequence[Problem], judged: Sequence[Sequence[Verdict]], k: int) -> dict[str, Any]:
    """A benchmark's results: problem and sample counts, the metrics at K = `k` samples, and pass@1 and cons@K
    per value of each breakdown column present."""
    from r1cli import metrics
    from r1cli.readability import readable
    from r1cli.templates import prompt_text

    correct = [[v.correct for v in vs] for vs in judged]
    votes = [vote_labels(vs) for vs in judged]
    truncated = [[v.truncated for v in vs] for vs in judged]
    tokens = [list(p.tokens) for p in problems]
    known_tokens = None if any(t is None for ts in tokens for t in ts) else tokens
    summary = metrics.summarize(correct, votes, truncated, known_tokens, k)
    # the share of samples a reader can follow (R1 layout, readability filters): the paper's readability claim
    summary["readable_frac"] = metrics.mean([float(readable(text, prompt_text(p.prompt)))
                                             for p, vs in zip(problems, judged, strict=True)
                                             for text in p.texts[:len(vs)]])
    return {"num_problems": len(problems), "num_samples": k, "metrics": summary,
            "breakdown": _breakdown(problems, correct, votes, k)}


def _breakdown(problems: Sequence[Problem], correct, votes, k: int) -> dict[str, dict[str, dict[str, float]]]:
    from r1cli import metrics

    out: dict[str, dict[str, dict[str, float]]] = {}
    for column in BREAKDOWN_COLUMNS:
        if not any(p.extras.get(column) is not None for p in problems):
            continue
        groups: dict[str, list[int]] = {}
        for i, p in enumerate(problems):
            groups.setdefault(str(p.extras.get(column)), []).append(i)
        out[column] = {
            value: {"num_problems": len(idx),
                    "pass@1": metrics.mean([metrics.mean(correct[i]) for i in idx]),
                    f"cons@{k}": metrics.mean([metrics.cons_correct(votes[i], correct[i]) for i in idx])}
            for value, idx in sorted(groups.items())
        }
    return out
