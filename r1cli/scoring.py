"""The scored sample: the one place that decides whether a sampled answer is correct, truncated or answerless.
`r1 eval` reports on it; the stages that sample, filter and keep the good answers (reject sampling, cold-start
and distillation data) filter on it.

A Problem is a prompt with its gold answer, its other dataset columns (`extras`: a `reward` column naming
another reward such as countdown, its `numbers`/`target`, `subject`/`level`, ...) and its samples: the texts
as scored (prefill included), their token counts and finish reasons.

Each sample gets a Verdict:
- extracted: its final answer as its reward reads it (r1cli.rewards.answer_of: the math answer, or the option
  letter of a multiple-choice row), None when there is none to read; for a code row (`is_code`) the program,
  its last fenced block after the reasoning;
- truncated: it ended on the token limit (finish_reason "length") or left a <think> or <answer> open;
- correct: its value from the reward registry (accuracy, or the row's own `reward`), 0.0 where the reward gives
  no verdict; for a code row 1.0 when the program passes ALL the row's tests, else 0.0 (the graded `code`
  reward shapes RL only); r1cli.metrics.solved says whether the value counts as correct;
- behaviour: a program's output on each of its row's tests (code rows; cons@K votes on it);
- reason: the one category a curation stage counts, in this order of precedence: "truncated" (even when the
  answer before the cut is right: an unfinished sample is no example to learn from), "unscorable" (the reward
  gave no verdict, e.g. a gold answer that is not mathematics), "correct", "no_answer", "wrong" (for a program:
  "failed_tests"). Only "correct" samples are worth keeping.

Truncation alone does not make a sample wrong: an unclosed <think> has no answer, so it is wrong, but a sample
cut off after its \\boxed{} answer can be right. Truncated and answerless samples do not vote in cons@K.
`summarize` turns a benchmark's verdicts into the results `r1 eval` prints (definitions: r1cli.metrics).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

REASONS = ("correct", "wrong", "failed_tests", "no_answer", "truncated", "unscorable")
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
        p = cls(id=str(row["id"]), prompt=row["prompt"], gold=row.get("answer") or "", extras=extras)  # code: no answer
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
    behaviour: tuple[str, ...] | None = None  # a program's output on each test (code rows only)

    @property
    def has_answer(self) -> bool:
        return bool((self.extracted or "").strip())

    @property
    def votes(self) -> bool:
        """Whether the sample takes part in the majority vote."""
        return not self.truncated and self.has_answer


def is_code(row: dict[str, Any]) -> bool:
    """Whether a row's samples are programs judged by its tests: its `reward` names a code reward, or it has
    no `reward` and carries tests (r1cli.rewards.code_tests)."""
    from r1cli.rewards.code_tests import CODE_REWARDS, has_tests

    reward = row.get("reward")
    return reward in CODE_REWARDS or (not reward and has_tests(row))


def verdicts(texts: Sequence[str], golds: Sequence[Any], finish_reasons: Sequence[str] | None = None,
             prompts: Sequence[Any] | None = None, **columns: Sequence[Any]) -> list[Verdict]:
    """A Verdict per text, judged against its gold with one batched call of the reward registry, or against its
    row's tests for code rows (all tests passed or wrong; `prompts` complete HumanEval's programs). `columns`
    are per-text dataset columns (`reward`, `numbers`, `target`, `tests`, ...); missing finish reasons count as
    "stop"."""
    from r1cli import metrics, rewards

    n = len(texts)
    finish = finish_reasons or ["stop"] * n
    rows = [{k: v[i] for k, v in columns.items()} for i in range(n)]
    code_rows = [i for i in range(n) if is_code(rows[i])]
    judged = dict(zip(code_rows, _judge_code([texts[i] for i in code_rows],
                                             [{**rows[i], "prompt": prompts[i] if prompts else None}
                                              for i in code_rows]), strict=True))
    rest = [i for i in range(n) if i not in judged]
    names = dict(zip(rest, rewards.row_rewards(len(rest), [rows[i].get("reward") for i in rest],
                                               [rows[i].get("choices") for i in rest]), strict=True))
    values = dict(zip(rest, rewards.correctness([texts[i] for i in rest], [golds[i] for i in rest],
                                                [names[i] for i in rest],
                                                **{k: [v[i] for i in rest] for k, v in columns.items()
                                                   if k != "reward"}),
                      strict=True))
    out = []
    for i, (text, reason_ended) in enumerate(zip(texts, finish, strict=True)):
        code = judged.get(i)
        if code is not None:  # the program is the answer; it is correct when it passes every test
            extracted, cut = rewards.extract_answer(text)
            extracted, value = code.code, float(code.correct)
        else:
            extracted, cut = rewards.answer_of(text, names[i])
            value = values[i]
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
            reason = "failed_tests" if code is not None else "wrong"
        out.append(Verdict(extracted, truncated, correct, reason, code.behaviour if code is not None else None))
    return out


def _judge_code(texts: list[str], rows: list[dict[str, Any]]):
    if not texts:
        return []
    from r1cli.rewards.code import judge

    return judge(texts, rows)


def score(problems: Sequence[Problem]) -> list[list[Verdict]]:
    """Verdicts of every sample of every problem (one batch for all), grouped by problem."""
    flat = [(p, j) for p in problems for j in range(len(p.texts))]
    columns = {key: [p.extras.get(key) for p, _ in flat] for key in sorted({k for p in problems for k in p.extras})}
    judged = iter(verdicts([p.texts[j] for p, j in flat], [p.gold for p, _ in flat],
                           [p.finish[j] for p, j in flat], [p.prompt for p, _ in flat], **columns))
    return [[next(judged) for _ in p.texts] for p in problems]


def vote_labels(samples: Sequence[Verdict]) -> list[int | None]:
    """Majority-vote labels of one problem's samples (None for samples that do not vote: truncated or
    answerless). Answers share a label when they are equivalent; programs when they behave the same on the
    problem's tests (r1cli.metrics: cons@K)."""
    from r1cli import rewards

    voters = [i for i, v in enumerate(samples) if v.votes]
    if not voters:
        return [None] * len(samples)
    if any(samples[i].behaviour is not None for i in voters):
        classes: dict[tuple, int] = {}
        return [classes.setdefault(v.behaviour, len(classes)) if v.votes and v.behaviour is not None else None
                for v in samples]
    answers = [samples[i].extracted for i in voters]
    if all(re.fullmatch("[A-J]", a or "") for a in answers):  # option letters: equal only when the same letter
        letters = [sorted(set(answers), key=answers.index).index(a) for a in answers]
    else:
        letters = rewards.equivalence_classes(answers)
    labels = dict(zip(voters, letters, strict=True))
    return [labels.get(i) for i in range(len(samples))]


