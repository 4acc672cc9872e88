"""The SFT training core: the options of a supervised fine-tuning run, declared once, and the run itself
(TRL's SFTTrainer on a dataset built by the mixing core). `r1 sft` fine-tunes on its --dataset mixture,
`r1 distill` a student on its teacher's traces; both inherit `SFTOptions` (so the names, help and bounds
cannot drift apart) and call `train`.

What `train` does: load the model at the hardware's precision, completion-only loss on the assistant turn or
completion (the chat template's end-of-turn token included), optional LoRA merged into the saved model,
checkpoints every --save-steps in the working folder (`--resume` continues from the newest), the final model
and tokenizer at the folder's root, a model card naming the published folder and the base model,
metrics.jsonl and loss.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.config import TOKENS, defaults, option
from r1cli.training import LoraOptions, TrainingOptions


@dataclass
class SFTOptions(LoraOptions, defaults(TrainingOptions, lr_scheduler_type="cosine", warmup_steps=0.03)):
    """How the model is fine-tuned (the model and the data are the stage's own options)."""

    max_length: int = option(1024, "Longest tokenized prompt+completion; longer ones are truncated.", min=1, **TOKENS)
    packing: bool = option(False, "Pack several examples into each --max-length sequence.")
    completion_only_loss: bool = option(True, "Compute the loss on completion tokens only.")


def train(cfg, model_ref: str, train_ds, info: dict, workdir, final, *, stage: str) -> dict[str, Any]:
    """Fine-tune `model_ref` on `train_ds` (from `mixing.build`, described by `info`) in `workdir` (the
    .partial folder to be published as `final`); save the final model at its root; return the metrics.
    `cfg` holds SFTOptions plus seed, resume and trust_remote_code."""

    from trl import SFTConfig, SFTTrainer

    from r1cli import device, trainer_utils, training, trainlog

    workdir = Path(workdir)
    prec = training.precision()
    model, tokenizer, _ = training.load_model(model_ref, dtype=prec["dtype"], trust_remote_code=cfg.trust_remote_code)
    device.limit_cpu_threads(model)
    eot = training.end_of_turn_token(tokenizer) if info["conversational"] else None
    args = SFTConfig(
        **training.common_args(cfg, workdir),
        max_length=cfg.max_length,
        packing=cfg.packing,
        completion_only_loss=cfg.completion_only_loss,
        eos_token=eot,  # a chat template's end-of-turn token also stops generation (see end_of_turn_token)
        save_only_model=False,
    )
    metrics_path = workdir / "metrics.jsonl"
    resume_from = trainer_utils.resume_point(cfg, workdir, metrics_path)
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, processing_class=tokenizer,
                         peft_config=training.lora_config(cfg), callbacks=[trainlog.metrics_callback(metrics_path)])
    training.tidy_console(trainer)
    eos_trained = _check_stop_token(trainer, tokenizer)
    metrics = trainer_utils.train_and_publish(trainer, tokenizer, cfg, workdir, metrics_path, resume_from,
                                              model_ref=model_ref, final=final, title=f"r1 {stage}: {model_ref}")
    metrics.update({
        "rows": info["rows"],
        "format": "chat" if info["conversational"] else "text",
        "datasets": info["datasets"],
        "stop_token": eot or tokenizer.eos_token,
        "stop_token_trained": eos_trained,
    })
    return metrics


def _check_stop_token(trainer, tokenizer) -> bool:
    """Warn when the first training example does not train the model to emit its stop token."""
    ds = trainer.train_dataset
    if ds is None or len(ds) == 0 or "labels" not in ds.column_names:
        return True
    stop_id = tokenizer.eos_token_id
    labels = ds[0]["labels"]
    ok = stop_id in labels
    if not ok:
        log.warn(f"the training labels do not contain the stop token {tokenizer.eos_token!r}: the fine-tuned "
                 "model may not learn to stop (check the chat template, or --max-length truncation)")
    return ok
