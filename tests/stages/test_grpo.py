"""r1 grpo: options reach TRL's GRPOConfig, the R1-Zero template, and real runs of the tiny model (2 steps +
resume; a base model with --template chat)."""

from __future__ import annotations

import json

import pytest

from r1cli import config as cfgmod
from r1cli import data, rewards, templates, training
from r1cli.rl import args as grpo_args
from r1cli.stages import grpo

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
    from r1cli.rl.train import prepare_dataset

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
        "--per-device-train-batch-size", "12", "--gradient-accumulation-steps", "3", "--save-steps", "4",
        "--seed", "11", "--reward", "accuracy", "--reward", "format:0.5", "--report-to", "tensorboard",
        "--warmup-steps", "2", "--num-train-epochs", "3", "--lr-scheduler-type", "cosine",
        "--steps-per-generation", "6", "--sync-ref-model", "--ref-model-sync-steps", "10",
        "--ref-model-mixup-alpha", "0.5", "--mask-truncated-completions", "--importance-sampling-level", "sequence",
    ])
    assert cfg.reward == ["accuracy", "format:0.5"]
    targs = grpo_args.build(cfg, str(tmp_path / "o"), use_vllm=False, reward_weights=[1.0, 0.5])
    expected = {
        "num_generations": 6, "beta": 0.04, "epsilon": 0.15, "epsilon_high": 0.28, "loss_type": "dr_grpo",
        "scale_rewards": "none", "num_iterations": 2, "temperature": 0.7, "max_completion_length": 77,
        "learning_rate": 1e-5, "max_steps": 9, "per_device_train_batch_size": 12,
        "gradient_accumulation_steps": 3, "save_steps": 4, "seed": 11, "use_vllm": False, "logging_steps": 1,
        "warmup_steps": 2, "num_train_epochs": 3.0, "lr_scheduler_type": "cosine", "steps_per_generation": 6,
        "sync_ref_model": True, "ref_model_sync_steps": 10, "ref_model_mixup_alpha": 0.5,
        "mask_truncated_completions": True, "importance_sampling_level": "sequence",
    }
    for name, value in expected.items():
        assert getattr(targs, name) == value, name
    _same_named_options_reach_trl(cfg, targs)
    assert list(targs.reward_weights) == [1.0, 0.5]
    assert list(targs.report_to) == ["tensorboard"]
    assert targs.generation_batch_size == 72  # 12 prompts x G=6, split over 2 optimizer steps of 3 x 12


def _same_named_options_reach_trl(cfg, targs):
    """Every stage option named as a GRPOConfig field holds the stage's value in the GRPOConfig built."""
    import dataclasses

    from trl import GRPOConfig

    trl_fields = {f.name for f in dataclasses.fields(GRPOConfig)}
    # use_vllm is auto|true|false here; backend.choose turns it into TRL's bool (tested in this file)
    shared = [f.name for f in dataclasses.fields(cfg) if f.name in trl_fields and f.name != "use_vllm"]
    assert "steps_per_generation" in shared and "loss_type" in shared
    for name in shared:
        value = getattr(cfg, name)
        if name == "per_device_train_batch_size":
            value = value or cfg.group_size
        if name == "report_to":
            value = [] if value == "none" else [value]
        got = getattr(targs, name)
        assert (list(got) if name == "report_to" else got) == value, name


def test_loss_types_are_trls_own_list():
    """--loss-type offers exactly the values GRPOConfig documents, and each one is a loss TRL computes."""
    import dataclasses
    import inspect
    import re

    from trl import GRPOConfig, GRPOTrainer

    from r1cli.rl.args import loss_types

    help_text = next(f for f in dataclasses.fields(GRPOConfig) if f.name == "loss_type").metadata["help"]
    offered = loss_types()
    assert {"grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo"} <= set(offered)
    source = inspect.getsource(GRPOTrainer._compute_loss)
    for name in offered:
        assert f"'{name}'" in help_text and re.search(rf'"{name}"', source), name
    flag = next(f for f in dataclasses.fields(grpo.Config) if f.name == "loss_type")
    assert cfgmod.choices(flag) == offered


