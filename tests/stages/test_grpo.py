"""r1 grpo: options reach TRL's GRPOConfig, the R1-Zero template, dynamic sampling, a real 2-step run + resume."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from r1cli import config as cfgmod
from r1cli import templates
from r1cli.stages import grpo
from r1cli.stages.grpo import args as grpo_args
from r1cli.stages.grpo.dynamic import constant_groups, keep_mask

PAPER_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. "
    "User: {prompt}. Assistant:"
)


def test_r1_zero_template_is_verbatim():
    assert templates.R1_ZERO == PAPER_PROMPT
    assert templates.render("What is 2+3?", "r1-zero") == PAPER_PROMPT.format(prompt="What is 2+3?")
    from r1cli.stages.grpo.train import prepare_dataset

    ds = prepare_dataset("task:arith?n=3", "r1-zero", None)
    assert ds[0]["prompt"].startswith("A conversation between User and Assistant.")
    assert ds[0]["prompt"].endswith(". Assistant:") and "answer" in ds.column_names
    chat = prepare_dataset("task:arith?n=3", "chat", "Be brief.")
    assert chat[0]["prompt"][0] == {"role": "system", "content": "Be brief."}


def test_arith_paren_shapes_the_problems_where_the_slip_matters():
    from r1cli import data

    rows = list(data.load("task:arith?steps=2&paren=1&slip=1&n=30"))
    assert all(r["prompt"].startswith("(") and r["prompt"].endswith(tuple(f"*{d}" for d in range(10))) for r in rows)
    assert any(r["answer"] != r["response_answer"] for r in rows)
    assert list(data.load("task:arith?n=5"))[0]["prompt"] == list(data.load("task:arith?n=5&paren=0"))[0]["prompt"]


def _cli_config(monkeypatch, argv: list[str]) -> grpo.Config:
    """Parse `r1 grpo ARGV` through the real CLI and return the Config the stage receives."""
    from r1cli import cli

    seen = {}
    monkeypatch.setattr(grpo, "run", lambda cfg: seen.setdefault("cfg", cfg))
    code = cli.typer.main.get_command(cli.app).main(["grpo", *argv], prog_name="r1", standalone_mode=False)
    assert code == 0
    return seen["cfg"]


def test_options_reach_grpo_config_exactly(monkeypatch, tmp_path):
    cfg = _cli_config(monkeypatch, [
        "--model", "tiny", "--dataset", "task:arith", "--output", str(tmp_path / "o"),
        "--group-size", "6", "--beta", "0.04", "--epsilon", "0.15", "--epsilon-high", "0.28",
        "--loss-type", "dr_grpo", "--scale-rewards", "none", "--num-iterations", "2", "--temperature", "0.7",
        "--max-completion-length", "77", "--learning-rate", "1e-5", "--max-steps", "9",
        "--per-device-batch-size", "12", "--gradient-accumulation-steps", "3", "--save-steps", "4",
        "--seed", "11", "--reward", "accuracy", "--reward", "format:0.5", "--report-to", "tensorboard",
    ])
    assert cfg.reward == ["accuracy", "format:0.5"]
    targs = grpo_args.build(cfg, str(tmp_path / "o"), use_vllm=False, cuda=False, reward_weights=[1.0, 0.5])
    expected = {
        "num_generations": 6, "beta": 0.04, "epsilon": 0.15, "epsilon_high": 0.28, "loss_type": "dr_grpo",
        "scale_rewards": "none", "num_iterations": 2, "temperature": 0.7, "max_completion_length": 77,
        "learning_rate": 1e-5, "max_steps": 9, "per_device_train_batch_size": 12,
        "gradient_accumulation_steps": 3, "save_steps": 4, "seed": 11, "use_vllm": False, "logging_steps": 1,
    }
    for name, value in expected.items():
        assert getattr(targs, name) == value, name
    assert list(targs.reward_weights) == [1.0, 0.5]
    assert list(targs.report_to) == ["tensorboard"]
    assert targs.steps_per_generation == 3 and targs.generation_batch_size == 36  # 6 prompts x G=6


def test_defaults_follow_the_paper_and_epsilon_high_defaults_to_epsilon(tmp_path):
    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "tiny", "dataset": "task:arith", "output": "x"})
    targs = grpo_args.build(cfg, str(tmp_path), use_vllm=False, cuda=False, reward_weights=[1.0, 1.0])
    assert (targs.beta, targs.num_generations, targs.temperature, targs.learning_rate) == (0.001, 16, 1.0, 3e-6)
    assert targs.epsilon_high == targs.epsilon == 0.2
    assert targs.per_device_train_batch_size == 16


def test_bad_batch_shape_is_a_user_error():
    from r1cli.errors import UserError
    from r1cli.stages.grpo.train import check

    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "m", "dataset": "d", "output": "o", "group_size": 4,
                                           "per_device_batch_size": 6})
    with pytest.raises(UserError, match="multiple of --group-size"):
        check(cfg)


def test_constant_groups_are_exactly_the_zero_variance_ones():
    rewards = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 2.0, float("nan"), 2.0, 2.0])
    assert constant_groups(rewards, 4).tolist() == [False, True, True, True]
    assert keep_mask(rewards, 4).tolist() == [1.0] * 4 + [0.0] * 12


def test_dynamic_sampling_masks_only_constant_groups_in_the_trainer_batch():
    from r1cli.stages.grpo.trainer import trainer_class

    # 3 groups of G=2 over two reward functions (weights 1 and 0.5): group 0 mixed, 1 and 2 constant.
    per_func = torch.tensor([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    metrics = {"train": {"frac_groups_dropped": []}}
    fake = SimpleNamespace(
        _r1_rewards_per_func=per_func, reward_weights=torch.tensor([1.0, 0.5]), num_generations=2,
        accelerator=SimpleNamespace(process_index=0, gather=lambda t: t.unsqueeze(0)), _metrics=metrics)
    output = {"completion_ids": torch.ones(6, 3, dtype=torch.long),
              "completion_mask": torch.tensor([[1, 1, 0]] * 6)}
    trainer_class()._drop_constant_groups(fake, output)
    assert output["tool_mask"][:, 0].tolist() == [1, 1, 0, 0, 0, 0]
    assert int(output["num_items_in_batch"]) == 4  # only group 0's tokens count in the loss normaliser
    assert metrics["train"]["frac_groups_dropped"] == [pytest.approx(2 / 3)]


def _run(tmp_path, **extra):
    flags = {"model": "tiny", "dataset": "task:arith?n=16", "output": str(tmp_path / "grpo"), "group_size": 4,
             "per_device_batch_size": 8, "max_completion_length": 12, "template": "plain", "learning_rate": 1e-4,
             "save_steps": 1, "reward": ["accuracy", "format:0.5"], "dynamic_sampling": True, **extra}
    return grpo.run(cfgmod.resolve(grpo.Config, {}, flags))


def test_two_step_run_writes_metrics_plots_and_resumes(tmp_path):
    from r1cli import runs, trainlog

    metrics = _run(tmp_path, max_steps=2, eval_every=2, eval_dataset="task:arith?n=4&split=test")
    out = tmp_path / "grpo"
    assert metrics["steps"] == 2 and (out / "config.json").exists()
    records = trainlog.read(out / "metrics.jsonl")
    train = [r for r in records if "loss" in r]
    assert [r["step"] for r in train] == [1, 2]
    for key in ("accuracy", "rewards/accuracy_reward/mean", "rewards/format_reward/std", "completions/mean_length",
                "completions/max_length", "frac_reward_zero_std", "frac_groups_dropped", "kl",
                "clip_ratio/region_mean", "learning_rate", "step_time"):
        assert key in train[-1], key
    assert [r["step"] for r in records if "eval/pass@1" in r] == [0, 2]
    for png in ("accuracy.png", "response_length.png", "eval.png"):
        assert (out / png).stat().st_size > 0
    manifest = runs.read_manifest(out)
    assert manifest["stage"] == "grpo" and manifest["options"]["group_size"] == 4

    resumed = _run(tmp_path, max_steps=3, resume=True)
    assert resumed["steps"] == 3
    steps = [r["step"] for r in trainlog.read(out / "metrics.jsonl") if "loss" in r]
    assert steps == [1, 2, 3]
    assert json.loads((out / "r1_manifest.json").read_text())["options"]["max_steps"] == 3
