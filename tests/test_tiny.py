"""The embedded tiny model: deterministic, tags are ordinary tokens, loads and generates with transformers."""

from __future__ import annotations

import pytest

from r1cli.errors import UserError
from r1cli.models import resolve, tiny


def test_same_seed_same_weights_other_seed_differs(tmp_path):
    from safetensors.torch import load_file

    a = load_file(str(tiny.build(tmp_path / "a") / "model.safetensors"))
    b = load_file(str(tiny.build(tmp_path / "b") / "model.safetensors"))
    c = load_file(str(tiny.build(tmp_path / "c", tiny.TinySpec(seed=1)) / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all((a[k] == b[k]).all() for k in a)
    assert any((a[k] != c[k]).any() for k in a if a[k].dim() > 1)
    assert sum(t.numel() for t in a.values()) == tiny.count_parameters(tiny.TinySpec())


def test_tags_survive_skip_special_tokens(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    text = "<think>\n2*3=6\n</think>\n<answer>6</answer>"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert ids[0] == tok.convert_tokens_to_ids("<think>")  # one token per tag
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok.decode([tok.eos_token_id], skip_special_tokens=True) == ""
    chat = tok.apply_chat_template([{"role": "user", "content": "1+1"}], tokenize=False, add_generation_prompt=True)
    assert chat.endswith("assistant: ")


def test_generates_with_transformers(tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    torch.manual_seed(0)
    out = model.generate(**tok(["(1+2)*3"], return_tensors="pt"), max_new_tokens=8, do_sample=True)
    assert out.shape[1] > 8 and isinstance(tok.decode(out[0][-8:]), str)


def test_resolve_caches_and_validates(tiny_model):
    assert resolve("tiny") == tiny_model
    assert resolve("tiny?layers=2") != tiny_model
    with pytest.raises(UserError, match="unknown tiny-model parameter"):
        resolve("tiny?depth=2")
    with pytest.raises(UserError, match="not found"):
        resolve("./no/such/model")