def test_reference_sync_needs_a_reference_and_rollouts_need_whole_groups():
    from r1cli.errors import UserError
    from r1cli.rl.train import check

    base = {"model": "tiny", "dataset": "task:arith", "output": "x", "group_size": 4}
    for flags, message in (({"sync_ref_model": True, "beta": 0.0}, "--sync-ref-model needs a reference"),
                           ({"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2,
                             "steps_per_generation": 3}, "--steps-per-generation (2 x 3)")):
        try:
            check(cfgmod.resolve(grpo.Config, {}, {**base, **flags}))
        except UserError as e:
            assert message in str(e)
        else:
            raise AssertionError(f"{flags} was accepted")


def test_precision_and_shared_fields_come_from_the_training_core(tmp_path):
    """bf16/fp16 (fp16 on GPUs without bf16), the data seed, CPU use and the console follow training.common_args;
    the policy loads in training.precision()'s dtype."""
    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "tiny", "dataset": "task:arith", "output": "x", "seed": 5})
    targs = grpo_args.build(cfg, str(tmp_path), use_vllm=False, reward_weights=[1.0, 1.0])
    shared = training.common_args(cfg, tmp_path)
    for name in ("bf16", "fp16", "data_seed", "disable_tqdm", "save_strategy", "logging_first_step"):
        assert getattr(targs, name) == shared[name], name
    assert targs.use_cpu == (training.device_type() == "cpu")
    assert targs.model_init_kwargs["dtype"] == str(training.precision()["dtype"]).removeprefix("torch.")


def test_trust_remote_code_is_off_unless_asked_and_reaches_trl(tmp_path):
    """TRL loads the policy, the reference and (colocated) vLLM from the path with these settings."""
    for flags, trusted in (({}, False), ({"trust_remote_code": True}, True)):
        cfg = cfgmod.resolve(grpo.Config, {}, {"model": "tiny", "dataset": "task:arith", "output": "x", **flags})
        targs = grpo_args.build(cfg, str(tmp_path), use_vllm=False, reward_weights=[1.0, 1.0])
        assert targs.trust_remote_code is trusted and targs.model_init_kwargs["trust_remote_code"] is trusted


def test_defaults_follow_the_paper_and_epsilon_high_defaults_to_epsilon(tmp_path):
    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "tiny", "dataset": "task:arith", "output": "x"})
    targs = grpo_args.build(cfg, str(tmp_path), use_vllm=False, reward_weights=[1.0, 1.0])
    assert (targs.beta, targs.num_generations, targs.temperature, targs.learning_rate) == (0.001, 16, 1.0, 3e-6)
    assert targs.epsilon_high == targs.epsilon == 0.2
    assert targs.per_device_train_batch_size == 16


def test_default_template_follows_the_model_on_other_datasets(tmp_path, tiny_model, base_model):
    """--template auto on prompts that are not a task: chat for a model with a chat template, else boxed."""
    from r1cli.rl import train

    data.write_jsonl([{"prompt": "1+1", "answer": "2"}], tmp_path / "p.jsonl")
    for model, expected in ((tiny_model, "chat"), (base_model, "boxed")):
        cfg = cfgmod.resolve(grpo.Config, {}, {"model": model, "dataset": str(tmp_path / "p.jsonl"), "output": "x"})
        assert cfg.template == "auto"
        train.resolve_template(cfg, [cfg.dataset])
        assert cfg.template == expected


def _run(tmp_path, **extra):
    flags = {"model": "tiny", "dataset": "task:arith?n=16", "output": str(tmp_path / "grpo"), "group_size": 4,
             "per_device_train_batch_size": 8, "max_completion_length": 12, "learning_rate": 1e-4,
             "save_steps": 1, "reward": ["accuracy", "format:0.5"], "dynamic_sampling": "mask", **extra}
    return grpo.run(cfgmod.resolve(grpo.Config, {}, flags))


