"""r1cli.training: precision choice, chat-template defaulting, shared trainer arguments, checkpoint lookup."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from r1cli import config, training
from r1cli.training import TrainingOptions


def test_cpu_precision_is_fp32_without_mixed_precision_flags():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CPU-only check")
    prec = training.precision()
    assert prec == {"dtype": torch.float32, "bf16": False, "fp16": False}
    assert training.device_type() == "cpu"


def test_training_tokenizer_gets_a_chat_template_the_generation_core_does_not(base_model, tiny_model):
    from r1cli import templates
    from r1cli.errors import UserError
    from r1cli.generation.base import PromptFormatter, Sampling
    from r1cli.models import load_tokenizer as load_as_shipped

    shipped = load_as_shipped(base_model)
    assert not shipped.chat_template
    with pytest.raises(UserError, match="no chat template"):  # eval renders only what the model ships
        PromptFormatter(shipped).text("1+1", Sampling(chat_template=True))
    tok = training.load_tokenizer(base_model)
    assert tok.chat_template == templates.CHAT_TEMPLATE and tok.pad_token is not None
    own = training.load_tokenizer(tiny_model)
    assert own.chat_template == load_as_shipped(tiny_model).chat_template  # a model's own template is kept


def test_default_chat_template_set_only_when_missing(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    own = tok.chat_template
    assert training.ensure_chat_template(tok) is False and tok.chat_template == own
    tok.chat_template = None
    assert training.ensure_chat_template(tok) is True
    text = tok.apply_chat_template([{"role": "user", "content": "1+1"}, {"role": "assistant", "content": "2"}],
                                   tokenize=False)
    assert text == "<s>user: 1+1\nassistant: 2</s>\n"
    prompt = tok.apply_chat_template([{"role": "user", "content": "1+1"}], tokenize=False,
                                     add_generation_prompt=True)
    assert text.startswith(prompt)


def test_end_of_turn_token(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    assert training.end_of_turn_token(tok) is None  # the tiny template ends turns with EOS
    tok.add_special_tokens({"additional_special_tokens": ["<|im_end|>"]})
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                         "{% endfor %}")
    assert training.end_of_turn_token(tok) == "<|im_end|>"


def test_progress_bar_shows_the_chosen_metrics_rounded_instead_of_printed_dicts(tmp_path, tiny_model, capsys):
    from transformers import AutoModelForCausalLM, Trainer, TrainerControl, TrainingArguments
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    model = AutoModelForCausalLM.from_pretrained(tiny_model)

    def trainer(quiet: bool) -> Trainer:
        return Trainer(model=model, args=TrainingArguments(output_dir=str(tmp_path), disable_tqdm=quiet,
                                                           use_cpu=True, report_to="none"))

    def console(t: Trainer) -> list:
        return [c for c in t.callback_handler.callbacks if isinstance(c, (PrinterCallback, ProgressCallback))]

    quiet = trainer(quiet=True)  # --quiet: transformers would print a dict per log
    training.tidy_console(quiet)
    assert console(quiet) == []
    loud = trainer(quiet=False)
    training.tidy_console(loud, shown=("reward", "accuracy"))
    [bar] = console(loud)
    state, control = loud.state, TrainerControl()
    state.max_steps = 4
    bar.on_train_begin(loud.args, state, control)
    bar.on_log(loud.args, state, control, logs={"loss": 0.0, "reward": 0.123456, "accuracy": 1 / 3, "kl": 2.0})
    assert bar.training_bar.postfix == "reward=0.123, accuracy=0.333"
    bar.on_train_end(loud.args, state, control)
    assert "{" not in capsys.readouterr().out


def test_a_models_own_code_runs_only_when_trusted(remote_code_model):
    from r1cli.errors import UserError

    with pytest.raises(UserError, match="--trust-remote-code"):
        training.load_model(remote_code_model)
    model, tokenizer, _ = training.load_model(remote_code_model, trust_remote_code=True)
    assert type(model).__name__ == "R1CustomForCausalLM" and tokenizer.pad_token  # the shipped class ran


@dataclass
class _Cfg(TrainingOptions):
    """A trainer stage's config as common_args reads it: the shared options plus the run's seed and trust."""

    seed: int = 0
    trust_remote_code: bool = False


def _cfg(**values) -> _Cfg:
    return config.resolve(_Cfg, flags=values)


def test_common_args_carry_trust_remote_code_to_the_trl_config(tmp_path):
    from trl import SFTConfig

    assert SFTConfig(**training.common_args(_cfg(), tmp_path)).trust_remote_code is False
    trusted = SFTConfig(**training.common_args(_cfg(trust_remote_code=True), tmp_path))
    assert trusted.trust_remote_code is True


def test_common_args_read_every_option_from_the_config_and_have_no_defaults_of_their_own(tmp_path):
    with pytest.raises(AttributeError):  # a stage config lacking a shared option is a bug, not a silent default
        training.common_args(SimpleNamespace(seed=0, trust_remote_code=False), tmp_path)


def test_training_options_are_named_as_trl_names_them():
    """Every shared training option but r1cli's own --keep-checkpoints is a field of each TRL trainer config
    the stages build, under TRL's name."""
    from trl import GRPOConfig, RewardConfig, SFTConfig

    names = {f.name for f in config.fields(TrainingOptions)} - {"keep_checkpoints"}
    for trl_config in (SFTConfig, RewardConfig, GRPOConfig):
        assert names <= {f.name for f in dataclasses.fields(trl_config)}, trl_config.__name__


