"""r1 coldstart --review DIR: the human pass over a run's review.jsonl as a page in the browser.

The server listens on 127.0.0.1 only (a random port) and answers only requests that carry the random token
of the URL it prints. The page (page.html, page.css, page.js beside this module; no network, no build step)
shows each sample's prompt, reasoning and summary as text, and the re-check `--from-review` applies to it
(review.checker: the verifier's verdict, then the layout, length and readability filters).

Every change is written to review.jsonl at once (whole file to a temporary, then os.replace, under a lock
shared with any other server on the same file), so nothing waits in the page. A row's version is a hash of
its content: a save names the version it was made on and is refused (HTTP 409) when the row changed since,
in another tab, another server or an editor. The page adds two keys to a row, which --from-review ignores:
`reviewed` (accepted or rejected here) and `original` (the reasoning and summary before the first edit).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from r1cli import log
from r1cli.stages.coldstart import review

ASSETS = {"/page.js": "text/javascript", "/page.css": "text/css"}
EDITABLE = ("reasoning", "summary")


class Stale(Exception):
    """A save made on an older version of its row; carries the row as it is now."""


def version(row: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:16]


class Store:
    """review.jsonl, read and written whole under a lock; each row with its re-check, cached by content."""

    def __init__(self, path: Path, verdict):
        from filelock import FileLock

        self.path, self.verdict = path, verdict
        self.file_lock = FileLock(str(path) + ".lock")  # other servers (processes) on the same file
        self.lock = threading.Lock()  # this server's threads (and the reward pool is not thread-safe)
        self.checked: dict[tuple[str, str, str], str] = {}

    def _read(self) -> list[dict[str, Any]]:
        return review.read(str(self.path), "--review")

    def _view(self, row: dict[str, Any]) -> dict[str, Any]:
        key = (row["id"], row["reasoning"], row["summary"])
        if key not in self.checked:  # judged as if accepted: what --from-review would say of it
            self.checked[key] = self.verdict({**row, "accept": True})
        original = row.get("original") or {}
        return {"id": row["id"], "prompt": row["prompt"], "answer": row["answer"], "reasoning": row["reasoning"],
                "summary": row["summary"], "accept": row["accept"], "reviewed": bool(row.get("reviewed")),
                "edited": any(k in original and original[k] != row[k] for k in EDITABLE),
                "original": original, "check": self.checked[key], "version": version(row)}

    def rows(self) -> list[dict[str, Any]]:
        with self.lock, self.file_lock:
            return [self._view(r) for r in self._read()]

    def save(self, row_id: str, seen: str, change: dict[str, Any]) -> dict[str, Any]:
        """Apply `change` (accept, reasoning, summary) to row `row_id` if it is still at version `seen`."""
        from r1cli import data

        with self.lock, self.file_lock:
            rows = self._read()
            row = next((r for r in rows if r["id"] == row_id), None)
            if row is None:
                raise KeyError(row_id)
            if version(row) != seen:
                raise Stale(self._view(row))
            if "accept" in change:
                row["accept"], row["reviewed"] = change["accept"], True
            for k in EDITABLE:
                if k in change and change[k] != row[k]:
                    row.setdefault("original", {}).setdefault(k, row[k])
                    row[k] = change[k]
            data.write_jsonl(rows, self.path)  # a temporary, then os.replace: a reader sees old or new
            return self._view(row)


def _change(body: Any) -> dict[str, Any]:
    """The fields of a save request, checked (ValueError names the bad one)."""
    if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not isinstance(body.get("version"), str):
        raise ValueError("a save is a JSON object with 'id' and 'version' strings")
    change = {k: body[k] for k in ("accept", *EDITABLE) if k in body}
    if "accept" in change and not isinstance(change["accept"], bool):
        raise ValueError("'accept' must be true or false")
    if any(not isinstance(change[k], str) for k in EDITABLE if k in change):
        raise ValueError("'reasoning' and 'summary' must be strings")
    return change


def handler(store: Store, token: str, title: str):
    template = resources.files(__package__).joinpath("page.html").read_text()
    template = template.replace("__TOKEN__", token).replace("__TITLE__", title)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            log.debug(format % args)

        def _send(self, status: int, body: bytes | str, kind: str = "application/json") -> None:
            body = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            # nothing but this server's own files: no inline script, no other origin
            self.send_header("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, value: Any) -> None:
            self._send(status, json.dumps(value, ensure_ascii=False))

        def _path(self) -> str | None:
            """The request's path, or None (and 403 sent) without the token."""
            url = urlsplit(self.path)
            given = parse_qs(url.query).get("token", [""])[0]
            if not hmac.compare_digest(given.encode(), token.encode()):
                self._json(HTTPStatus.FORBIDDEN, {"error": "no or wrong token: open the URL r1 coldstart printed"})
                return None
            return url.path

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self._path()
            if path is None:
                return
            if path == "/":
                self._page()
            elif path in ASSETS:
                self._send(HTTPStatus.OK, resources.files(__package__).joinpath(path[1:]).read_bytes(), ASSETS[path])
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

        def _page(self):
            """The page with the rows as they are now, as JSON in the page itself (read, not run: every '<'
            escaped, so no text can close the element), drawn before the page's load event."""
            from r1cli.errors import UserError

            try:
                rows = json.dumps(store.rows(), ensure_ascii=False).replace("<", "\\u003c")
            except UserError as e:  # the file was broken by hand while served
                self._send(HTTPStatus.CONFLICT, f"{e}\n", "text/plain")
                return
            self._send(HTTPStatus.OK, template.replace("__ROWS__", rows), "text/html")

        def do_POST(self):  # noqa: N802 - http.server's name
            from r1cli.errors import UserError

            path = self._path()
            if path is None:
                return
            if path != "/save":
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                change = _change(body)
                self._json(HTTPStatus.OK, store.save(body["id"], body["version"], change))
            except (ValueError, UnicodeDecodeError) as e:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
            except KeyError:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no row {body['id']!r} in {store.path}"})
            except Stale as e:
                self._json(HTTPStatus.CONFLICT, {"error": "changed since you loaded it (another tab or editor)",
                                                 "row": e.args[0]})
            except UserError as e:
                self._json(HTTPStatus.CONFLICT, {"error": str(e)})

    return Handler


