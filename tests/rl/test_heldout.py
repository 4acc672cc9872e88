"""The held-out check run during RL training."""

from __future__ import annotations

import torch

from r1cli import rewards


def test_heldout_check_decodes_the_live_model_through_the_generation_core(sft_arith):
    """The --eval-every check runs the generation core's hf engine over the in-memory policy: same greedy
    completions as transformers' generate, scored by the accuracy reward, training mode restored."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from r1cli import data
    from r1cli.rl.heldout import greedy_pass_at_1

    tok = AutoTokenizer.from_pretrained(sft_arith.path)
    model = AutoModelForCausalLM.from_pretrained(sft_arith.path)
    ds = data.load(sft_arith.test_spec)
    prompts, golds = list(ds["prompt"]), list(ds["answer"])
    tok.padding_side = "left"
    enc = tok(prompts, return_tensors="pt", padding=True)
    with torch.no_grad():
        ref = model.eval().generate(**enc, max_new_tokens=64, do_sample=False)
    expected = rewards.score(tok.batch_decode(ref[:, enc["input_ids"].shape[1]:], skip_special_tokens=True), golds)
    model.train()
    value = greedy_pass_at_1(model, tok, prompts, golds, max_new_tokens=64, batch_size=16)
    assert model.training
    assert value == sum(expected) / len(expected) and value >= 0.2
    # each row is judged by its own verifier: as code problems (tests, no fenced program) none is correct
    tests = [[{"input": "", "output": g}] for g in golds]
    assert greedy_pass_at_1(model, tok, prompts, golds, max_new_tokens=64, batch_size=16,
                            columns={"tests": tests}) == 0.0