def test_common_args_build_an_sft_config_on_cpu(tmp_path):
    from trl import SFTConfig

    cfg = _cfg(learning_rate=1e-3, lr_scheduler_type="constant", warmup_steps=0.1, num_train_epochs=2,
               per_device_train_batch_size=4, gradient_accumulation_steps=2, save_steps=0, seed=7)
    args = training.common_args(cfg, tmp_path)
    assert args["warmup_steps"] == 0.1 and args["max_steps"] == -1 and args["save_strategy"] == "no"
    assert args["report_to"] == "none" and args["gradient_checkpointing"] is False
    sft = SFTConfig(**args)  # TRL's bf16 default must not survive on a CPU-only machine
    import torch

    if not torch.cuda.is_available():
        assert sft.bf16 is False and sft.fp16 is False
    assert sft.learning_rate == 1e-3 and sft.seed == 7 and sft.gradient_accumulation_steps == 2
    assert sft.save_total_limit == 2 and sft.logging_steps == 1
    cfg.max_steps, cfg.save_steps, cfg.save_total_limit, cfg.report_to = 30, 10, 3, "tensorboard"
    args = training.common_args(cfg, tmp_path)
    assert args["max_steps"] == 30 and args["save_strategy"] == "steps" and args["save_steps"] == 10
    assert args["save_total_limit"] == 3 and args["report_to"] == ["tensorboard"]


def test_checkpoint_lookup_and_cleanup(tmp_path):
    assert training.last_checkpoint(tmp_path) is None
    for step in (5, 20, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-30").mkdir()  # incomplete: no trainer_state.json
    (tmp_path / "checkpoint-x").mkdir()
    last = training.last_checkpoint(tmp_path)
    assert last.name == "checkpoint-20" and training.checkpoint_step(last) == 20
    assert [c.name for c in training.checkpoints(tmp_path)] == [f"checkpoint-{s}" for s in (5, 10, 20, 30)]
    assert training.remove_checkpoints(tmp_path) == 4
    assert training.checkpoints(tmp_path) == [] and (tmp_path / "checkpoint-x").exists()


def test_trim_metrics(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "loss": 1.0}) + "\n" for s in range(1, 8)))
    training.trim_metrics(path, 4)
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [1, 2, 3, 4]
    training.trim_metrics(tmp_path / "absent.jsonl", 3)  # no file: nothing to do


def test_cosine_with_min_lr_decays_to_a_tenth_of_the_peak(tmp_path):
    import torch
    from transformers import get_scheduler

    args = training.common_args(_cfg(learning_rate=1e-3, lr_scheduler_type="cosine_with_min_lr", warmup_steps=0),
                                tmp_path)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args["learning_rate"])
    scheduler = get_scheduler(args["lr_scheduler_type"], optimizer, num_warmup_steps=0, num_training_steps=10,
                              scheduler_specific_kwargs=args["lr_scheduler_kwargs"])
    for _ in range(10):
        optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr()[0] == pytest.approx(1e-4)


def test_the_trackers_extra_installs_every_tracker_offered():
    from pathlib import Path

    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert sorted(project["optional-dependencies"]["trackers"]) == sorted(set(training.REPORTERS) - {"none"})
    assert "trackio" in training.REPORTERS  # local logging without an account


@pytest.mark.parametrize("stage", ["sft", "distill", "grpo", "align"])
def test_lora_is_declared_once_for_every_causal_lm_trainer(stage):
    import importlib

    from r1cli.training import LoraOptions

    offered = {f.name: f for f in config.fields(importlib.import_module(f"r1cli.stages.{stage}").Config)}
    for f in config.fields(LoraOptions):
        assert offered[f.name].default == f.default and dict(offered[f.name].metadata) == dict(f.metadata), f.name
