"""Reward-model rewards and row routing, for RL on a mix of reasoning and general prompts (R1's stage 4).

A mixed dataset's rows carry a `kind` column: `reasoning` (a reference answer; rule rewards judge it) or
`general` (no rule can; reward models judge it). Every reward here returns None on rows it does not apply to,
TRL's convention, so a row's group advantage is built from its own kind's rewards only.

- `Routed(fn, kind)`: a rule reward (accuracy, format, ...) applied to the rows of one kind only.
- `ModelReward(name, path, scope=...)`: the score (logit) of a sequence-classification checkpoint on the
  general rows. `scope="summary"` shows it the summary only: the text after `</think>`, or the whole of a
  response with no think block (an instruct model's plain reply is all summary; one that opened a think block
  and never closed it has none and gets `missing` instead), so the judge is neither swayed by nor
  penalises the reasoning; `scope="response"` shows it the whole response, reasoning included, so harm hidden
  in the reasoning still counts (the paper's helpfulness and harmlessness rewards). `from_step` holds it off
  (None) until that optimizer step (the paper switches the preference rewards on late, against reward hacking).

The judge reads the text the way it was trained: a reward model trained by `r1 reward-model` records in its
manifest whether its pairs had a prompt and were chat turns; any other checkpoint is read as a chat (the user's
prompt, then the assistant's text) through its own chat template. Every callable here is an instance of a
module-level class, so it pickles (the model itself is loaded on first use in each process).
"""

from __future__ import annotations

import json
from pathlib import Path

from r1cli.errors import UserError
from r1cli.rewards.extract import THINK_CLOSE, THINK_OPEN, completion_text

KINDS = ("reasoning", "general")
# the paper's two preference rewards and the part of a response each judges (see ModelReward)
SCOPES = {"helpfulness": "summary", "harmlessness": "response"}
BATCH = 32


def summary(text: str) -> str | None:
    """The summary of a response: the text after its last `</think>`; the whole text when it has no think
    block; None when a think block was opened and never closed (the reasoning ran out: no summary)."""
    at = text.rfind(THINK_CLOSE)
    if at >= 0:
        return text[at + len(THINK_CLOSE):]
    return None if THINK_OPEN in text else text


def _rows_of(kind: str, kinds, n: int) -> list[int]:
    if kinds is None:  # a dataset without routing: every row is of every kind
        return list(range(n))
    return [i for i, k in enumerate(kinds) if k == kind]


class Routed:
    """A reward applied to the rows of one kind; None on the others."""

    def __init__(self, fn, kind: str):
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.fn, self.kind = fn, kind

    def __call__(self, prompts=None, completions=(), kind=None, **columns) -> list[float | None]:
        rows = _rows_of(self.kind, kind, len(completions))
        out: list[float | None] = [None] * len(completions)
        if not rows:
            return out
        n = len(completions)
        sub = {k: [v[i] for i in rows] if isinstance(v, (list, tuple)) and len(v) == n else v
               for k, v in columns.items()}
        values = self.fn(prompts=[prompts[i] for i in rows] if prompts is not None else None,
                         completions=[completions[i] for i in rows], **sub)
        for i, v in zip(rows, values, strict=True):
            out[i] = v
        return out

    def __repr__(self) -> str:
        return f"<{self.kind} rows: {self.fn!r}>"


def check_checkpoint(ref: str, flag: str, *, trust_remote_code: bool = False) -> str:
    """Resolve a reward-model reference and make sure it is a sequence-classification checkpoint with one
    output (a score); returns the resolved path. One-line UserError naming `flag` otherwise."""
    from transformers import AutoConfig

    from r1cli.models import resolve

    path = resolve(ref, flag=flag, trust_remote_code=trust_remote_code, generative=False)
    try:
        config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as e:
        raise UserError(f"{flag} {ref}: cannot read its config ({str(e).splitlines()[0]})") from None
    architectures = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith("ForSequenceClassification") for a in architectures):
        shown = ", ".join(architectures) or "none recorded"
        raise UserError(f"{flag} {ref} is not a sequence-classification checkpoint (architecture: {shown}); "
                        "train one with `r1 reward-model` or give a reward model")
    if getattr(config, "num_labels", 1) != 1:
        raise UserError(f"{flag} {ref} has {config.num_labels} outputs; a reward model has one (a score)")
    return path


def _reading(path: str) -> tuple[bool, bool]:
    """(with the prompt, as chat turns): how the reward model at `path` was trained to read a response."""
    manifest = Path(path) / "r1_manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        if data.get("stage") == "reward-model":
            metrics = data.get("metrics") or {}
            return bool(metrics.get("with_prompt")), bool(metrics.get("conversational"))
    return True, True


