"""Shared fixtures. Heavy resources (the tiny model, the vLLM engine) are built once per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

# Every test session gets its own model cache, so tests never depend on what a user built before.
_SESSION_CACHE = Path(tempfile.mkdtemp(prefix="r1-test-cache-"))
os.environ.setdefault("R1_CACHE", str(_SESSION_CACHE))
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_MODULES_CACHE", str(_SESSION_CACHE / "hf-modules"))  # where a model's own code is copied

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark files not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_model() -> str:
    """Path of the embedded tiny model (untrained), built once per session."""
    from r1cli.models import resolve

    return resolve("tiny")


@pytest.fixture(scope="session")
def base_model(tiny_model, tmp_path_factory) -> str:
    """The tiny model without a chat template, like most base models on the hub."""
    import json
    import shutil

    out = tmp_path_factory.mktemp("base") / "tiny-base"
    shutil.copytree(tiny_model, out)
    (out / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((out / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (out / "tokenizer_config.json").write_text(json.dumps(config))
    return str(out)


@pytest.fixture(scope="session")
def vllm_engine(tiny_model):
    """One vLLM engine (CPU: float32, eager) on the tiny model, shared by the whole session; closed at the end.

    Use it through the `r1cli.generation` API: `vllm_engine.generate(prompts, Sampling(...))`, or pass it
    to `generate(vllm_engine, ...)` / anything that accepts an open engine.
    """
    pytest.importorskip("vllm")
    from r1cli.generation import open_engine

    engine = open_engine(tiny_model, "vllm")
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture(scope="session")
def sft_arith(tmp_path_factory, tiny_model):
    """The tiny model fine-tuned by `r1 sft` on task:arith (350 steps, ~45 s on 2 cores), once per session:
    a weak but real policy for checks that need completions with answers. Operands up to 5 keep the table
    small enough for 350 steps to generalise to unseen test problems (`test_spec`)."""
    from r1cli import config
    from r1cli.stages import sft

    out = tmp_path_factory.mktemp("sft") / "arith"
    cfg = config.resolve(sft.Config, {}, dict(
        model="tiny", dataset=["task:arith?n=700&max=5"], output=str(out), learning_rate=3e-3,
        per_device_train_batch_size=16, max_steps=350, warmup_steps=0.02, max_length=128, save_steps=100, seed=0))
    metrics = sft.run(cfg)
    return SimpleNamespace(path=out, metrics=metrics, test_spec="task:arith?n=50&split=test&max=5")


@pytest.fixture(scope="session")
def tiny_reward_model(tiny_model, tmp_path_factory) -> str:
    """A sequence-classification checkpoint on the tiny model's body (untrained score head, seeded): a real
    reward model to route, load and score with, when what it prefers does not matter."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path_factory.mktemp("rm") / "tiny-rm"
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


CUSTOM_CODE = '''"""The model's own code: the tiny Llama under an architecture name transformers does not know."""
from transformers import LlamaConfig, LlamaForCausalLM


class R1CustomConfig(LlamaConfig):
    model_type = "r1_custom"


class R1CustomForCausalLM(LlamaForCausalLM):
    config_class = R1CustomConfig
'''


@pytest.fixture(scope="session")
def remote_code_model(tiny_model, tmp_path_factory) -> str:
    """The tiny model as a model that ships its own code (config.json's auto_map names r1_custom.py): it loads
    only with trust_remote_code, and a loaded model of class R1CustomForCausalLM shows that its code ran."""
    import json
    import shutil

    out = tmp_path_factory.mktemp("remote") / "tiny-custom"
    shutil.copytree(tiny_model, out)
    (out / "r1_custom.py").write_text(CUSTOM_CODE)
    config = json.loads((out / "config.json").read_text())
    config.update(model_type="r1_custom", auto_map={"AutoConfig": "r1_custom.R1CustomConfig",
                                                    "AutoModelForCausalLM": "r1_custom.R1CustomForCausalLM"})
    (out / "config.json").write_text(json.dumps(config))
    return str(out)


@pytest.fixture()
def tensorboard_events():
    """A reader of a run folder's tensorboard event files with tensorboard's own EventAccumulator: folder ->
    (scalar tag -> values, the text tags naming completions)."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def read(folder):
        scalars, texts = {}, set()
        for events in {p.parent for p in folder.rglob("events.out.tfevents.*")}:
            acc = EventAccumulator(str(events), size_guidance={"scalars": 0, "tensors": 0})
            acc.Reload()
            for tag in acc.Tags()["scalars"]:
                scalars[tag] = [e.value for e in acc.Scalars(tag)]
            texts |= {tag for tag in acc.Tags()["tensors"] if "completions" in tag}
        return scalars, texts

    return read
