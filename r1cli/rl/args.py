"""TRL's GRPOConfig for the RL stages: the fields every trainer stage shares come from `training.common_args`
(precision included), and this module adds GRPO's own on top."""

from __future__ import annotations

from typing import Any

from r1cli import training


def trl_kwargs(cfg, output_dir: str, use_vllm: bool) -> dict[str, Any]:
    """The GRPOConfig keyword arguments for a stage config (tests compare them field by field)."""
    dtype = str(training.precision()["dtype"]).removeprefix("torch.")
    kwargs: dict[str, Any] = {
        **training.common_args(cfg, output_dir),
        # TRL counts completions per device; one prompt's group is the smallest sensible batch.
        "per_device_train_batch_size": cfg.per_device_train_batch_size or cfg.group_size,
        "num_generations": cfg.group_size,
        "beta": cfg.beta,
        "epsilon": cfg.epsilon,
        "epsilon_high": cfg.epsilon_high if cfg.epsilon_high is not None else cfg.epsilon,
        "loss_type": cfg.loss_type,
        "scale_rewards": cfg.scale_rewards,
        "num_iterations": cfg.num_iterations,
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        "max_completion_length": cfg.max_completion_length,
        "use_vllm": use_vllm,
        "vllm_mode": cfg.vllm_mode,
        "vllm_gpu_memory_utilization": cfg.vllm_gpu_memory_utilization,
        # TRL loads the policy (and reference) from the path
        "model_init_kwargs": {"dtype": dtype, "trust_remote_code": cfg.trust_remote_code},
        "log_completions": False,
    }
    if cfg.vllm_server_url:
        kwargs["vllm_server_base_url"] = cfg.vllm_server_url
    return kwargs


def build(cfg, output_dir: str, use_vllm: bool, reward_weights: list[float]):
    from trl import GRPOConfig

    return GRPOConfig(**trl_kwargs(cfg, output_dir, use_vllm), reward_weights=reward_weights)