class ModelReward:
    """The score of a reward model on the summary (`scope="summary"`) or the whole response
    (`scope="response"`) of the general rows; see the module docstring."""

    def __init__(self, name: str, path: str, scope: str, *, missing: float = -1.0, from_step: int = 0,
                 kind: str = "general", flag: str = "--reward-model", trust_remote_code: bool = False):
        if scope not in ("summary", "response"):
            raise ValueError(f"scope must be summary or response, got {scope!r}")
        self.__name__ = f"{name}_reward"
        self.name, self.path, self.scope, self.kind, self.flag = name, path, scope, kind, flag
        self.missing, self.from_step, self.trust_remote_code = missing, from_step, trust_remote_code
        self.with_prompt, self.chat = _reading(path)
        self._loaded = None

    def __getstate__(self):
        return {**self.__dict__, "_loaded": None}

    def _load(self):
        if self._loaded is None:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            from r1cli import training

            tokenizer = AutoTokenizer.from_pretrained(self.path, trust_remote_code=self.trust_remote_code)
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            model = AutoModelForSequenceClassification.from_pretrained(
                self.path, dtype=training.precision()["dtype"], trust_remote_code=self.trust_remote_code)
            model.config.pad_token_id = tokenizer.pad_token_id
            device = "cuda" if torch.cuda.is_available() else "cpu"
            self._loaded = (model.to(device).eval(), tokenizer, device)
        return self._loaded

    def shown(self, completion) -> str | None:
        """The part of a response this reward model judges (None: no summary to judge)."""
        text = completion_text(completion)
        return summary(text) if self.scope == "summary" else text

    def inputs(self, prompt, part: str) -> str:
        """The text the reward model reads for a prompt and the judged part, the way it was trained: chat turns
        through its chat template, or plain text (the prompt, when it had one, then the part, then EOS)."""
        _, tokenizer, _ = self._load()
        if self.chat:
            turns = prompt if isinstance(prompt, list) else [{"role": "user", "content": completion_text(prompt)}]
            turns = turns if self.with_prompt and prompt is not None else []
            return tokenizer.apply_chat_template([*turns, {"role": "assistant", "content": part}], tokenize=False)
        head = completion_text(prompt) if self.with_prompt and prompt is not None else ""
        return head + part + (tokenizer.eos_token or "")

    def score_texts(self, texts: list[str]) -> list[float]:
        """The reward model's score of each input text (as `inputs` builds it)."""
        import torch

        model, tokenizer, device = self._load()
        out: list[float] = []
        for start in range(0, len(texts), BATCH):
            batch = texts[start:start + BATCH]
            # A chat template writes its own special tokens; plain text gets them from the tokenizer, as in training.
            enc = tokenizer(batch, return_tensors="pt", padding=True, padding_side="right",
                            add_special_tokens=not self.chat)
            self._check_encodable(batch, enc["input_ids"], tokenizer)
            with torch.inference_mode():
                logits = model(**{k: v.to(device) for k, v in enc.items()}).logits
            out += logits[:, 0].float().tolist()
        return out

    def _check_encodable(self, texts, ids, tokenizer) -> None:
        unk = tokenizer.unk_token_id
        if unk is None or not (ids == unk).any():
            return
        for text in texts:
            for ch in dict.fromkeys(text):
                if unk in tokenizer(ch, add_special_tokens=False)["input_ids"] and ch != tokenizer.unk_token:
                    raise UserError(f"{self.flag} {self.path}: its tokenizer cannot encode {ch!r} in a response "
                                    "it must judge; use a reward model whose tokenizer covers the policy's text")

    def __call__(self, prompts=None, completions=(), kind=None, trainer_state=None, user_prompt=None,
                 **columns) -> list[float | None]:
        out: list[float | None] = [None] * len(completions)
        if trainer_state is not None and trainer_state.global_step + 1 < self.from_step:
            return out  # held off: the step being trained is before --preference-from-step
        asked = user_prompt if user_prompt is not None else prompts
        todo = []
        for i in _rows_of(self.kind, kind, len(completions)):
            part = self.shown(completions[i])
            if part is None:
                out[i] = self.missing
            else:
                todo.append((i, self.inputs(asked[i] if asked is not None else None, part)))
        if todo:
            for (i, _), value in zip(todo, self.score_texts([t for _, t in todo]), strict=True):
                out[i] = value
        return out

    def __repr__(self) -> str:
        return f"<reward model {self.name}: {self.path} on the {self.scope}>"


def parse_model_spec(spec: str, flag: str) -> tuple[str, float]:
    """'PATH[:WEIGHT]' -> (PATH, WEIGHT); a trailing ':<number>' is the weight (default 1)."""
    head, sep, tail = spec.rpartition(":")
    if sep and head:
        try:
            weight = float(tail)
        except ValueError:
            return spec, 1.0
        if weight != weight or weight in (float("inf"), float("-inf")):
            raise UserError(f"{flag} {spec}: the weight must be a finite number")
        return head, weight
    return spec, 1.0