def open_server(cfg) -> tuple[ThreadingHTTPServer, str, Store]:
    """The review server of cfg.review (not yet serving) and its URL; every row is checked first."""
    from r1cli.errors import UserError

    folder = Path(cfg.review).expanduser()
    path = folder / review.REVIEW if folder.is_dir() else folder
    if not path.is_file():
        raise UserError(f"--review {cfg.review}: no {review.REVIEW} there (the folder of an r1 coldstart run)")
    count = len(review.read(str(path), "--review"))  # a bad file is one error before anything starts
    store = Store(path, review.checker(cfg))
    log.info(f"checking {count:,} samples")
    store.rows()
    token = secrets.token_urlsafe(24)
    title = html.escape(f"r1 coldstart review: {path}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(store, token, title))
    server.daemon_threads = True
    return server, f"http://127.0.0.1:{server.server_address[1]}/?token={token}", store


def main(cfg) -> dict[str, Any]:
    """Serve until interrupted; returns the review counts."""
    server, url, store = open_server(cfg)
    log.console.print("Review the samples at this address (Ctrl+C stops the server; every change is saved as made):")
    print(url, flush=True)  # stdout, one line: to copy, or for a script to read
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    rows = store.rows()
    counts = {"total": len(rows), "reviewed": sum(r["reviewed"] for r in rows),
              "accepted": sum(r["reviewed"] and r["accept"] for r in rows),
              "rejected": sum(r["reviewed"] and not r["accept"] for r in rows), "edited": sum(r["edited"] for r in rows)}
    log.info(f"{store.path}: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    return counts
