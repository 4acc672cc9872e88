"""Several OpenAI-compatible servers behind one client: requests spread over all, failures retried elsewhere.

Each request goes to the server with the fewest requests in flight, skipping servers that rest after a failure
(round robin among equals). A transient failure (connection refused or reset, timeout, HTTP 408, 429 or 5xx)
sends its server to rest, longer after each failure in a row, so that a dead server is only probed now and
then while the live ones carry the run; one success ends the rest. The failed request is retried by tenacity,
with exponential backoff and jitter, on whichever server is best at that moment: usually another one. Every
completion carries its own seed, so a retried request returns the same sample wherever it lands.

Only when a request has failed on every server, several times over, does the run stop: with one line that
names each server and its last error.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

from r1cli.errors import UserError

RETRIES = 5  # tries per request beyond one per server
BACKOFF_S = 0.5  # first wait between tries; doubles up to MAX_BACKOFF_S
MAX_BACKOFF_S = 10.0
REST_S = 2.0  # a failed server's first rest; doubles with each failure in a row up to MAX_REST_S
MAX_REST_S = 60.0
TRANSIENT_STATUS = {408, 429}


class HTTPStatusError(Exception):
    """A server answered with an error status."""

    def __init__(self, url: str, status: int, text: str):
        super().__init__(f"HTTP {status}: {one_line(text)}")
        self.url, self.status = url, status


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def transient(err: BaseException) -> bool:
    """Worth retrying, maybe elsewhere: the server could not answer, rather than refused the request."""
    import httpx

    if isinstance(err, HTTPStatusError):
        return err.status in TRANSIENT_STATUS or err.status >= 500
    return isinstance(err, httpx.TransportError)  # connect/read/write errors, timeouts, dropped connections


@dataclass
class Server:
    url: str
    in_flight: int = 0
    failures: int = 0  # in a row
    rest_until: float = 0.0
    last_error: str = ""


class ServerPool:
    """The servers of one engine, sharing one httpx client; thread-safe."""

    def __init__(self, urls: list[str], client, *, retries: int = RETRIES, backoff_s: float = BACKOFF_S):
        self.servers = [Server(url) for url in urls]
        self.client = client
        self.attempts = len(urls) + retries
        self.backoff_s = backoff_s
        self._lock = threading.Lock()
        self._turn = itertools.count()

    def acquire(self) -> Server:
        with self._lock:
            now = time.monotonic()
            start = next(self._turn) % len(self.servers)
            ring = self.servers[start:] + self.servers[:start]
            # Servers awake first (rest left 0), fewest in flight; when all rest, the first to wake is probed.
            best = min(ring, key=lambda s: (max(s.rest_until - now, 0.0), s.in_flight))
            best.in_flight += 1
            return best

    def release(self, server: Server, err: BaseException | None = None) -> None:
        with self._lock:
            server.in_flight -= 1
            self._note(server, err)

    def mark_failed(self, server: Server, err: BaseException) -> None:
        with self._lock:
            self._note(server, err)

    def _note(self, server: Server, err: BaseException | None) -> None:
        if err is None:
            server.failures, server.rest_until = 0, 0.0
            return
        server.failures += 1
        server.last_error = str(err) if isinstance(err, HTTPStatusError) else f"{type(err).__name__}: {one_line(err)}"
        rest = min(REST_S * 2 ** (server.failures - 1), MAX_REST_S)
        server.rest_until = time.monotonic() + rest

    def post(self, path: str, body: dict, abort: threading.Event) -> dict:
        """POST `body` as JSON to `path` on the best server and return the JSON answer, retrying transient
        failures (on other servers when there are any). Raises UserError once no server can answer, and
        sets `abort` then, which stops the retries of every other request given the same event."""
        import tenacity

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(transient),
            stop=tenacity.stop_after_attempt(self.attempts) | tenacity.stop_when_event_set(abort),
            wait=tenacity.wait_exponential_jitter(multiplier=self.backoff_s, max=MAX_BACKOFF_S,
                                                  jitter=self.backoff_s),
            sleep=tenacity.sleep_using_event(abort),  # a failed run wakes every waiting request
            reraise=True)
        try:
            return retrying(self._post_once, path, body)
        except Exception as err:
            if transient(err):
                abort.set()
                raise UserError(self._none_answered()) from err
            if isinstance(err, HTTPStatusError):
                raise UserError(f"the model server at {err.url} refused a request: {err}") from err
            raise

    def _none_answered(self) -> str:
        return (f"no model server could answer (each request is tried {self.attempts} times): "
                f"{self.describe()}; check --server-url")

    def _post_once(self, path: str, body: dict) -> dict:
        server = self.acquire()
        try:
            resp = self.client.post(f"{server.url}{path}", json=body)
            if resp.status_code != 200:
                raise HTTPStatusError(server.url, resp.status_code, resp.text)
            data = resp.json()
        except BaseException as err:
            self.release(server, err if transient(err) else None)
            raise
        self.release(server)
        return data

    def describe(self) -> str:
        with self._lock:
            return "; ".join(f"{s.url} ({s.last_error or 'ok'})" for s in self.servers)