def test_two_step_run_writes_metrics_plots_and_resumes(tmp_path, capfd):
    from r1cli import runs, trainlog
    from r1cli.rl.train import FIGURE, panels

    metrics = _run(tmp_path, max_steps=2, eval_every=2, eval_dataset="task:arith?n=4&split=test",
                   keep_checkpoints=True)
    out = tmp_path / "grpo"
    assert metrics["steps"] == 2 and (out / "config.json").exists()
    assert [c.name for c in training.checkpoints(out)] == ["checkpoint-1", "checkpoint-2"]
    records = trainlog.read(out / "metrics.jsonl")
    train = [r for r in records if "loss" in r]
    assert [r["step"] for r in train] == [1, 2]
    for key in ("accuracy", "rewards/accuracy_reward/mean", "rewards/format_reward/std", "completions/mean_length",
                "completions/max_length", "frac_reward_zero_std", "frac_groups_dropped", "kl",
                "clip_ratio/region_mean", "learning_rate", "step_time"):
        assert key in train[-1], key
    assert train[-1]["accuracy"] == train[-1]["rewards/accuracy_reward/mean"]
    assert [r["step"] for r in records if "eval/pass@1" in r] == [0, 2]
    curves = [c.key for p in panels(rewards.parse_specs(["accuracy", "format:0.5"])) for c in p.curves]
    assert all(any(key in r for r in records) for key in curves)  # the figure draws every curve it names
    assert [p.name for p in out.glob("*.png")] == [FIGURE] and (out / FIGURE).stat().st_size > 0
    card = (out / "README.md").read_text()  # names the published folder and the base, not DIR.partial / None
    assert f"# Model Card for {out.name}\n" in card and f'model="{out}"' in card
    assert "the local model `tiny`" in card and ".partial" not in card and "None" not in card
    assert {"reward_last10", "accuracy_last10", "format_last10"} <= set(metrics)
    manifest = runs.read_manifest(out)
    assert manifest["stage"] == "grpo" and manifest["options"]["group_size"] == 4
    assert manifest["options"]["template"] == "plain"  # --template auto on a task: dataset, as resolved
    console_out, console_err = capfd.readouterr()
    assert "{'loss'" not in console_out + console_err and "Triton" not in console_err  # one bar, no dicts
    assert "2/2" in console_err and "accuracy=" in console_err

    resumed = _run(tmp_path, max_steps=3, resume=True)  # without --keep-checkpoints: no optimizer state kept
    assert resumed["steps"] == 3
    assert not list(out.glob("checkpoint-*")) and not list(out.rglob("optimizer.pt"))
    steps = [r["step"] for r in trainlog.read(out / "metrics.jsonl") if "loss" in r]
    assert steps == [1, 2, 3]
    assert json.loads((out / "r1_manifest.json").read_text())["options"]["max_steps"] == 3


