"""Shared fixtures. Heavy resources (the tiny model, the vLLM engine) are built once per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
