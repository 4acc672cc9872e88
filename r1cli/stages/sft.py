"""r1 sft: supervised fine-tuning with TRL's SFTTrainer (cold start, rejection-sampling SFT, distillation).

Datasets. Each `--dataset` spec is loaded by the data core (`r1cli.data.load_pairs`) and its schema is
detected on its own:
  - `messages` (chat turns ending with the assistant's): the last turn is the completion, the turns before
    it the prompt (earlier assistant turns are context and carry no loss);
  - `prompt` + `completion` (what coldstart / reject-sample / distill write): the prompt may be text or chat
    messages, the completion text or messages;
  - anything else is read in the canonical prompt/answer/solution schema (built-in tasks, benchmark files)
    and trained on `r1_completion(solution, response_answer or answer)`: a row's `response_answer` is what
    its teacher wrote (task:arith `slip` rows carry the teacher's wrong answer on purpose).
Text prompts are rendered with `--template`: `plain` as is, `r1-zero` in the paper's prompt, `chat` as a user
turn for the model's chat template. If any dataset is conversational (or `--template chat`), every row is
trained as a conversation (a text prompt becomes one user turn); otherwise as plain prompt + completion text,
to which TRL appends the EOS token so the fine-tuned model learns to stop.

Mixing. `--dataset A,B` concatenates the datasets, each row used once. With weights, `A:0.75,B:0.25` (a weight
is a trailing `:<number>`; a spec without one weighs 1), the weights are normalised into shares p_i of a
mixture holding as many rows as the datasets together (N = sum of sizes); dataset i gives round(p_i N) rows,
drawn without replacement while its rows last, then cycled again in a new shuffled order (so a small dataset
with a big weight is repeated, a big one with a small weight subsampled). Sampling is deterministic in --seed.
The mixing core (`r1cli.mixing`) works on Arrow row indices, so large sets are never copied into Python.

Loss is on completion tokens only (TRL's completion_only_loss; the EOS / end-of-turn token included) unless
--no-completion-only-loss. Precision follows the hardware (CPU fp32, GPU bf16; see r1cli.training).

Output: DIR is a Hugging Face checkpoint (model, tokenizer with its chat template, generation config), so
`--model DIR` works in the next stage; plus a model card (README.md, naming DIR and the base model),
metrics.jsonl (one record per logged step), loss.png and r1_manifest.json (every file with the mode the umask
gives, as in every stage's output). Checkpoints (every --save-steps) live in DIR.partial while training and are removed at the end unless
--keep-checkpoints; `--resume` continues from the newest one. With --lora the adapter is merged into the
saved model.

Multi-GPU (one node, 8 GPUs; pick ddp.yaml, zero3.yaml or fsdp.yaml from recipes/accelerate/):
  accelerate launch --config_file recipes/accelerate/zero3.yaml -m r1cli sft \\
      --config recipes/qwen2.5-1.5b/sft.yaml
--per-device-train-batch-size and --gradient-accumulation-steps are per process: the effective batch is
per_device x accumulation x number of GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import TOKENS, option
from r1cli.models import remote_code_option
from r1cli.templates import TEMPLATES
from r1cli.training import KEEP_CHECKPOINTS_HELP, SCHEDULERS, WARMUP_HELP, check_warmup

HELP = ("Supervised fine-tuning (TRL SFTTrainer) on chat, prompt/completion or task datasets, "
        "mixed by weight; writes a checkpoint folder the next stage can use as --model.")
EXAMPLE = ("r1 sft --model tiny --dataset 'task:arith?n=4000' --output runs/sft "
           "--learning-rate 1e-3 --num-train-epochs 3")

# Not `boxed`: it asks for a \boxed{} answer, while the completions sft trains on answer in <answer> tags.
SFT_TEMPLATES = [t for t in TEMPLATES if t != "boxed"]


@dataclass
class Config:
    model: str = option("tiny", "Model to fine-tune: tiny, a checkpoint folder or a hub name.", short="-m")
    dataset: list[str] = option([], "Dataset spec(s), comma-separated, each with an optional mixing weight "
                                "as a trailing ':W' (e.g. 'runs/coldstart:0.75,task:arith?n=500:0.25').",
                                short="-d", required=True)
    output: str = option(None, "Output folder (a Hugging Face checkpoint plus metrics and manifest).",
                         short="-o", required=True)
    template: str = option("plain", "How text prompts are rendered: plain (as is), r1-zero (the paper's "
                           "prompt) or chat (a user turn in the model's chat template).",
                           choices=SFT_TEMPLATES)
    max_length: int = option(1024, "Longest tokenized prompt+completion; longer ones are truncated.", min=1, **TOKENS)
    packing: bool = option(False, "Pack several examples into each --max-length sequence.")
    completion_only_loss: bool = option(True, "Compute the loss on completion tokens only.")
    num_train_epochs: float = option(1.0, "Passes over the (mixed) dataset; ignored when --max-steps is set.",
                                     min=0, min_open=True)
    max_steps: int | None = option(None, "Stop after this many optimizer steps (overrides --num-train-epochs).",
                                   min=1)
    learning_rate: float = option(2e-5, "Peak learning rate.", min=0, min_open=True)
    lr_scheduler_type: str = option("cosine", "Learning-rate schedule.", choices=SCHEDULERS)
    warmup_steps: float = option(0.03, WARMUP_HELP, min=0, check=check_warmup)
    per_device_train_batch_size: int = option(8, "Examples per device per forward pass.", min=1)
    gradient_accumulation_steps: int = option(1, "Forward passes per optimizer step.", min=1)
    gradient_checkpointing: bool = option(False, "Recompute activations in the backward pass (saves memory).")
    lora: bool = option(False, "Train a LoRA adapter (peft) instead of all weights; merged into the output.")
    lora_r: int = option(16, "LoRA rank.", min=1)
    lora_alpha: int = option(32, "LoRA alpha (scale = alpha / r).", min=1)
    save_steps: int = option(500, "Save a checkpoint every N steps (0: none) for --resume.", min=0)
    keep_checkpoints: bool = option(False, KEEP_CHECKPOINTS_HELP)
    logging_steps: int = option(1, "Log the loss every N steps.", min=1)
    resume: bool = option(False, "Continue from the newest checkpoint in OUTPUT.partial.")
    seed: int = option(0, "Seed for initialisation, data order and mixing.", min=0, max=2**32 - 1)
    overwrite: bool = option(False, "Replace the output folder if it exists.")
    trust_remote_code: bool = remote_code_option()


# ------------------------------------------------------------------------------------------------ run


def run(cfg: Config) -> dict:
    from r1cli import mixing, models, runs

    models.resolve(cfg.model, flag="--model", trust_remote_code=cfg.trust_remote_code)  # a bad --model fails before the output folder exists
    train_ds, info = mixing.build(cfg.dataset, cfg.template, cfg.seed)
    log.info(f"training on {info['rows']:,} rows ({'chat' if info['conversational'] else 'text'} format) "
             f"from {len(info['datasets'])} dataset(s)")
    with runs.run_dir("sft", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        for part in info["datasets"]:
            run.add_input("dataset", part["spec"])
        run.add_input("model", cfg.model)
        run.metrics = _train(cfg, train_ds, info, run.path)
    loss = run.metrics.get("final_loss")
    log.info(f"wrote the fine-tuned model to {run.final}" + (f" (final loss {loss:.4g})" if loss is not None else ""))
    return run.metrics


def _train(cfg: Config, train_ds, info: dict, workdir) -> dict:
    """Fine-tune in `workdir` (the .partial folder), save the final model at its root, return metrics."""
    import time
    from pathlib import Path

    from trl import SFTConfig, SFTTrainer

    from r1cli import training, trainlog

    workdir = Path(workdir)
    prec = training.precision()
    model, tokenizer, _ = training.load_model(cfg.model, dtype=prec["dtype"], trust_remote_code=cfg.trust_remote_code)
    training.limit_cpu_threads(model)
    eot = training.end_of_turn_token(tokenizer) if info["conversational"] else None
    args = SFTConfig(
        **training.common_args(cfg, workdir),
        max_length=cfg.max_length,
        packing=cfg.packing,
        completion_only_loss=cfg.completion_only_loss,
        eos_token=eot,  # a chat template's end-of-turn token also stops generation (see end_of_turn_token)
        save_total_limit=None if cfg.keep_checkpoints else 2,
        save_only_model=False,
    )
    peft_config = None
    if cfg.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=0.05,
                                 target_modules="all-linear", task_type="CAUSAL_LM")
    metrics_path = workdir / "metrics.jsonl"
    resume_from = training.last_checkpoint(workdir) if cfg.resume else None
    if resume_from is not None:
        training.trim_metrics(metrics_path, training.checkpoint_step(resume_from))
        log.info(f"resuming from {resume_from.name}")
    elif training.is_main_process():
        metrics_path.unlink(missing_ok=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, processing_class=tokenizer,
                         peft_config=peft_config, callbacks=[trainlog.metrics_callback(metrics_path)])
    training.tidy_console(trainer)
    eos_trained = _check_stop_token(trainer, tokenizer)
    t0 = time.time()
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.time() - t0
    _save(trainer, tokenizer, workdir, lora=cfg.lora)
    if training.is_main_process():
        if not cfg.keep_checkpoints:
            training.remove_checkpoints(workdir)
        _model_card(trainer, cfg)
    records = [r for r in trainlog.read(metrics_path) if "loss" in r]
    if training.is_main_process():
        panels = [trainlog.Panel(key.replace("_", " "), [trainlog.Curve(key, smooth=key == "loss")])
                  for key in ("loss", "learning_rate", "grad_norm")]
        trainlog.plot(metrics_path, panels, workdir / "loss.png", title=f"r1 sft: {cfg.model}")
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
        "rows": info["rows"],
        "format": "chat" if info["conversational"] else "text",
        "datasets": info["datasets"],
        "stop_token": eot or tokenizer.eos_token,
        "stop_token_trained": eos_trained,
        "device": training.device_type(),
        "resumed_from_step": training.checkpoint_step(resume_from) if resume_from else None,
    }


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


def _model_card(trainer, cfg: Config) -> None:
    """Rewrite the README.md model card the trainer wrote at each checkpoint: it named the working folder
    (DIR.partial) and, for a local base model, 'None'. The card names the published folder, which is also
    what its quick start loads, and the base model: its hub name, linked, or for a local one its reference."""
    from pathlib import Path

    final = Path(cfg.output).expanduser()
    local_base = cfg.model == "tiny" or cfg.model.startswith("tiny?") or Path(cfg.model).expanduser().exists()
    # The trainer takes the base model from the config's name_or_path, and leaves a folder unnamed.
    trainer.model.config.name_or_path = "" if local_base else cfg.model
    trainer.hub_model_id = str(final)  # the quick start's `pipeline(model=...)`; the trainer never pushes
    trainer.create_model_card(model_name=final.name, tags=["r1cli"])
    if local_base:
        card = Path(trainer.args.output_dir) / "README.md"
        card.write_text(card.read_text().replace("[None](https://huggingface.co/None)",
                                                 f"the local model `{cfg.model}`"))


def _save(trainer, tokenizer, workdir, *, lora: bool) -> None:
    """Save the final model and tokenizer at the root of `workdir` (LoRA adapters merged in)."""
    from r1cli import training

    if lora:
        if training.is_main_process():
            merged = trainer.model.merge_and_unload()
            merged.save_pretrained(workdir, safe_serialization=True)
            tokenizer.save_pretrained(workdir)
    else:
        trainer.save_model(str(workdir))  # every rank: ZeRO-3/FSDP gather the weights here
        if training.is_main_process():
            tokenizer.save_pretrained(workdir)
    trainer.accelerator.wait_for_everyone()
