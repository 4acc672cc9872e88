"""Several servers behind the server engine: requests spread over all, failures retried elsewhere, one clear
line when none can answer. The servers are real HTTP servers on 127.0.0.1 that answer like a completions
endpoint (the text tells which seed and prompt they were asked for) and fail on demand."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from r1cli.errors import UserError
from r1cli.generation import Sampling, open_engine, prompt_seed
from r1cli.generation.server_engine import ServerEngine, free_port

PROMPTS = [f"prompt number {i}" + " x" * i for i in range(12)]


class FakeServer:
    """Answers POST /v1/completions with text "SEED|PROMPT_LENGTH" after `delay` seconds. `fail(n)` decides
    the n-th completion request's fate: None (answer), an HTTP status, "drop" (close without answering) or
    "die" (the server crashes: this request and those in flight go unanswered, later ones are refused)."""

    def __init__(self, fail=lambda n: None, delay: float = 0.01, model: str = "fake-model"):
        self.fail, self.delay = fail, delay
        self.requests = self.answered = 0
        self.dead = False
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):  # HTTP/1.0: one connection per request, none outlives stop()
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.reply(200, {"data": [{"id": model, "max_model_len": 512}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    n, server.requests = server.requests, server.requests + 1
                fate = server.fail(n)
                if fate == "die":
                    threading.Thread(target=server.kill).start()
                time.sleep(server.delay)
                if fate in ("drop", "die") or server.dead:
                    self.close_connection = True  # the client sees the connection end without an answer
                    return
                if fate is not None:
                    self.reply(fate, {"error": f"failure {fate} on purpose"})
                    return
                text = f"{body['seed']}|{len(body['prompt'])}"
                with server.lock:
                    server.answered += 1
                self.reply(200, {"choices": [{"text": text, "finish_reason": "stop"}],
                                 "usage": {"completion_tokens": 3}})

            def reply(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def kill(self):
        """Stop like a crashed server: requests in flight end without an answer, new ones are refused."""
        self.dead = True
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made: list[FakeServer] = []

    def make(**kwargs) -> FakeServer:
        made.append(FakeServer(**kwargs))
        return made[-1]

    yield make
    for s in made:
        if not s.dead:
            s.kill()


def expected(engine, sampling: Sampling) -> list[list[str]]:
    """What the fake servers answer to each completion of PROMPTS: nothing lost, nothing mixed up."""
    return [[f"{prompt_seed(sampling.seed, i) + j}|{len(engine.formatter.ids(p, sampling))}"
             for j in range(sampling.n)] for i, p in enumerate(PROMPTS)]


def texts(outs) -> list[list[str]]:
    return [[c.text for c in comps] for comps in outs]


def test_requests_spread_and_failures_retried_elsewhere(tiny_model, servers):
    steady = servers()
    flaky = servers(fail=lambda n: {0: 503, 1: "drop", 2: 502}.get(n))
    sampling = Sampling(n=4, seed=3, max_new_tokens=8)
    with open_engine(tiny_model, "server", server_url=[steady.url, flaky.url + "/v1/"]) as eng:
        out = eng.generate(PROMPTS, sampling)
        assert texts(out) == expected(eng, sampling)
    total = len(PROMPTS) * sampling.n
    assert steady.answered + flaky.answered == total
    assert flaky.requests - flaky.answered == 3  # its three failures were answered by a retry
    assert min(steady.answered, flaky.answered) >= total // 4, "requests were not spread over both servers"


def test_server_killed_mid_run_loses_nothing(tiny_model, servers):
    a, b = servers(delay=0.05), servers(delay=0.05, fail=lambda n: "die" if n == 5 else None)
    sampling = Sampling(n=3, seed=0, max_new_tokens=8)
    with ServerEngine(tiny_model, server_url=[a.url, b.url], concurrency=2, backoff_s=0.01) as eng:
        out = eng.generate(PROMPTS, sampling)
        assert texts(out) == expected(eng, sampling)
        assert b.dead and b.answered < 5  # the request that crashed it and those beside it went unanswered
        assert eng.generate(["again"], Sampling(n=2))[0][0].num_tokens == 3  # the next call goes to the live one
    assert a.answered + b.answered == len(PROMPTS) * sampling.n + 2


def test_server_down_at_start_is_skipped(tiny_model, servers):
    live = servers()
    sampling = Sampling(n=2, seed=1, max_new_tokens=8)
    with ServerEngine(tiny_model, server_url=[f"http://127.0.0.1:{free_port()}", live.url]) as eng:
        assert eng.max_model_len == 512 and eng.pool.servers[0].failures == 1
        assert texts(eng.generate(PROMPTS, sampling)) == expected(eng, sampling)
    assert live.answered == len(PROMPTS) * sampling.n


def test_no_server_answers_one_line(tiny_model, servers):
    failing = servers(fail=lambda n: 503 if n >= 2 else None)
    down = servers()
    with ServerEngine(tiny_model, server_url=[failing.url, down.url], backoff_s=0.01) as eng:
        down.kill()
        start = time.monotonic()
        with pytest.raises(UserError) as err:
            eng.generate(PROMPTS, Sampling(n=4))
        assert time.monotonic() - start < 30
    msg = str(err.value)
    assert "\n" not in msg and "--server-url" in msg
    assert f"{failing.url} (HTTP 503" in msg and f"{down.url} (ConnectError" in msg


def test_refused_request_is_not_retried(tiny_model, servers):
    strict = servers(fail=lambda n: 400)
    with ServerEngine(tiny_model, server_url=strict.url) as eng, pytest.raises(UserError, match="refused"):
        eng.generate(["hi"], Sampling())
    assert strict.requests == 1


def test_server_list_checks(tiny_model, servers):
    first = servers()
    with ServerEngine(tiny_model, server_url=[first.url, first.url + "/"]) as eng:
        assert len(eng.pool.servers) == 1  # the same server named twice is one server
    with pytest.raises(UserError, match="serve different models"):
        ServerEngine(tiny_model, server_url=[first.url, servers(model="other").url])
    with pytest.raises(UserError, match="cannot reach any model server"):
        ServerEngine(tiny_model, server_url=[f"http://127.0.0.1:{free_port()}"])


def test_eval_spreads_over_repeated_server_url(tiny_model, servers, tmp_path):
    from r1cli.cli import app

    a, b = servers(), servers()
    result = CliRunner().invoke(app, [
        "eval", "--model", tiny_model, "--engine", "server", "--server-url", a.url, "--server-url", b.url,
        "--benchmark", "task:arith?split=test&n=6", "--num-samples", "4", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "out" / "samples.jsonl").read_text().splitlines()
    assert len(rows) == 24 and a.answered + b.answered == 24 and min(a.answered, b.answered) > 0
