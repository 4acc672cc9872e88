"""What every trainer stage does around `trainer.train()` (sft, distill, reward-model, grpo): find the
checkpoint --resume continues from and tidy metrics.jsonl for it, save the final model, rewrite the model
card, draw the loss and report the run's numbers. The trainers' setup (precision, model loading, shared
arguments, checkpoint folders) is r1cli.training's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1cli import log


def resume_point(cfg, workdir: Path, metrics_path: Path) -> Path | None:
    """The checkpoint --resume continues from, or None. Resuming drops the metrics.jsonl records logged past
    that checkpoint; a fresh start clears the file. Only the main process touches the file (under
    `accelerate launch` every process runs this); the others wait for it, so none appends to a file about to
    be trimmed."""
    from accelerate import PartialState

    from r1cli import training

    resume_from = training.last_checkpoint(workdir) if cfg.resume else None
    if training.is_main_process():
        if resume_from is not None:
            training.trim_metrics(metrics_path, training.checkpoint_step(resume_from))
        else:
            metrics_path.unlink(missing_ok=True)
    PartialState().wait_for_everyone()
    if resume_from is not None:
        log.info(f"resuming from {resume_from.name}")
    return resume_from


def plot_loss(metrics_path: Path, workdir: Path, title: str) -> None:
    from r1cli import trainlog

    panels = [trainlog.Panel(key.replace("_", " "), [trainlog.Curve(key, smooth=key == "loss")])
              for key in ("loss", "learning_rate", "grad_norm")]
    trainlog.plot(metrics_path, panels, workdir / "loss.png", title=title)


def step_metrics(trainer, result, metrics_path: Path, resume_from, seconds: float) -> dict[str, Any]:
    """Loss, steps and speed of a finished trainer.train()."""
    from r1cli import training, trainlog

    records = [r for r in trainlog.read(metrics_path) if "loss" in r]
    steps = trainer.state.global_step
    done_here = steps - (training.checkpoint_step(resume_from) if resume_from else 0)
    return {
        "final_loss": records[-1]["loss"] if records else None,
        "first_loss": records[0]["loss"] if records else None,
        "train_loss": round(result.training_loss, 6),
        "steps": steps,
        "epochs": round(trainer.state.epoch or 0, 4),
        "runtime_s": round(seconds, 2),
        "steps_per_second": round(done_here / seconds, 3) if seconds > 0 else None,
        "device": training.device_type(),
        "resumed_from_step": training.checkpoint_step(resume_from) if resume_from else None,
    }


def model_card(trainer, model_ref: str, final) -> None:
    """Rewrite the README.md model card the trainer wrote at each checkpoint: it named the working folder
    (DIR.partial) and, for a local base model, 'None'. The card names the published folder, which is also
    what its quick start loads, and the base model: its hub name, linked, or for a local one its reference."""
    final = Path(final).expanduser()
    local_base = model_ref == "tiny" or model_ref.startswith("tiny?") or Path(model_ref).expanduser().exists()
    # The trainer takes the base model from the config's name_or_path, and leaves a folder unnamed.
    trainer.model.config.name_or_path = "" if local_base else model_ref
    trainer.hub_model_id = str(final)  # the quick start's `pipeline(model=...)`; the trainer never pushes
    trainer.create_model_card(model_name=final.name, tags=["r1cli"])
    if local_base:
        card = Path(trainer.args.output_dir) / "README.md"
        card.write_text(card.read_text().replace("[None](https://huggingface.co/None)",
                                                 f"the local model `{model_ref}`"))


def save(trainer, tokenizer, workdir, *, lora: bool) -> None:
    """Save the final model and tokenizer at the root of `workdir`, a LoRA adapter merged into the weights (a
    plain checkpoint that eval, vLLM and the next stage load as it is)."""
    from r1cli import training

    if lora:
        if training.is_main_process():
            merged = trainer.accelerator.unwrap_model(trainer.model).merge_and_unload()
            merged.save_pretrained(workdir, safe_serialization=True)
            tokenizer.save_pretrained(workdir)
    else:
        trainer.save_model(str(workdir))  # every rank: ZeRO-3/FSDP gather the weights here
        if training.is_main_process():
            tokenizer.save_pretrained(workdir)
    trainer.accelerator.wait_for_everyone()


def train_and_publish(trainer, tokenizer, cfg, workdir: Path, metrics_path: Path, resume_from, *, model_ref: str,
                      final, title: str) -> dict[str, Any]:
    """Train (from `resume_from` when set), save the final model at the root of `workdir`, drop the checkpoints
    unless --keep-checkpoints, rewrite the model card and draw the loss; the run's step metrics."""
    import time

    from r1cli import training

    t0 = time.time()
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.time() - t0
    save(trainer, tokenizer, workdir, lora=cfg.lora)
    if training.is_main_process():
        if not cfg.keep_checkpoints:
            training.remove_checkpoints(workdir)
        model_card(trainer, model_ref, final)
        plot_loss(metrics_path, workdir, title)
    return step_metrics(trainer, result, metrics_path, resume_from, seconds)
