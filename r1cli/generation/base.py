"""What every generation backend shares: sampling settings, completions, prompt formatting, seeds, progress.

All backends tokenize prompts the same way here (so vLLM, the HTTP server and transformers see identical token
ids), derive each prompt's seed from the base seed and the prompt's *global* index (so results do not depend
on how the work was cut into shards), and report progress through one rich bar (log lines without a terminal).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from r1cli import errors
from r1cli.errors import UserError

Prompt = str | list[dict]


@dataclass
class Sampling:
    """How to sample. `top_k` of -1, 0 or None means off; `seed=None` means not reproducible.

    `chat_template` applies the tokenizer's chat template to text prompts (message-list prompts always get
    it). `prefill` is appended after the formatted prompt (e.g. "<think>\\n") and is not part of the
    returned text. Stop strings are excluded from the returned text (vLLM's default).
    """

    n: int = 1
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int | None = -1
    max_new_tokens: int = 1024
    stop: list[str] = field(default_factory=list)
    seed: int | None = 0
    chat_template: bool = False
    prefill: str = ""

    def __post_init__(self):
        if self.n < 1:
            raise UserError(f"n must be at least 1, got {self.n}")
        if self.max_new_tokens < 1:
            raise UserError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise UserError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise UserError(f"top_p must be in (0, 1], got {self.top_p}")
        if isinstance(self.stop, str):
            self.stop = [self.stop]
        if any(not s for s in self.stop):
            raise UserError("stop strings must not be empty")

    @property
    def top_k_or_none(self) -> int | None:
        return self.top_k if self.top_k and self.top_k > 0 else None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Completion:
    """One sampled continuation: its text (without prefill or stop string), its generated-token count
    (including the EOS or the token that completed a stop string) and why it ended."""

    text: str
    num_tokens: int
    finish_reason: Literal["stop", "length"]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Completion:
        return cls(text=d["text"], num_tokens=int(d["num_tokens"]), finish_reason=d["finish_reason"])


def prompt_seed(base: int | None, index: int) -> int | None:
    """Seed of the prompt at global position `index`; completion j of it uses seed + j (vLLM's convention
    for n > 1). A hash keeps neighbouring prompts' seed ranges apart."""
    if base is None:
        return None
    digest = hashlib.blake2b(f"{base}:{index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x3FFFFFFF  # leaves room for + j below 2**31


class PromptFormatter:
    """Turns prompts (text or chat messages) into token ids, the same way for every backend."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def text(self, prompt: Prompt, sampling: Sampling) -> tuple[str, bool]:
        """The formatted prompt text and whether the tokenizer should add its special tokens."""
        tok = self.tokenizer
        if isinstance(prompt, str) and not sampling.chat_template:
            return prompt + sampling.prefill, True
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        if not getattr(tok, "chat_template", None):
            raise UserError("this model's tokenizer has no chat template (use plain-text prompts instead)")
        rendered = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return rendered + sampling.prefill, False  # templates write their own BOS

    def ids(self, prompt: Prompt, sampling: Sampling) -> list[int]:
        text, special = self.text(prompt, sampling)
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])


@dataclass
class Request:
    """One prompt, ready for a backend: its token ids and its seed (completion j uses seed + j)."""

    index: int
    ids: list[int]
    seed: int | None


OnDone = Callable[[int, list[Completion]], None]  # (request position, its completions)
OnTokens = Callable[[int], None]  # tokens just generated, in completions finished or not


class Progress:
    """Prompts done and the generation rate (completions/s, tokens/s) on a rich bar, or, without a terminal (a
    log file, a CI job), a log line every LOG_EVERY_S seconds; a no-op without a description.

    Tokens count as the engine generates them (`generated`), so the rate is the engine's while long completions
    are still running (counted at each finished prompt, it read 2 tok/s for an engine at ~50); an engine that
    reports none is counted as its prompts finish."""

    def __init__(self, desc: str | None, total: int, done: int = 0):
        from r1cli import log

        self.desc, self.total, self.done = desc, total, done
        self.completions = self.finished_tokens = self.streamed = 0
        self.start = self.logged = time.monotonic()
        self.bar = None
        self.lines = bool(desc) and not log.console.is_terminal and log.verbosity() >= 0
        if desc and not self.lines:
            self.bar = log.progress()
            self.task = self.bar.add_task(desc, total=total, completed=done, rate="")
            self.bar.start()

    def generated(self, tokens: int) -> None:
        """`tokens` more generated by the engine, in completions finished or not."""
        self.streamed += tokens
        self._show(0)

    def add(self, prompts: int, completions: list[Completion]) -> None:
        self.done += prompts
        self.completions += len(completions)
        self.finished_tokens += sum(c.num_tokens for c in completions)
        self._show(prompts)

    def rate(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        tokens = max(self.streamed, self.finished_tokens)
        return f"{self.completions / elapsed:.1f} compl/s {tokens / elapsed:.0f} tok/s"

    def _show(self, advance: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=advance, rate=self.rate())
        elif self.lines and (time.monotonic() - self.logged >= LOG_EVERY_S or self.done == self.total > 0):
            from r1cli import log

            self.logged = time.monotonic()
            log.info(f"{self.desc}: {self.done}/{self.total} prompts, {self.rate()}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


LOG_EVERY_S = 30.0  # without a terminal: a progress line this often


class Engine:
    """A loaded model that samples completions; reuse one for many calls, close it when done."""

    name = "engine"

    def __init__(self, model_path: str, tokenizer, max_model_len: int | None):
        self.model_path = model_path
        self.tokenizer = tokenizer
        self.formatter = PromptFormatter(tokenizer)
        self.max_model_len = max_model_len
        self.closed = False
        self._on_tokens: OnTokens | None = None

    # --- public -------------------------------------------------------------------------------------
    def generate(self, prompts: Sequence[Prompt], sampling: Sampling, *, progress_desc: str | None = None,
                 first_index: int = 0, on_done: OnDone | None = None,
                 on_tokens: OnTokens | None = None) -> list[list[Completion]]:
        """Sample `sampling.n` completions for each prompt. `first_index` is the global position of
        prompts[0] (seeds derive from it); `on_done(i, completions)` is called as each prompt finishes, and
        `on_tokens(n)` as the backend generates tokens (where it can tell)."""
        if self.closed:
            raise RuntimeError(f"the {self.name} engine is closed")
        requests = [Request(first_index + i, self.formatter.ids(p, sampling), prompt_seed(sampling.seed, first_index + i))
                    for i, p in enumerate(prompts)]
        self._check_lengths(requests)
        results: list[list[Completion] | None] = [None] * len(requests)
        errors.remember_ctrl_c()
        signals = errors.interrupts_seen()

        def stop_if_interrupted() -> None:  # a Ctrl-C whose KeyboardInterrupt library code swallowed
            if errors.interrupts_seen() != signals:
                raise KeyboardInterrupt

        with Progress(progress_desc, len(requests)) as bar:
            def done(pos: int, comps: list[Completion]) -> None:
                stop_if_interrupted()
                results[pos] = comps
                bar.add(1, comps)
                if on_done is not None:
                    on_done(pos, comps)

            def tokens(n: int) -> None:
                stop_if_interrupted()
                bar.generated(n)
                if on_tokens is not None:
                    on_tokens(n)

            self._on_tokens = tokens
            try:
                if requests:
                    self._run(requests, sampling, done)
            finally:
                self._on_tokens = None
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(f"the {self.name} engine returned no result for {len(missing)} prompt(s)")
        return results  # type: ignore[return-value]

    def close(self) -> None:
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- backends ---------------------------------------------------------------------------------------
    def _run(self, requests: list[Request], sampling: Sampling, done: OnDone) -> None:
        raise NotImplementedError

    def _generated(self, tokens: int) -> None:
        """A backend reports `tokens` just generated (the progress rate while completions run)."""
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    def _check_lengths(self, requests: list[Request]) -> None:
        if self.max_model_len is None:
            return
        for r in requests:
            if len(r.ids) >= self.max_model_len:
                raise UserError(f"prompt {r.index} has {len(r.ids)} tokens, more than the engine's "
                                f"max_model_len {self.max_model_len} allows (raise --max-model-len or shorten it)")

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """Text before the earliest stop string, and whether one was found."""
    best = -1
    for s in stops:
        pos = text.find(s)
        if pos != -1 and (best == -1 or pos < best):
            best = pos
    return (text, False) if best == -1 else (text[:best], True)
