"""Map the `r1 grpo` options onto TRL's GRPOConfig, one option to one field wherever TRL has the field."""

from __future__ import annotations

from typing import Any

from r1cli.training import precision


def trl_kwargs(cfg, output_dir: str, use_vllm: bool, cuda: bool) -> dict[str, Any]:
    """The GRPOConfig keyword arguments for a stage config (tests compare them field by field)."""
    bf16 = cuda and precision()["bf16"]
    kwargs: dict[str, Any] = {
        "output_dir": output_dir,
        "num_generations": cfg.group_size,
        "per_device_train_batch_size": cfg.per_device_batch_size or cfg.group_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "beta": cfg.beta,
        "epsilon": cfg.epsilon,
        "epsilon_high": cfg.epsilon_high if cfg.epsilon_high is not None else cfg.epsilon,
        "loss_type": cfg.loss_type,
        "scale_rewards": cfg.scale_rewards,
        "num_iterations": cfg.num_iterations,
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        "max_completion_length": cfg.max_completion_length,
        "learning_rate": cfg.learning_rate,
        "lr_scheduler_type": cfg.lr_scheduler,
        "warmup_steps": cfg.warmup_steps,
        "max_steps": cfg.max_steps if cfg.max_steps is not None else -1,
        "num_train_epochs": cfg.epochs,
        "save_strategy": "steps" if cfg.save_steps else "no",
        "save_steps": cfg.save_steps or 500,
        "save_total_limit": cfg.save_total_limit,
        "seed": cfg.seed,
        "logging_steps": 1,
        "report_to": [] if cfg.report_to == "none" else [cfg.report_to],
        "use_vllm": use_vllm,
        "vllm_mode": cfg.vllm_mode,
        "vllm_gpu_memory_utilization": cfg.vllm_gpu_memory,
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "use_cpu": not cuda,
        "bf16": bf16,
        "model_init_kwargs": {"dtype": "bfloat16" if bf16 else "float32"},
        "log_completions": False,
        "disable_tqdm": True,
    }
    if cfg.vllm_server_url:
        kwargs["vllm_server_base_url"] = cfg.vllm_server_url
    return kwargs


def build(cfg, output_dir: str, use_vllm: bool, cuda: bool, reward_weights: list[float]):
    from trl import GRPOConfig

    return GRPOConfig(**trl_kwargs(cfg, output_dir, use_vllm, cuda), reward_weights=reward_weights)