def test_chat_template_on_a_base_model_with_a_reward_that_is_not_accuracy(tmp_path, base_model):
    """`r1 -q grpo --template chat` on a model without a chat template trains on r1cli's default template (as
    sft does) and saves it; with --reward cosine the log, figure and summary follow cosine; -q prints nothing."""
    import subprocess
    import sys

    from transformers import AutoTokenizer

    from r1cli import runs, trainlog
    from r1cli.rl.train import FIGURE

    out = tmp_path / "grpo"
    cmd = [sys.executable, "-m", "r1cli", "-q", "grpo", "--model", base_model, "--dataset", "task:arith?n=8",
           "--output", str(out), "--template", "chat", "--reward", "cosine(max_len=12)", "--group-size", "4",
           "--per-device-train-batch-size", "8", "--max-completion-length", "12", "--max-steps", "1", "--save-steps", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert AutoTokenizer.from_pretrained(out).chat_template == templates.CHAT_TEMPLATE
    [record] = [r for r in trainlog.read(out / "metrics.jsonl") if "loss" in r]
    assert "rewards/cosine_reward/mean" in record and "accuracy" not in record
    metrics = runs.read_manifest(out)["metrics"]
    assert "cosine_last10" in metrics and "accuracy_last10" not in metrics
    assert (out / FIGURE).stat().st_size > 0


def test_user_reward_file_reference_sync_and_tensorboard(tmp_path, tensorboard_events):
    """A reward from a .py file drives training (TRL logs it under its function's name); with --sync-ref-model the
    KL to the reference is 0 again on the step after each sync; tensorboard's reader finds loss, reward and the
    --log-completions table."""
    from r1cli import trainlog

    (tmp_path / "brevity.py").write_text("def brevity(completions, **kwargs):\n"
                                         "    return [-len(str(c)) / 50 for c in completions]\n")
    metrics = _run(tmp_path, max_steps=6, reward=[f"{tmp_path / 'brevity.py'}:brevity"], dynamic_sampling="off",
                   learning_rate=5e-4, beta=0.04, sync_ref_model=True, ref_model_sync_steps=3, save_steps=0,
                   report_to="tensorboard", log_completions=True, dataset="task:arith?n=64")
    out = tmp_path / "grpo"
    assert metrics["steps"] == 6
    records = {r["step"]: r for r in trainlog.read(out / "metrics.jsonl") if "kl" in r}
    assert "rewards/brevity/mean" in records[6] and "accuracy" not in records[6]
    assert records[1]["kl"] == 0 and records[3]["kl"] > 0 and records[4]["kl"] == 0  # synced after step 3
    scalars, texts = tensorboard_events(out)
    assert len(scalars["train/loss"]) == 6 and len(scalars["train/reward"]) == 6
    assert scalars["train/rewards/brevity/mean"] == pytest.approx([records[s]["rewards/brevity/mean"]
                                                                  for s in range(1, 7)])
    assert texts and list(out.glob("completions/*.parquet"))


def test_lora_trains_only_the_adapter_and_eval_loads_the_merged_output(tmp_path, tiny_model, shared_data):
    """With --lora the saved model is the base with the adapter merged in: only the linear layers LoRA wraps
    moved (embeddings and norms are the base's, bit for bit), its greedy outputs differ, and `r1 eval` loads it."""
    import subprocess
    import sys

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    (tmp_path / "brevity.py").write_text("def brevity(completions, **kwargs):\n"
                                         "    return [-len(str(c)) / 50 for c in completions]\n")
    _run(tmp_path, max_steps=4, reward=[f"{tmp_path / 'brevity.py'}:brevity"], dynamic_sampling="off",
         learning_rate=5e-3, lora=True, lora_r=4, save_steps=0)
    out = tmp_path / "grpo"
    assert not (out / "adapter_config.json").exists()
    base = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    trained = AutoModelForCausalLM.from_pretrained(out).state_dict()
    assert trained.keys() == base.keys()
    moved = {k for k in base if not torch.equal(base[k], trained[k])}
    assert moved and all(k.endswith(".weight") and "proj" in k for k in moved), sorted(moved)[:5]
    assert not any("embed" in k or "norm" in k for k in moved)
    tok = AutoTokenizer.from_pretrained(tiny_model)
    ids = tok("12+7=", return_tensors="pt").input_ids
    outputs = [AutoModelForCausalLM.from_pretrained(m).generate(ids, max_new_tokens=12, do_sample=False)
               for m in (tiny_model, out)]
    assert not torch.equal(*outputs)
    done = subprocess.run([sys.executable, "-m", "r1cli", "eval", "--model", str(out), "--benchmark", "gsm8k",
                           "--data-dir", str(shared_data), "--limit", "2", "--engine", "hf", "--num-samples", "1",
                           "--max-completion-length", "8", "--output", str(tmp_path / "eval")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert results["benchmarks"]["gsm8k"]["num_problems"] == 2
