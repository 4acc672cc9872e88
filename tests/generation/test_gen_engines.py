"""The vLLM (CPU) and transformers backends on the tiny model: shapes, stops, lengths, seeds, chat, prefill.

vLLM runs in the session-wide `vllm_engine` (one engine start for the whole test session)."""

from __future__ import annotations

import pytest

from r1cli.generation import Sampling, generate, open_engine

PROMPTS = ["abc", [{"role": "user", "content": "What is 2+2?"}], "x" * 30]


@pytest.fixture(scope="module")
def hf_engine(tiny_model):
    with open_engine(tiny_model, "hf", hf_batch_size=64) as eng:
        yield eng


@pytest.fixture(params=["vllm", "hf"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


def test_shapes_with_n(engine):
    out = engine.generate(PROMPTS, Sampling(n=4, temperature=1.0, max_new_tokens=40), progress_desc="test")
    assert len(out) == len(PROMPTS) and all(len(c) == 4 for c in out)
    for comps in out:
        for c in comps:
            assert isinstance(c.text, str) and 1 <= c.num_tokens <= 40
            assert c.finish_reason in ("stop", "length")
            if c.finish_reason == "length":
                assert c.num_tokens == 40
        assert len({c.text for c in comps}) > 1  # n samples, not n copies


def test_length_finish_reason(engine):
    out = engine.generate(["hello"] * 3, Sampling(n=4, temperature=1.0, max_new_tokens=5))
    flat = [c for comps in out for c in comps]
    assert any(c.finish_reason == "length" for c in flat)
    assert all(c.num_tokens == 5 for c in flat if c.finish_reason == "length")
    assert all(c.num_tokens <= 5 for c in flat)


def test_stop_strings_are_excluded(engine):
    stops = ["a", "e", "o"]
    out = engine.generate(["start: ", "go "], Sampling(n=8, temperature=1.0, max_new_tokens=300, stop=stops))
    flat = [c for comps in out for c in comps]
    assert not any(s in c.text for c in flat for s in stops)
    # The untrained tiny model emits each stop character ~1% of the time, so some completions end on one.
    assert sum(c.finish_reason == "stop" and c.num_tokens < 300 for c in flat) >= 4


def test_same_seed_same_completions(engine):
    s = Sampling(n=3, temperature=1.0, max_new_tokens=30, seed=123)
    first = engine.generate(PROMPTS, s)
    assert engine.generate(PROMPTS, s) == first
    assert engine.generate(PROMPTS, Sampling(n=3, temperature=1.0, max_new_tokens=30, seed=124)) != first


def test_results_do_not_depend_on_sharding(engine):
    prompts = [f"q{i} " for i in range(7)]
    s = Sampling(n=2, temperature=1.0, max_new_tokens=20)
    whole = engine.generate(prompts, s)
    assert generate(engine, prompts, s, shard_size=3) == whole
    assert engine.generate(prompts[3:], s, first_index=3) == whole[3:]


def test_chat_template_and_prefill(engine):
    tok = engine.tokenizer
    msgs = [{"role": "user", "content": "Say something."}]
    greedy = Sampling(temperature=0.0, max_new_tokens=24)
    full = engine.generate([msgs], greedy)[0][0]
    ids = tok(full.text, add_special_tokens=False)["input_ids"]
    if len(ids) < 8:
        pytest.skip("greedy completion too short to split")
    prefill = tok.decode(ids[:5])
    rest = engine.generate([msgs], Sampling(temperature=0.0, max_new_tokens=10, prefill=prefill))[0][0]
    assert full.text.startswith(prefill)
    assert rest.text and full.text[len(prefill):].startswith(rest.text)  # prefill is not in the text
    # A text prompt with chat_template=True is the same conversation.
    as_text = engine.generate(["Say something."], Sampling(temperature=0.0, max_new_tokens=24, chat_template=True))
    assert as_text[0][0] == full


def test_on_shard_sees_each_shard_in_order_before_the_next_is_generated(hf_engine, tmp_path):
    """Shards reach the callback as soon as they are done (a consumer can work while sampling goes on), and a
    resumed run replays the finished shards through it before generating the rest."""
    prompts = [f"q{i} " for i in range(5)]
    s = Sampling(n=2, temperature=1.0, max_new_tokens=8)
    seen, calls_before = [], []
    engine_calls = []
    real = hf_engine.generate

    def counting(*args, **kwargs):
        engine_calls.append(kwargs.get("first_index"))
        return real(*args, **kwargs)

    def on_shard(first, results):
        seen.append((first, results))
        calls_before.append(list(engine_calls))

    hf_engine.generate = counting
    try:
        whole = generate(hf_engine, prompts, s, shard_dir=tmp_path, shard_size=2, on_shard=on_shard)
        assert [first for first, _ in seen] == [0, 2, 4]
        assert [r for _, res in seen for r in res] == whole
        assert calls_before == [[0], [0, 2], [0, 2, 4]]  # each shard handed over before the next one starts
        (tmp_path / "shard-00001.jsonl").unlink()  # as if the run died during the second shard
        seen.clear()
        engine_calls.clear()
        assert generate(hf_engine, prompts, s, shard_dir=tmp_path, shard_size=2, resume=True,
                        on_shard=on_shard) == whole
        assert [first for first, _ in seen] == [0, 2, 4] and engine_calls == [2]
    finally:
        del hf_engine.generate


def test_hf_batch_size_does_not_change_results(hf_engine):
    s = Sampling(n=3, temperature=1.0, max_new_tokens=25, stop=["z"])
    whole = hf_engine.generate(PROMPTS, s)
    hf_engine.batch_size = 2
    try:
        assert hf_engine.generate(PROMPTS, s) == whole
    finally:
        hf_engine.batch_size = 64


def test_auto_falls_back_to_hf(tiny_model, monkeypatch):
    from r1cli.generation import vllm_engine

    monkeypatch.setattr(vllm_engine, "available", lambda: False)
    with open_engine(tiny_model, "auto") as eng:
        assert eng.name == "hf"


def test_tokens_are_counted_as_they_are_generated(engine):
    """Every backend reports its tokens while completions run, adding up to the completions' own counts, and
    before the first prompt finishes (the rate then is the engine's, not the finished prompts')."""
    reported: list[int] = []
    finished_at: list[int] = []
    out = engine.generate(PROMPTS, Sampling(n=4, temperature=1.0, max_new_tokens=40),
                          on_tokens=reported.append, on_done=lambda _pos, _comps: finished_at.append(sum(reported)))
    assert sum(reported) == sum(c.num_tokens for comps in out for c in comps)
    assert len(reported) > len(PROMPTS) and all(n >= 0 for n in reported)
    assert finished_at[0] > 0  # tokens were counted before any prompt was done


def test_without_a_terminal_progress_is_a_log_line_now_and_then(tiny_model, monkeypatch, capsys):
    from r1cli import log
    from r1cli.generation import base

    assert not log.console.is_terminal  # pytest captures stderr, as a log file or a CI job would
    monkeypatch.setattr(base, "LOG_EVERY_S", 0.0)
    with open_engine(tiny_model, "hf") as eng:
        eng.generate(PROMPTS, Sampling(n=2, temperature=1.0, max_new_tokens=20), progress_desc="arith")
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "arith: " in ln]
    assert lines and "3/3 prompts" in lines[-1] and "tok/s" in lines[-1]
