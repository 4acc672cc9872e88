"""Resumable generation: the prompts are cut into shards, each written to `shard_dir` as soon as it is done.

A killed run restarted with `resume=True` reads the finished shards back and redoes at most the shard that was
in flight. Seeds derive from each prompt's global index, so the output equals an uninterrupted run's.

Layout of `shard_dir`: `meta.json` (what is being generated: model, sampling, prompt fingerprint) and
`shard-00000.jsonl`, ... with one line per prompt: `{"index": i, "completions": [{text, num_tokens,
finish_reason}, ...]}`. Shard files are written to a temporary name and renamed, so none is ever partial.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from r1cli import log
from r1cli.errors import UserError
from r1cli.generation.base import Completion, Engine, Progress, Prompt, Sampling

DEFAULT_SHARD_SIZE = 256
# (global index of the shard's first prompt, its completions); called in order for every shard
OnShard = Callable[[int, list[list[Completion]]], None]


def fingerprint(prompts: Sequence[Prompt]) -> str:
    return hashlib.sha256(json.dumps(list(prompts), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def shard_path(shard_dir: Path, k: int) -> Path:
    return shard_dir / f"shard-{k:05d}.jsonl"


def write_shard(path: Path, first: int, results: list[list[Completion]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for i, comps in enumerate(results):
            f.write(json.dumps({"index": first + i, "completions": [c.to_dict() for c in comps]},
                               ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_shard(path: Path, first: int, count: int, n: int) -> list[list[Completion]] | None:
    """The shard's results, or None when the file does not hold exactly what is expected."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if [r["index"] for r in rows] != list(range(first, first + count)):
            return None
        out = [[Completion.from_dict(c) for c in r["completions"]] for r in rows]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return out if all(len(c) == n for c in out) else None


def prepare_dir(shard_dir: Path, meta: dict, resume: bool) -> None:
    shard_dir.mkdir(parents=True, exist_ok=True)
    meta_path = shard_dir / "meta.json"
    if resume and meta_path.exists():
        old = json.loads(meta_path.read_text())
        diff = sorted(k for k in meta if old.get(k) != meta[k])
        if diff:
            raise UserError(f"cannot resume in {shard_dir}: the run there differs in {', '.join(diff)} "
                            "(use another folder, or run without resume to start over)")
        return
    stale = sorted(shard_dir.glob("shard-*.jsonl"))
    if stale:
        log.warn("starting over in %s: removing %d shard(s) of an earlier run", shard_dir, len(stale))
        for p in stale:
            p.unlink()
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")


def generate(model_or_engine: str | Engine, prompts: Sequence[Prompt], sampling: Sampling, *,
             engine: str = "auto", shard_dir: str | Path | None = None, shard_size: int = DEFAULT_SHARD_SIZE,
             resume: bool = False, progress_desc: str | None = "generating", on_shard: OnShard | None = None,
             **engine_kwargs) -> list[list[Completion]]:
    """`sampling.n` completions for every prompt, generated shard by shard (see the module docstring).

    `model_or_engine` is an open Engine (reused, left open) or a model reference (an engine is opened with
    `engine` and `engine_kwargs`, and closed at the end). `on_shard(first, results)` is called for every
    shard in order as soon as it is done (or read back on resume), before the next one is generated, so a
    caller can hand finished work to other threads or processes while sampling goes on."""
    from r1cli.generation import open_engine

    prompts = list(prompts)
    if shard_size < 1:
        raise UserError(f"shard size must be at least 1, got {shard_size}")
    owned = not isinstance(model_or_engine, Engine)
    eng = open_engine(model_or_engine, engine, **engine_kwargs) if owned else model_or_engine
    try:
        return _generate(eng, prompts, sampling, Path(shard_dir) if shard_dir else None, shard_size, resume,
                         progress_desc, on_shard)
    finally:
        if owned:
            eng.close()


def _generate(eng: Engine, prompts: list, sampling: Sampling, shard_dir: Path | None, shard_size: int,
              resume: bool, progress_desc: str | None, on_shard: OnShard | None) -> list[list[Completion]]:
    starts = list(range(0, len(prompts), shard_size))
    results: list[list[Completion]] = []
    done_shards: dict[int, list[list[Completion]]] = {}
    if shard_dir is not None:
        meta = {"model": eng.model_path, "sampling": sampling.to_dict(), "num_prompts": len(prompts),
                "shard_size": shard_size, "prompts_sha256": fingerprint(prompts)}
        prepare_dir(shard_dir, meta, resume)
        if resume:
            for k, first in enumerate(starts):
                count = min(shard_size, len(prompts) - first)
                got = read_shard(shard_path(shard_dir, k), first, count, sampling.n)
                if got is not None:
                    done_shards[k] = got
            if done_shards:
                log.info("resuming: %d of %d shard(s) already done in %s", len(done_shards), len(starts),
                         shard_dir)
    already = sum(len(v) for v in done_shards.values())
    with Progress(progress_desc, len(prompts), done=already) as bar:
        for k, first in enumerate(starts):
            if k in done_shards:
                out = done_shards[k]
            else:
                chunk = prompts[first:first + shard_size]
                out = eng.generate(chunk, sampling, first_index=first, on_done=lambda _pos, comps: bar.add(1, comps),
                                   on_tokens=bar.generated)
                if shard_dir is not None:
                    write_shard(shard_path(shard_dir, k), first, out)
            if on_shard is not None:
                on_shard(first, out)
            results.extend(out)
    return results
