"""The server backend against a vLLM API server of the tiny model that we start (and stop) ourselves."""

from __future__ import annotations

import time

import psutil
import pytest

from r1cli.generation import Sampling, open_engine

PROMPTS = ["abc", [{"role": "user", "content": "What is 2+2?"}]]


@pytest.fixture(scope="module")
def served(tiny_model):
    pytest.importorskip("vllm")
    eng = open_engine(tiny_model, "server", serve=True)
    pids = [p.pid for p in eng.server.watch.procs]
    try:
        yield eng, pids
    finally:
        eng.close()


def test_server_shapes_stops_lengths(served):
    eng, _ = served
    out = eng.generate(PROMPTS * 3, Sampling(n=3, temperature=1.0, max_new_tokens=40, stop=["a", "e"]),
                       progress_desc="server")
    assert len(out) == 6 and all(len(c) == 3 for c in out)
    flat = [c for comps in out for c in comps]
    assert all(1 <= c.num_tokens <= 40 and "a" not in c.text and "e" not in c.text for c in flat)
    assert all(c.num_tokens == 40 for c in flat if c.finish_reason == "length")
    assert {c.finish_reason for c in flat} <= {"stop", "length"}


def test_server_matches_offline_vllm(served, vllm_engine):
    eng, _ = served
    s = Sampling(n=3, temperature=1.0, max_new_tokens=30, seed=5, prefill="<think>\n", chat_template=True)
    via_http = eng.generate(PROMPTS, s)
    assert via_http == eng.generate(PROMPTS, s)
    assert via_http == vllm_engine.generate(PROMPTS, s)  # same token ids, same per-completion seeds


def test_client_of_running_server_and_shutdown(served, tiny_model):
    eng, pids = served
    with open_engine(tiny_model, "server", server_url=eng.server.url + "/v1") as client:
        assert client.server is None and client.max_model_len == eng.max_model_len
        assert client.generate(["hi"], Sampling(max_new_tokens=5))[0][0].num_tokens <= 5
    eng.close()
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids):
        assert time.monotonic() < deadline, "the API server outlived close()"
        time.sleep(0.2)
