"""The curation pipeline on sampled completions: verify -> filter -> judge -> format -> dedupe -> cap.

A `Curator` holds the prompts' dataset rows and the settings. `on_shard(first, results)` (the generation
core's per-shard callback) verifies a shard in a background thread while the next one is sampled: the
correctness check runs in the reward verifier's worker processes, so the two overlap. Then the samples that
need the judge (`pending()`) get its prompts (`judge_prompts()`) and verdicts (`apply_verdicts(...)`), a stage
may replace the candidates' summaries (`apply_summaries(...)`), and `finish()` dedupes, caps and returns the
outcome.

Every sample ends with exactly one reason, the first step that rejects it, or "kept"; so the counts add up
to the number generated. Reasons, in pipeline order (REASONS):
  truncated         ended on the token limit
  unfinished_think  stopped with a <think> or <answer> still open
  no_answer         no final answer to read (and no judge to ask)
  wrong             the rule reward says wrong
  failed_tests      a program that fails at least one of its row's tests (code rows)
  unscorable        the reward gives no verdict on the reference answer (and no judge)
  no_reference      the row has no reference answer (and no judge)
  no_think          no reasoning block to put in the R1 layout (kept as sampled, none is needed:
                    layout.split_sampled)
  bad_layout        tags left inside the reasoning or the summary (layout.stray_tags)
  short_reasoning / long_reasoning: reasoning outside the token bounds (cold-start data is long CoT; off by
                    default)
  mixed_language / long_paragraph / code_block / repetition: the readability filters (r1cli.readability)
  judged_wrong      the judge says incorrect
  judge_unparsable  the judge's reply is no verdict
  bad_summary       a summary given by `apply_summaries` states no answer or another answer than the
                    verified one (or none came)
  duplicate / near_duplicate: of an earlier kept response to the same prompt (r1cli.curation.dedupe)
  over_cap          beyond the per-prompt cap
Correctness is the scoring core's (r1cli.scoring): the rule reward is the row's `reward` column (default
accuracy), or `reward` given here for every row. With a judge, `judge_when="unparsable"` asks it only where
the rule has no verdict (no answer it can read, no or unusable reference); `"always"` asks it about every
finished sample, and its verdict decides. The judge sees only samples that passed the readability filters,
so no judge call is spent on a sample that would be dropped anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from r1cli.curation import dedupe
from r1cli.layout import r1_layout, split_r1, stray_tags
from r1cli.readability import Readability, prompt_language
from r1cli.templates import prompt_text

REASONS = ("truncated", "unfinished_think", "no_answer", "wrong", "failed_tests", "unscorable", "no_reference", "no_think", "bad_layout",
           "short_reasoning", "long_reasoning", "mixed_language", "long_paragraph", "code_block", "repetition",
           "judged_wrong", "judge_unparsable", "bad_summary", "duplicate", "near_duplicate", "over_cap", "kept")
JUDGE_WHEN = ("unparsable", "always")
# the scoring core's reasons the judge may overturn with judge_when="unparsable"
_NO_RULE_VERDICT = ("no_answer", "unscorable")

Split = Callable[[str], "tuple[str, str] | None"]
Summarize = Callable[["Sample"], str]  # the summary a kept sample is written with (default: the model's own)


@dataclass
class Settings:
    """What the pipeline keeps. `language` None: each row's `language` column, else its prompt's language.
    `near_duplicate_threshold` 0 and `max_per_prompt` 0 switch those steps off."""

    readability: Readability = field(default_factory=Readability)
    language: str | None = None
    reward: str | None = None
    judge_when: str | None = None  # None: no judge
    near_duplicate_threshold: float = 0.85
    min_reasoning_tokens: int = 0  # 0: no lower bound
    max_reasoning_tokens: int = 0  # 0: no upper bound
    max_per_prompt: int = 0
    select: str = "random"
    seed: int = 0


@dataclass
class Sample:
    """One sampled completion and what became of it."""

    row: int
    j: int
    text: str  # as scored: prefill included
    num_tokens: int
    finish: str
    extracted: str | None = None
    reason: str | None = None  # None while still a candidate
    verified_by: str | None = None
    reasoning: str = ""
    summary: str = ""
    judge_reply: str | None = None

    @property
    def response(self) -> str:
        return r1_layout(self.reasoning, self.summary)


class Curator:
    def __init__(self, rows: Sequence[dict[str, Any]], settings: Settings, *, prefill: str = "",
                 stop: Sequence[str] = (), split: Split = split_r1,
                 count_tokens: Callable[[str], int] | None = None, summarize: Summarize | None = None):
        if settings.judge_when not in (None, *JUDGE_WHEN):
            raise ValueError(f"judge_when must be one of {JUDGE_WHEN} or None, got {settings.judge_when!r}")
        self.rows = list(rows)
        self.settings = settings
        self.prefill, self.stop, self.split = prefill, list(stop), split
        if (settings.min_reasoning_tokens or settings.max_reasoning_tokens) and count_tokens is None:
            raise ValueError("reasoning length bounds need count_tokens")
        self.count_tokens, self.summarize = count_tokens, summarize
        self.samples: list[list[Sample]] = [[] for _ in self.rows]
        self._executor: ThreadPoolExecutor | None = None
        self._futures: list[Future] = []

    # --- verification, shard by shard ------------------------------------------------------------------
    def on_shard(self, first: int, results) -> None:
        """The generation core's per-shard callback: verify the shard in the background."""
        for f in self._futures:
            if f.done() and f.exception() is not None:
                raise f.exception()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="verify")
        self._futures.append(self._executor.submit(self.verify, first, results))

    def wait(self) -> None:
        """Wait for the background verification; re-raise its first failure."""
        try:
            for f in self._futures:
                f.result()
        finally:
            self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._futures = []

    def row_with_reward(self, i: int) -> dict[str, Any]:
        row = self.rows[i]
        return {**row, "reward": self.settings.reward} if self.settings.reward else row

    def verify(self, first: int, results) -> None:
        """Verify and filter the samples of prompts first, first + 1, ...: every sample gets its reason, or
        stays a candidate (verified by the rule, or waiting for the judge)."""
        from r1cli import scoring

        problems = [scoring.Problem.from_completions(self.row_with_reward(first + k), comps, self.prefill, self.stop)
                    for k, comps in enumerate(results)]
        for k, (problem, verdicts) in enumerate(zip(problems, scoring.score(problems), strict=True)):
            i = first + k
            samples = []
            for j, v in enumerate(verdicts):
                s = Sample(i, j, problem.texts[j], problem.tokens[j] or 0, problem.finish[j], v.extracted)
                s.reason = self._check(i, s, v.reason)
                samples.append(s)
            self.samples[i] = samples

    def _check(self, i: int, s: Sample, rule: str) -> str | None:
        if rule == "truncated":
            return "truncated" if s.finish == "length" else "unfinished_think"
        when = self.settings.judge_when
        if rule == "correct" and when != "always":
            s.verified_by = "rule"
        elif when == "always" or (when == "unparsable" and rule in _NO_RULE_VERDICT):
            s.verified_by = None  # the judge decides
        elif rule == "unscorable" and not str(self.rows[i].get("answer") or "").strip():
            return "no_reference"
        else:
            return rule
        parts = self.split(s.text)
        if parts is None:
            return "no_think"
        s.reasoning, s.summary = parts
        if stray_tags(s.reasoning) or stray_tags(s.summary):
            return "bad_layout"
        reason = self.length(s.reasoning) or self.settings.readability.check(s.reasoning, self.language(i),
                                                                             self.code_prompt(i))
        if reason is None and self.summarize is not None:
            s.summary = self.summarize(s)
        return reason

    def length(self, reasoning: str) -> str | None:
        """"short_reasoning" or "long_reasoning" when the reasoning's token count is out of bounds."""
        st = self.settings
        if not (st.min_reasoning_tokens or st.max_reasoning_tokens):
            return None
        n = self.count_tokens(reasoning)
        if n < st.min_reasoning_tokens:
            return "short_reasoning"
        if st.max_reasoning_tokens and n > st.max_reasoning_tokens:
            return "long_reasoning"
        return None

    def language(self, i: int) -> str:
        row = self.rows[i]
        return self.settings.language or row.get("language") or prompt_language(prompt_text(row["prompt"]))

    def code_prompt(self, i: int) -> bool:
        from r1cli import scoring

        return scoring.is_code(self.row_with_reward(i))

    # --- the judge ---------------------------------------------------------------------------------------
    def pending(self) -> list[Sample]:
        """Candidates waiting for the judge, in sample order."""
        return [s for samples in self.samples for s in samples if s.reason is None and s.verified_by is None]

    def judge_prompts(self) -> list[str]:
        from r1cli.curation.judge import build_prompt

        return [build_prompt(prompt_text(self.rows[s.row]["prompt"]), s.summary, self.rows[s.row].get("answer"))
                for s in self.pending()]

    def apply_verdicts(self, verdicts: Sequence[tuple[bool | None, str]]) -> None:
        """The judge's (verdict, reply) for each of `pending()`, in order."""
        pending = self.pending()
        if len(verdicts) != len(pending):
            raise ValueError(f"{len(verdicts)} verdicts for {len(pending)} samples waiting for the judge")
        for s, (verdict, reply) in zip(pending, verdicts, strict=True):
            s.judge_reply = reply
            if verdict is None:
                s.reason = "judge_unparsable"
            elif verdict:
                s.verified_by = "judge"
            else:
                s.reason = "judged_wrong"

    # --- summaries written after verification ------------------------------------------------------------
    def candidates(self) -> list[Sample]:
        """Verified samples still in the running, in sample order."""
        return [s for samples in self.samples for s in samples if s.reason is None and s.verified_by]

    def apply_summaries(self, summaries: Sequence[str | None]) -> None:
        """A new summary (None: none came) for each of `candidates()`, in order, e.g. from a summarizer model:
        a summary whose answer is not the verified one (the reference, else the answer the judge accepted)
        rejects its sample."""
        from r1cli import scoring

        candidates = self.candidates()
        if len(summaries) != len(candidates):
            raise ValueError(f"{len(summaries)} summaries for {len(candidates)} samples")
        checks = []
        for s, summary in zip(candidates, summaries, strict=True):
            if summary is None:
                s.summary, s.reason = "", "bad_summary"
                continue
            row = self.row_with_reward(s.row)
            gold = str(row.get("answer") or "").strip() or (s.extracted or "")
            extras = {k: v for k, v in row.items() if k not in ("id", "prompt", "answer")}
            checks.append((s, summary, scoring.Problem(str(row["id"]), row["prompt"], gold, extras,
                                                       [r1_layout(s.reasoning, summary)], [0], ["stop"])))
        for (s, summary, _), verdicts in zip(checks, scoring.score([p for *_, p in checks]), strict=True):
            s.summary = summary
            if verdicts[0].reason != "correct":
                s.reason = "bad_summary"

    # --- dedupe and cap ----------------------------------------------------------------------------------
    def finish(self) -> list[Sample]:
        """Dedupe and cap the candidates of each prompt (identical prompts count as one); mark the rest kept.
        Returns the kept samples in sample order."""
        if self.pending():
            raise RuntimeError("some samples still wait for the judge (call apply_verdicts first)")
        groups: dict[str, list[Sample]] = {}
        for samples in self.samples:
            for s in samples:
                if s.reason is None:
                    key = dedupe.normalize(json.dumps(self.rows[s.row]["prompt"], ensure_ascii=False))
                    groups.setdefault(key, []).append(s)
        st = self.settings
        for key, group in groups.items():
            for s, reason in zip(group, dedupe.duplicates([s.response for s in group], st.near_duplicate_threshold),
                                 strict=True):
                s.reason = reason
            left = [s for s in group if s.reason is None]
            keep = dedupe.cap([s.num_tokens for s in left], st.max_per_prompt, st.select, key, st.seed)
            for s, stays in zip(left, keep, strict=True):
                s.reason = "kept" if stays else "over_cap"
        return [s for samples in self.samples for s in samples if s.reason == "kept"]

    def counts(self) -> dict[str, int]:
        """{"generated": N, reason: count for every reason} (zeros included, in pipeline order)."""
        flat = [s.reason for samples in self.samples for s in samples]
        return {"generated": len(flat), **{r: flat.count(r) for r in REASONS}}

    def rejected(self) -> list[Sample]:
        return [s for samples in self.samples for s in samples if s.reason != "kept"]
