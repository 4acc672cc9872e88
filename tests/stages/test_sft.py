"""r1 sft: option precedence and real fine-tuning runs of the tiny model (its dataset schemas and mixing are
tested with the cores that implement them, tests/test_data.py and tests/test_mixing.py).

The training tests share one SFT run of the tiny model on task:arith (the `sft_arith` fixture of
tests/stages/conftest.py, ~45 s on 2 cores) and check that the loss falls, held-out exact-match accuracy
rises above the untrained model's, the model learned to emit EOS, and that vLLM loads the output (slow).
Resume and chat/LoRA runs use a few steps each.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from r1cli import config, data, runs, trainer_utils
from r1cli.errors import Interrupted, UserError
from r1cli.stages import sft

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "tiny" / "sft.yaml"


def make_cfg(**overrides) -> sft.Config:
    return config.resolve(sft.Config, {}, overrides)


def write_jsonl(path: Path, rows: list[dict]) -> str:
    data.write_jsonl(rows, path)
    return str(path)


# ------------------------------------------------------------------------------------------------ options


def test_options_yaml_then_flags(tmp_path):
    recipe = config.load_yaml(RECIPE)
    assert recipe["model"] == "tiny" and str(recipe["dataset"]).startswith("task:")
    cfg = config.resolve(sft.Config, recipe)
    assert cfg.dataset == [recipe["dataset"]] and cfg.learning_rate == float(recipe["learning_rate"])
    cfg = config.resolve(sft.Config, recipe, {"learning_rate": 0.5, "max_steps": 3, "lora": True})
    assert cfg.learning_rate == 0.5 and cfg.max_steps == 3 and cfg.lora
    assert cfg.per_device_train_batch_size == recipe["per_device_train_batch_size"]  # untouched YAML value
    yaml_list = config.resolve(sft.Config, {"model": "tiny", "dataset": ["a:0.5", "b"], "lr-scheduler-type": "constant",
                                            "output": "o"})
    assert yaml_list.dataset == ["a:0.5", "b"] and yaml_list.lr_scheduler_type == "constant"
    assert config.resolve(sft.Config, {"model": "tiny", "dataset": "a", "output": "o"}).template == "auto"
    with pytest.raises(UserError, match="--template"):
        config.resolve(sft.Config, {"model": "tiny", "dataset": "a", "output": "o", "template": "code"})
    with pytest.raises(UserError, match="learning_rat"):
        config.resolve(sft.Config, {"learning_rat": 1})


def test_model_is_required_no_toy_by_default(tmp_path):
    """Without --model, sft refuses in one line before it creates anything: no silent fallback to the tiny toy."""
    from typer.testing import CliRunner

    from r1cli.cli import app

    out = tmp_path / "o"
    result = CliRunner().invoke(app, ["sft", "--dataset", "task:arith?n=8", "--output", str(out)])
    assert result.exit_code == 2 and "--model is required" in result.output
    assert not out.exists() and not Path(str(out) + ".partial").exists()


def test_cli_rejects_missing_dataset(tmp_path):
    from typer.testing import CliRunner

    from r1cli.cli import app

    result = CliRunner().invoke(app, ["sft", "--output", str(tmp_path / "o")])
    assert result.exit_code == 2


# ------------------------------------------------------------------------------------------- training runs


def greedy_eval(model_dir: str, spec: str, max_new_tokens: int = 64) -> tuple[float, float]:
    """(exact-match accuracy of the <answer> tag, fraction of completions ending in EOS), greedy decoding."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    ds = data.load(spec)
    enc = tok(list(ds["prompt"]), return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
    new = out[:, enc["input_ids"].shape[1]:]
    right = stops = 0
    for ids, gold in zip(new.tolist(), ds["answer"], strict=True):
        stops += tok.eos_token_id in ids
        text = tok.decode(ids, skip_special_tokens=True)
        m = re.search(r"<answer>(.*?)</answer>", text)
        right += bool(m and m.group(1).strip() == gold)
    return right / len(ds), stops / len(ds)


def test_sft_lowers_loss_and_raises_heldout_accuracy(sft_arith, tiny_model):
    out, metrics = sft_arith.path, sft_arith.metrics
    assert metrics["steps"] == 350 and metrics["stop_token_trained"]
    losses = [r["loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in r]
    assert len(losses) == 350
    assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:5]) / 5
    before, stops_before = greedy_eval(tiny_model, sft_arith.test_spec)
    after, stops_after = greedy_eval(str(out), sft_arith.test_spec)
    assert after > before and after >= 0.2, (before, after)  # measured: 0.0 -> 0.48
    assert stops_after >= 0.9 > stops_before  # the fine-tuned model learned to stop


def test_output_folder_is_a_clean_checkpoint(sft_arith):
    out = sft_arith.path
    for name in ("config.json", "model.safetensors", "tokenizer.json", "generation_config.json",
                 "metrics.jsonl", "loss.png", "r1_manifest.json"):
        assert (out / name).exists(), name
    assert not list(out.glob("checkpoint-*")) and not Path(str(out) + ".partial").exists()
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(out).chat_template
    manifest = json.loads((out / "r1_manifest.json").read_text())
    assert manifest["stage"] == "sft" and manifest["metrics"]["steps"] == 350
    assert manifest["metrics"]["final_loss"] < manifest["metrics"]["first_loss"]
    assert manifest["metrics"]["runtime_s"] > 0 and manifest["options"]["learning_rate"] == 3e-3
    assert manifest["options"]["template"] == "plain"  # --template auto on a task: dataset, as resolved


def test_model_card_names_the_output_and_the_base(sft_arith):
    out = sft_arith.path  # saved checkpoints on the way, each of which rewrote the card in the .partial folder
    card = (out / "README.md").read_text()
    assert f"# Model Card for {out.name}\n" in card and f"model_name: {out.name}\n" in card
    assert f'model="{out}"' in card  # the quick start loads the published folder
    assert "fine-tuned version of the local model `tiny`" in card
    assert ".partial" not in card and "None" not in card


def test_checkpoint_files_share_one_mode(sft_arith):
    import os

    out = sft_arith.path
    mask = os.umask(0)
    os.umask(mask)
    modes = {f.name: oct(f.stat().st_mode & 0o777) for f in out.iterdir() if f.is_file()}
    assert "model.safetensors" in modes and set(modes.values()) == {oct(0o666 & ~mask)}, modes


def test_resume_continues_the_step_count(tmp_path, monkeypatch, tiny_model):
    out = tmp_path / "resumed"
    common = dict(model="tiny", dataset=["task:arith?n=64"], output=str(out), per_device_train_batch_size=8,
                  learning_rate=1e-3, save_steps=4, seed=0)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the run dies after its last checkpoint, before the final save

    with monkeypatch.context() as m:
        m.setattr(trainer_utils, "save", crash)
        with pytest.raises(Interrupted, match="--resume"):
            sft.run(make_cfg(max_steps=4, **common))
    partial = Path(str(out) + ".partial")
    assert (partial / "checkpoint-4").is_dir() and not out.exists()
    metrics = sft.run(make_cfg(max_steps=8, resume=True, **common))
    assert metrics["resumed_from_step"] == 4 and metrics["steps"] == 8
    steps = [r["step"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in r]
    assert steps == list(range(1, 9))


def test_default_template_on_text_data_and_a_model_without_a_chat_template_is_boxed(tmp_path, base_model):
    rows = [{"prompt": f"{a}+{a}", "answer": str(2 * a), "solution": f"{a}+{a}={2 * a}"} for a in range(8)]
    spec = write_jsonl(tmp_path / "text.jsonl", rows)
    out = tmp_path / "boxed"
    metrics = sft.run(make_cfg(model=base_model, dataset=[spec], output=str(out), max_steps=1,
                               per_device_train_batch_size=4, save_steps=0))
    assert metrics["format"] == "text"
    assert runs.read_manifest(out)["options"]["template"] == "boxed"


def test_tensorboard_reads_the_loss(tmp_path, tiny_model, tensorboard_events):
    out = tmp_path / "tb"
    sft.run(make_cfg(model="tiny", dataset=["task:arith?n=32"], output=str(out), per_device_train_batch_size=8,
                     max_steps=3, learning_rate=1e-3, save_steps=0, report_to="tensorboard"))
    scalars, _ = tensorboard_events(out)
    logged = [r["loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in r]
    assert scalars["train/loss"] == pytest.approx(logged) and len(logged) == 3


def test_chat_data_with_lora_and_packing(tmp_path, tiny_model):
    rows = [{"messages": [{"role": "user", "content": f"{a}+{a}"},
                          {"role": "assistant", "content": f"<answer>{2 * a}</answer>"}]} for a in range(40)]
    spec = write_jsonl(tmp_path / "chat.jsonl", rows)
    out = tmp_path / "lora"
    metrics = sft.run(make_cfg(model="tiny", dataset=[spec], output=str(out), lora=True, lora_r=4,
                               packing=True, max_length=64, max_steps=3, per_device_train_batch_size=4,
                               learning_rate=1e-3, save_steps=0))
    assert metrics["format"] == "chat" and metrics["stop_token_trained"] and metrics["steps"] == 3
    assert not (out / "adapter_config.json").exists()  # merged: a plain checkpoint
    assert f"# Model Card for {out.name}\n" in (out / "README.md").read_text()  # written without checkpoints too
    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(out).num_parameters() > 0


@pytest.mark.slow
def test_vllm_loads_the_output_and_stops_at_eos(sft_arith):
    pytest.importorskip("vllm")
    from vllm import LLM, SamplingParams

    out = sft_arith.path
    llm = LLM(str(out), dtype="float32", enforce_eager=True, max_model_len=256, seed=0)
    prompts = data.load("task:arith?n=8&split=test")["prompt"]
    results = llm.generate(list(prompts), SamplingParams(temperature=0, max_tokens=100))
    finished = [r.outputs[0] for r in results]
    assert all(o.finish_reason == "stop" and o.stop_reason is None for o in finished)  # stopped by EOS
    assert all("<answer>" in o.text for o in finished)
