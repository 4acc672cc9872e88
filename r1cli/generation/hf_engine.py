"""The transformers backend: our own batched decode loop over a left-padded batch with a KV cache.

Why not `model.generate`: each completion needs its own random generator (seeded like vLLM's children: prompt
seed + j) so that results do not depend on batching, and rows that finish are dropped from the batch so
that short completions stop costing compute. Stop strings are checked on the decoded text; the returned text
ends before the stop string and the token count includes the token that completed it (or the EOS).
"""

from __future__ import annotations

import torch

from r1cli import log
from r1cli.device import device_type, limit_cpu_threads
from r1cli.generation.base import Completion, Engine, OnDone, Request, Sampling, cut_at_stop
from r1cli.models import load_tokenizer


def filter_logits(logits: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """Temperature, top-k and top-p applied to a (rows, vocab) float32 tensor."""
    logits = logits / sampling.temperature
    k = sampling.top_k_or_none
    if k is not None and k < logits.shape[-1]:
        kth = torch.topk(logits, k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if sampling.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(-1)
        before = probs.cumsum(-1) - probs  # mass strictly above each token
        drop_sorted = before >= sampling.top_p  # always keeps the most likely token
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


class Row:
    """One completion being decoded."""

    __slots__ = ("pos", "j", "gen", "tokens", "done", "reason", "text")

    def __init__(self, pos: int, j: int, seed: int | None, device: str):
        self.pos, self.j = pos, j
        self.gen = None
        if seed is not None:
            self.gen = torch.Generator(device=device)
            self.gen.manual_seed(seed + j)
        self.tokens: list[int] = []
        self.done = False
        self.reason = "length"
        self.text: str | None = None


class HFEngine(Engine):
    name = "hf"

    def __init__(self, model_path: str, *, max_model_len: int | None = None, dtype: str = "auto",
                 batch_size: int = 64, seed: int = 0, trust_remote_code: bool = False):
        from transformers import AutoModelForCausalLM

        device = device_type()
        if dtype == "auto":
            torch_dtype = torch.float32 if device == "cpu" else "auto"
        else:
            torch_dtype = getattr(torch, dtype)
        tokenizer = load_tokenizer(model_path, trust_remote_code=trust_remote_code)
        log.info("loading %s with transformers on %s", model_path, device)
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch_dtype,
                                                     trust_remote_code=trust_remote_code).to(device).eval()
        limit_cpu_threads(model)
        self._attach(model_path, model, tokenizer, max_model_len, batch_size)
        torch.manual_seed(seed)

    @classmethod
    def for_model(cls, model, tokenizer, *, batch_size: int = 64, max_model_len: int | None = None) -> HFEngine:
        """An engine over a model already in memory, such as the policy being trained. It decodes in eval
        mode and restores the model's mode afterwards; closing the engine leaves the model alone."""
        engine = cls.__new__(cls)
        engine._attach(getattr(model, "name_or_path", "") or "<in memory>", model, tokenizer, max_model_len,
                       batch_size)
        return engine

    def _attach(self, name: str, model, tokenizer, max_model_len: int | None, batch_size: int) -> None:
        self.model = model
        self.device = str(model.device)
        limit = max_model_len or getattr(model.config, "max_position_embeddings", None)
        super().__init__(name, tokenizer, limit)
        self.batch_size = max(1, int(batch_size))
        eos = model.generation_config.eos_token_id if model.generation_config is not None else None
        eos = eos if isinstance(eos, list) else [eos]
        self.eos_ids = {int(e) for e in eos + [tokenizer.eos_token_id] if e is not None}
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else min(self.eos_ids) if self.eos_ids else 0

    # ---------------------------------------------------------------------------------------------------
    def _run(self, requests: list[Request], sampling: Sampling, done: OnDone) -> None:
        jobs = [(r, j) for r in range(len(requests)) for j in range(sampling.n)]
        remaining = {r: sampling.n for r in range(len(requests))}
        finished: dict[int, list] = {r: [None] * sampling.n for r in range(len(requests))}
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start:start + self.batch_size]
            rows = [Row(r, j, requests[r].seed, self.device) for r, j in batch]
            # Denormal floats appear in the CPU decode (measured on SmolLM2: some steps 40x slower);
            # flushing them to zero keeps every step fast and did not change the samples.
            flush = self.device == "cpu" and torch.set_flush_denormal(True)
            was_training = self.model.training
            self.model.eval()
            try:
                self._decode([requests[r].ids for r, _ in batch], rows, sampling)
            finally:
                self.model.train(was_training)
                if flush:
                    torch.set_flush_denormal(False)
            for row in rows:
                finished[row.pos][row.j] = Completion(text=row.text or "", num_tokens=len(row.tokens),
                                                      finish_reason=row.reason)
                remaining[row.pos] -= 1
                if remaining[row.pos] == 0:
                    done(row.pos, finished.pop(row.pos))

    @torch.inference_mode()
    def _decode(self, prompts: list[list[int]], rows: list[Row], sampling: Sampling) -> None:
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p):] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        max_new = sampling.max_new_tokens
        if self.max_model_len:
            max_new = min(max_new, self.max_model_len - width)
        stops = list(sampling.stop)
        window = max((len(s) for s in stops), default=0) + 8  # tokens enough to see a fresh stop string

        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
        cache, logits = out.past_key_values, out.logits[:, -1, :].float()
        active = list(range(len(rows)))  # rows[active[k]] is batch row k
        last_pos = positions[:, -1:]
        for step in range(max_new):
            nxt = self._sample(logits, [rows[a] for a in active], sampling)
            keep = []
            for k, a in enumerate(active):
                row = rows[a]
                tok = int(nxt[k])
                row.tokens.append(tok)
                if tok in self.eos_ids:
                    row.done, row.reason = True, "stop"
                elif stops and stops_in_tail(self, row.tokens, window, stops):
                    row.done, row.reason = True, "stop"
                if not row.done:
                    keep.append(k)
            self._generated(len(active))
            if not keep or step == max_new - 1:
                break
            if len(keep) < len(active):  # drop finished rows from the batch and its cache
                index = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(index)
                mask, last_pos, nxt = mask[index], last_pos[index], nxt[index]
                active = [active[k] for k in keep]
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=-1)
            last_pos = last_pos + 1
            out = self.model(input_ids=nxt.view(-1, 1), attention_mask=mask, position_ids=last_pos,
                             past_key_values=cache, use_cache=True)
            cache, logits = out.past_key_values, out.logits[:, -1, :].float()
        for row in rows:
            text = self.decode(row.tokens)
            if stops:
                text, hit = cut_at_stop(text, stops)
                if hit:
                    row.reason = "stop"
            row.text = text

    def _sample(self, logits: torch.Tensor, rows: list[Row], sampling: Sampling) -> torch.Tensor:
        if sampling.temperature == 0:
            return logits.argmax(-1)
        probs = filter_logits(logits, sampling).softmax(-1)
        if all(r.gen is None for r in rows):
            return torch.multinomial(probs, 1).view(-1)
        # One uniform draw per row from the row's own generator, then inverse-CDF sampling.
        u = torch.stack([torch.rand((), generator=r.gen, device=probs.device) if r.gen is not None
                         else torch.rand((), device=probs.device) for r in rows])
        cdf = probs.cumsum(-1)
        u = (u * cdf[:, -1]).unsqueeze(-1)
        picked = torch.searchsorted(cdf, u, right=True).view(-1)
        return picked.clamp(max=probs.shape[-1] - 1)


def stops_in_tail(engine: HFEngine, tokens: list[int], window: int, stops: list[str]) -> bool:
    tail = engine.decode(tokens[-window:])
    if not any(s in tail for s in stops):
        return False
    return cut_at_stop(engine.decode(tokens), stops)[1]
