"""The server backend: a client of OpenAI-compatible `/v1/completions` endpoints (vLLM's API server).

Prompts are tokenized here and sent as token ids, one request per completion (seed = prompt seed + j, as
vLLM does for its n > 1 children), many at a time from a thread pool. Several server URLs (one per node, say)
share the requests, and a request that fails is retried on another server (r1cli.generation.server_pool).
With `serve=True` we also start `python -m vllm.entrypoints.openai.api_server` ourselves on a free 127.0.0.1
port and stop it on close.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

from r1cli import log
from r1cli.errors import UserError
from r1cli.generation.base import Completion, Engine, OnDone, Request, Sampling
from r1cli.generation.procs import ChildWatch, register_for_exit, unregister
from r1cli.generation.server_pool import BACKOFF_S, RETRIES, HTTPStatusError, ServerPool
from r1cli.models import load_tokenizer

CONCURRENCY = 64  # requests in flight per server
START_TIMEOUT_S = float(os.environ.get("R1_SERVER_START_TIMEOUT", "600"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(model_path: str, port: int, *, cpu: bool, max_model_len: int | None = None, dtype: str = "auto",
                   tensor_parallel_size: int = 1, gpu_memory_utilization: float = 0.9, seed: int = 0,
                   trust_remote_code: bool = False) -> list[str]:
    """The command line of a vLLM API server on 127.0.0.1:`port` only: nothing beyond this machine reaches
    it, and the model's own code runs only with `trust_remote_code` (vLLM's flag is off unless given)."""
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_path,
           "--host", "127.0.0.1", "--port", str(port), "--seed", str(seed), "--disable-uvicorn-access-log"]
    if cpu:
        cmd += ["--dtype", "float32" if dtype == "auto" else dtype, "--enforce-eager"]
    else:
        cmd += ["--dtype", dtype, "--tensor-parallel-size", str(tensor_parallel_size),
                "--gpu-memory-utilization", str(gpu_memory_utilization)]
    if max_model_len:
        cmd += ["--max-model-len", str(max_model_len)]
    if trust_remote_code:
        cmd.append("--trust-remote-code")
    return cmd


class ApiServer:
    """A vLLM OpenAI API server child process on 127.0.0.1."""

    def __init__(self, model_path: str, *, max_model_len: int | None, dtype: str, tensor_parallel_size: int,
                 gpu_memory_utilization: float, seed: int, trust_remote_code: bool = False):
        from r1cli.generation.vllm_engine import CPU_KVCACHE_GB, on_cpu

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cpu = on_cpu()
        cmd = server_command(model_path, self.port, cpu=cpu, max_model_len=max_model_len, dtype=dtype,
                             tensor_parallel_size=tensor_parallel_size,
                             gpu_memory_utilization=gpu_memory_utilization, seed=seed,
                             trust_remote_code=trust_remote_code)
        env = dict(os.environ)
        if cpu:
            env.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_KVCACHE_GB)
        self.log_path = Path(tempfile.mkstemp(prefix="r1-vllm-server-", suffix=".log")[1])
        log.info("starting vLLM API server on %s (log: %s)", self.url, self.log_path)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.watch = ChildWatch()
        self.watch.add_tree(self.proc.pid)
        register_for_exit(self)
        try:
            self._wait_healthy()
        except BaseException:
            self.close()
            raise

    def _wait_healthy(self) -> None:
        import httpx

        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise UserError(f"the vLLM API server exited with code {self.proc.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    self.watch.refresh()
                    return
            except httpx.HTTPError:
                pass
            self.watch.refresh()
            time.sleep(0.5)
        raise UserError(f"the vLLM API server did not become healthy in {START_TIMEOUT_S:.0f} s "
                        f"(see {self.log_path})")

    def close(self) -> None:
        unregister(self)
        self.watch.refresh()
        if self.proc.poll() is None:
            self.proc.terminate()  # the server shuts its engine down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.watch.reap(grace=5)
        if not self._log.closed:
            self._log.close()


class ServerEngine(Engine):
    name = "server"

    def __init__(self, model_path: str, *, server_url: str | Sequence[str] | None = None, serve: bool = False,
                 max_model_len: int | None = None, dtype: str = "auto", tensor_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.9, seed: int = 0, trust_remote_code: bool = False,
                 concurrency: int = CONCURRENCY, retries: int = RETRIES, backoff_s: float = BACKOFF_S):
        import httpx

        urls = [server_url] if isinstance(server_url, str) else list(server_url or [])
        if not urls and not serve:
            raise UserError("the server engine needs a server URL (--server-url) or serve=True to start one")
        try:
            tokenizer = load_tokenizer(model_path, trust_remote_code=trust_remote_code)
        except Exception as err:  # noqa: BLE001
            raise UserError(f"cannot load the tokenizer of {model_path} to format prompts: {err}") from err
        self.server = None
        if serve:
            self.server = ApiServer(model_path, max_model_len=max_model_len, dtype=dtype,
                                    tensor_parallel_size=tensor_parallel_size,
                                    gpu_memory_utilization=gpu_memory_utilization, seed=seed,
                                    trust_remote_code=trust_remote_code)
            urls.append(self.server.url)
        urls = list(dict.fromkeys(u.rstrip("/").removesuffix("/v1") for u in urls))
        self.concurrency = concurrency * len(urls)  # `concurrency` requests in flight per server
        self.client = httpx.Client(timeout=httpx.Timeout(3600, connect=30),
                                   limits=httpx.Limits(max_connections=self.concurrency))
        self.pool = ServerPool(urls, self.client, retries=retries, backoff_s=backoff_s)
        try:
            self.model_id, served_len = self._served_model()
        except BaseException:
            self.close()
            raise
        super().__init__(model_path, tokenizer, served_len or max_model_len)

    def _served_model(self) -> tuple[str, int | None]:
        """The model every server serves and the shortest context among them. Servers that do not answer
        now are warned about and rest; they join the run when they come up."""
        import httpx

        served: dict[str, tuple[str, int | None]] = {}
        for server in self.pool.servers:
            try:
                resp = self.client.get(f"{server.url}/v1/models", timeout=30)
                if resp.status_code != 200:
                    raise HTTPStatusError(server.url, resp.status_code, resp.text)
                models = resp.json().get("data") or []
            except (httpx.HTTPError, HTTPStatusError, ValueError) as err:
                self.pool.mark_failed(server, err)
                continue
            if not models:
                raise UserError(f"the server at {server.url} serves no model (check --server-url)")
            served[server.url] = (models[0]["id"], models[0].get("max_model_len"))
        if not served:
            raise UserError(f"cannot reach any model server: {self.pool.describe()}; check --server-url")
        ids = {model_id for model_id, _ in served.values()}
        if len(ids) > 1:
            listing = ", ".join(f"{url} serves {mid}" for url, (mid, _) in served.items())
            raise UserError(f"the servers serve different models ({listing}); give --server-url of one model only")
        for server in self.pool.servers:
            if server.url not in served:
                log.warn("model server %s does not answer (%s); sampling on the others and retrying it now and "
                         "then", server.url, server.last_error)
        lengths = [n for _, n in served.values() if n]
        return ids.pop(), min(lengths) if lengths else None

    def _one(self, req: Request, j: int, sampling: Sampling, abort: threading.Event) -> Completion:
        body = {"model": self.model_id, "prompt": req.ids, "max_tokens": sampling.max_new_tokens,
                "temperature": sampling.temperature, "top_p": sampling.top_p, "n": 1}
        if sampling.top_k_or_none:
            body["top_k"] = sampling.top_k_or_none
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if req.seed is not None:
            body["seed"] = req.seed + j
        data = self.pool.post("/v1/completions", body, abort)
        choice = data["choices"][0]
        tokens = int((data.get("usage") or {}).get("completion_tokens") or 0)
        reason = "length" if choice.get("finish_reason") == "length" else "stop"
        return Completion(text=choice.get("text") or "", num_tokens=tokens, finish_reason=reason)

    def _run(self, requests: list[Request], sampling: Sampling, done: OnDone) -> None:
        results: dict[int, list] = {pos: [None] * sampling.n for pos in range(len(requests))}
        left = {pos: sampling.n for pos in range(len(requests))}
        lock = threading.Lock()
        abort = threading.Event()  # set when the run fails: requests still retrying give up at once

        def task(pos: int, j: int) -> None:
            comp = self._one(requests[pos], j, sampling, abort)
            with lock:
                results[pos][j] = comp
                left[pos] -= 1
                finished = left[pos] == 0
            if finished:
                done(pos, results.pop(pos))

        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="r1-http")
        futures = [pool.submit(task, pos, j) for pos in range(len(requests)) for j in range(sampling.n)]
        try:
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for f in finished:
                f.result()  # re-raise the first failure
        except BaseException:
            abort.set()
            pool.shutdown(wait=False, cancel_futures=True)  # do not wait for requests in flight
            raise
        pool.shutdown(wait=True)

    def close(self) -> None:
        super().close()
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.server is not None:
            self.server.close()
            self.server = None
