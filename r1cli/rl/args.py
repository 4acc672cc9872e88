"""TRL's GRPOConfig for the RL stages: the fields every trainer stage shares come from `training.common_args`
(precision included), and this module adds GRPO's own on top."""

from __future__ import annotations

import ast
import re
from functools import cache
from typing import Any

from r1cli import training

# Rows of --log-completions' sample shown on the console and written to tensorboard (the parquet files and
# wandb/trackio tables hold the whole step).
COMPLETIONS_SHOWN = 4
# GRPOConfig fields copied from the stage config under the same name.
SAME_NAME = ("importance_sampling_level", "steps_per_generation", "sync_ref_model", "ref_model_sync_steps",
             "ref_model_mixup_alpha", "mask_truncated_completions")


@cache
def loss_types() -> list[str]:
    """The loss types TRL's GRPOConfig lists in its loss_type help ("Supported values are 'grpo', ..."), read from
    its source: importing TRL costs seconds, and `r1 grpo --help` shows these choices."""
    from importlib.util import find_spec
    from pathlib import Path

    source = Path(find_spec("trl").submodule_search_locations[0]) / "trainer" / "grpo_config.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "loss_type":
            help_text = next(ast.literal_eval(kw.value)["help"] for kw in node.value.keywords if kw.arg == "metadata")
            listed = re.search(r"Supported values are (.*?)\.\s", help_text)
            if listed:
                return re.findall(r"'(\w+)'", listed.group(1))
    raise RuntimeError(f"no loss_type list in {source}: TRL changed how it documents loss_type")


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
        **{name: getattr(cfg, name) for name in SAME_NAME},
        "use_vllm": use_vllm,
        "vllm_mode": cfg.vllm_mode,
        "vllm_gpu_memory_utilization": cfg.vllm_gpu_memory_utilization,
        # TRL loads the policy (and reference) from the path
        "model_init_kwargs": {"dtype": dtype, "trust_remote_code": cfg.trust_remote_code},
        "log_completions": cfg.log_completions,
        "num_completions_to_print": COMPLETIONS_SHOWN,
    }
    if cfg.vllm_server_url:
        kwargs["vllm_server_base_url"] = cfg.vllm_server_url
    return kwargs


def build(cfg, output_dir: str, use_vllm: bool, reward_weights: list[float]):
    from trl import GRPOConfig

    return GRPOConfig(**trl_kwargs(cfg, output_dir, use_vllm), reward_weights=reward_weights)