def summarize(problems: Sequence[Problem], judged: Sequence[Sequence[Verdict]], k: int) -> dict[str, Any]:
    """A benchmark's results: problem and sample counts, the metrics at K = `k` samples, and pass@1 and cons@K
    per value of each breakdown column present."""
    from r1cli import metrics
    from r1cli.readability import mixed, readable
    from r1cli.templates import prompt_text

    correct = [[v.correct for v in vs] for vs in judged]
    votes = [vote_labels(vs) for vs in judged]
    truncated = [[v.truncated for v in vs] for vs in judged]
    tokens = [list(p.tokens) for p in problems]
    known_tokens = None if any(t is None for ts in tokens for t in ts) else tokens
    summary = metrics.summarize(correct, votes, truncated, known_tokens, k)
    # the share of samples a reader can follow (R1 layout, readability filters): the paper's readability claim
    pairs = [(text, prompt_text(p.prompt)) for p, vs in zip(problems, judged, strict=True)
             for text in p.texts[:len(vs)]]
    summary["readable_frac"] = metrics.mean([float(readable(text, prompt)) for text, prompt in pairs])
    # the share whose reasoning mixes languages: R1-Zero's language mixing, and what the language reward cures
    summary["mixed_frac"] = metrics.mean([float(mixed(text, prompt)) for text, prompt in pairs])
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
