"""The RL core: GRPO on TRL's GRPOTrainer, shared by the stages that run it (`grpo`, `align`).

`RLOptions` declares the options those stages share, once, so their names, defaults, bounds and help cannot
drift apart; a stage's `Config` inherits it and adds (or re-declares, e.g. a different default reward) its own.
The checkpoints (every --save-steps, for --resume) are removed at the end unless --keep-checkpoints.
--per-device-train-batch-size counts *completions* (TRL's convention): prompts per optimizer step =
per_device_train_batch_size * gradient_accumulation_steps * processes / group_size.

The modules: train.py (the run: datasets, the trainer, metrics.jsonl, the figure and the summary), args.py
(GRPOConfig on top of the shared training arguments), backend.py (the rollout backend choice), trainer.py (the
GRPOTrainer subclass: dynamic sampling, the derived accuracy, per-kind reward means), dynamic.py (DAPO's
constant-group mask), refill.py (the batch refilled with informative groups) and heldout.py (held-out pass@1 and best-checkpoint keeping). Importing this package is
cheap; TRL and torch are imported inside the functions that need them.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.config import defaults, option
from r1cli.generation.options import DecodingOptions
from r1cli.models import remote_code_option
from r1cli.training import LoraOptions, TrainingOptions


def _loss_types() -> list[str]:
    from r1cli.rl.args import loss_types

    return loss_types()


def reward_help() -> str:
    from r1cli.rewards import names

    return ("Reward NAME[:WEIGHT] or NAME(key=value,...):WEIGHT, repeatable; or your own function with TRL's reward "
            "contract: path/to/file.py:FUNCTION[:WEIGHT] or package.module:FUNCTION[:WEIGHT]. Registered rewards: "
            f"{', '.join(names())}.")


@dataclass
class _Inputs:
    """What is trained on what (listed before the training options in --help)."""

    model: str = option(None, "Model: tiny, a checkpoint folder or a hub name.", short="-m", required=True)
    dataset: str = option(None, "Training prompts (dataset spec) with an answer column for the rewards.", short="-d",
                          required=True)
    output: str = option(None, "Output folder (final model, metrics.jsonl, plots, checkpoints).", short="-o",
                         required=True)
    reward: list[str] = option(help=reward_help, factory=lambda: ["accuracy", "format"], required=True)


@dataclass
class RLOptions(LoraOptions, defaults(DecodingOptions, temperature=1.0, top_p=1.0, max_completion_length=1024),
                defaults(TrainingOptions, learning_rate=3e-6, lr_scheduler_type="constant",
                         per_device_train_batch_size=None, save_steps=100), _Inputs):
    group_size: int = option(16, "Completions per prompt, G (TRL num_generations). Paper: 16.", min=2)
    beta: float = option(0.001, "KL coefficient to the reference model (paper: 0.001; 0 skips the reference).",
                         min=0)
    epsilon: float = option(0.2, "Lower clip range of the policy ratio.", min=0, min_open=True)
    epsilon_high: float | None = option(None, "Upper clip range (DAPO clip-higher, e.g. 0.28); default = --epsilon.",
                                        min=0, min_open=True)
    loss_type: str = option("grpo", "Loss (TRL's loss_type; grpo: the paper's mean over each output's tokens).",
                            choices=_loss_types)
    importance_sampling_level: str = option("token", "Policy ratio per token, or one per sequence (GSPO).",
                                            choices=["token", "sequence"])
    scale_rewards: str = option("group", "Divide advantages by the group std, the batch std, or not at all.",
                                choices=["group", "batch", "none"])
    num_iterations: int = option(1, "Policy updates per generated batch (GRPO's mu).", min=1)
    steps_per_generation: int | None = option(
        None, "Optimizer micro-steps each rollout batch is split into (paper: 8,192 outputs in 16 optimizer steps); "
        "default --gradient-accumulation-steps: one rollout batch per optimizer step.", min=1)
    sync_ref_model: bool = option(False, "Move the reference model towards the policy every "
                                  "--ref-model-sync-steps (the paper resets it to the policy every 400 steps).")
    ref_model_sync_steps: int = option(400, "Optimizer steps between reference syncs (paper: 400).", min=1)
    ref_model_mixup_alpha: float = option(1.0, "Reference after a sync = alpha * policy + (1 - alpha) * reference "
                                          "(1: replaced by the policy, as in the paper).", min=0, max=1,
                                          min_open=True)
    mask_truncated_completions: bool = option(False, "Leave completions cut at --max-completion-length out of the "
                                              "loss (DAPO's overlong filtering).")
    resume: bool = option(False, "Continue from the last checkpoint in OUTPUT.partial (or extend a finished OUTPUT "
                          "that kept its checkpoints).")
    seed: int = option(0, "Seed of sampling, shuffling and initialisation.", min=0, max=2**32 - 1)
    use_vllm: str = option("auto", "Rollouts with vLLM (auto: when a CUDA GPU is present).",
                           choices=["auto", "true", "false"])
    vllm_mode: str = option("colocate", "colocate: vLLM shares the training GPUs; server: a separate "
                            "`trl vllm-serve` process.", choices=["colocate", "server"])
    vllm_server_url: str | None = option(None, "Base URL of the vLLM server in server mode (default "
                                         "http://localhost:8000).")
    vllm_gpu_memory_utilization: float = option(0.3, "GPU memory fraction for colocated vLLM.", min=0, max=1,
                                                min_open=True)
    dynamic_sampling: str = option("off", "DAPO dynamic sampling of groups whose rewards are all equal: mask: "
                                   "drop them from the loss (frac_groups_dropped); refill: generate for more "
                                   "prompts until the batch holds only groups whose rewards differ (refill/rounds, "
                                   "refill/groups_dropped).", choices=["off", "mask", "refill"])
    max_generation_rounds: int = option(4, "Most generation rounds per rollout batch with --dynamic-sampling "
                                        "refill; a batch still short is topped up with masked constant groups.",
                                        min=1)
    log_completions: bool = option(False, "Log a sample of prompt/completion/reward rows every logged step to "
                                   "--report-to's tracker and to OUTPUT/completions/*.parquet.")
    eval_every: int = option(0, "Greedy held-out pass@1 on --eval-dataset every N steps (0: off).", min=0)
    eval_dataset: str | None = option(None, "Held-out prompts for --eval-every (use a validation set).")
    keep_best: bool = option(False, "Publish the weights with the best held-out pass@1 (needs --eval-every).")

    UNUSED_WHEN = {"eval_every=0": ("eval_dataset",)}  # no held-out check: a held-out set would go unread
    overwrite: bool = option(False, "Replace the output folder if it exists.")
    trust_remote_code: bool = remote_code_option()
