"""The server backend against a vLLM API server of the tiny model that we start (and stop) ourselves."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from r1cli.generation import Sampling, open_engine
from r1cli.generation.server_engine import ApiServer, ServerEngine

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


def test_the_server_we_start_listens_on_loopback_only(served):
    """Every listening socket of the server's process tree is bound to 127.0.0.1 (or a Unix socket)."""
    eng, pids = served
    listening = [c.laddr for pid in pids if psutil.pid_exists(pid)
                 for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening and {addr.ip for addr in listening} == {"127.0.0.1"}, listening
    assert eng.server.port in {addr.port for addr in listening}


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


@pytest.mark.slow
def test_two_servers_one_killed_mid_run(tiny_model):
    """Two vLLM servers share a run; one is killed (SIGKILL, engine and all) while requests are in flight
    on it. The run finishes on the other with every sample, the same ones that server alone gives."""
    pytest.importorskip("vllm")
    with ThreadPoolExecutor(2) as start:  # the two start side by side
        starting = [start.submit(ApiServer, tiny_model, max_model_len=None, dtype="auto", tensor_parallel_size=1,
                                 gpu_memory_utilization=0.9, seed=0) for _ in range(2)]
    servers = [f.result() for f in starting if f.exception() is None]
    victim = servers[-1]
    prompts = PROMPTS * 6
    s = Sampling(n=4, temperature=1.0, max_new_tokens=48, seed=11)
    finished = []

    def kill_victim(pos, comps):
        finished.append(pos)
        if len(finished) == 2:
            victim.watch.refresh()
            for proc in victim.watch.alive():
                proc.kill()

    try:
        assert len(servers) == 2, [f.exception() for f in starting]
        # 4 requests in flight per server: most of the run is still queued when the victim dies
        with ServerEngine(tiny_model, server_url=[srv.url for srv in servers], concurrency=4) as eng:
            out = eng.generate(prompts, s, on_done=kill_victim)
            assert eng.pool.servers[1].failures > 0 and victim.proc.poll() is not None
        assert len(out) == len(prompts) and all(len(comps) == s.n for comps in out)
        with open_engine(tiny_model, "server", server_url=servers[0].url) as alone:
            assert out == alone.generate(prompts, s)
    finally:
        for srv in servers:
            srv.close()
