"""Held-out pass@1 during GRPO: greedy decoding of the live policy with the generation core's transformers
engine, scored as `r1 eval` scores (by each row's own `reward` column, default accuracy), every N steps;
optionally keeps the best-scoring weights.

Greedy pass@1 of a model equals its sampled pass@1 only at temperature 0; it is the cheap, low-variance
signal used to pick a checkpoint. Pick it on a validation set, never on the test set you report. Every
process generates; --keep-best saves from the main process, so use it with DDP, not with ZeRO-3/FSDP
sharded weights.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def greedy_pass_at_1(model, tokenizer, prompts: list, golds: list[str], max_new_tokens: int,
                     batch_size: int = 128, columns: dict[str, list] | None = None) -> float:
    """Fraction of prompts whose greedy completion is right, through the eval core: the generation core's
    transformers engine over the live model, scored by r1cli.rewards.score with the rows' other `columns`
    (a `reward` column names each row's reward, e.g. code_binary, which reads the row's `tests`)."""
    from r1cli.generation import Sampling
    from r1cli.generation.hf_engine import HFEngine
    from r1cli.rewards import score

    engine = HFEngine.for_model(model, tokenizer, batch_size=batch_size)
    outs = engine.generate(prompts, Sampling(n=1, temperature=0.0, max_new_tokens=max_new_tokens, seed=None))
    values = score([comps[0].text for comps in outs], golds, **(columns or {}))
    return sum(values) / max(1, len(values))


def callback(prompts: list, golds: list[str], tokenizer, every: int, max_new_tokens: int, metrics_path: Path,
             best_dir: Path | None, columns: dict[str, list] | None = None):
    """A TrainerCallback: evaluate every `every` steps (and at the last step), log `eval/pass@1` to
    metrics.jsonl, and save the best weights to `best_dir` when given."""
    from transformers import TrainerCallback

    class HeldOutEval(TrainerCallback):
        def __init__(self):
            self.history: list[tuple[int, float]] = []
            self.best: tuple[int, float] | None = None

        def evaluate(self, model, step: int, main: bool) -> None:
            # Every process generates (sharded weights need all ranks); only the main one writes.
            t0 = time.time()
            value = greedy_pass_at_1(model, tokenizer, prompts, golds, max_new_tokens, columns=columns)
            self.history.append((step, value))
            if not main:
                return
            record: dict[str, Any] = {"step": step, "eval/pass@1": value, "eval/seconds": round(time.time() - t0, 2)}
            with open(metrics_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            if best_dir is not None and (self.best is None or value > self.best[1]):
                self.best = (step, value)
                model.save_pretrained(best_dir)
                tokenizer.save_pretrained(best_dir)
                (best_dir / "best.json").write_text(json.dumps({"step": step, "eval/pass@1": value}))

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if state.global_step == 0:
                self.evaluate(model, 0, state.is_world_process_zero)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            last = state.max_steps and state.global_step >= state.max_steps
            if state.global_step % every == 0 or last:
                self.evaluate(model, state.global_step, state.is_world_process_zero)

    return HeldOutEval()
