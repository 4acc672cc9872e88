"""Model references: `tiny` (the embedded model, built on first use), a local checkpoint folder, or a hub name."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qsl

from r1cli.errors import UserError


def cache_dir() -> Path:
    return Path(os.environ.get("R1_CACHE", Path.home() / ".cache" / "r1cli"))


def tiny_spec(ref: str):
    from r1cli.models.tiny import TinySpec

    _, _, query = ref.partition("?")
    kwargs = {}
    for key, value in parse_qsl(query):
        if key not in TinySpec.__dataclass_fields__:
            valid = ", ".join(TinySpec.__dataclass_fields__)
            raise UserError(f"unknown tiny-model parameter '{key}' (valid: {valid})")
        try:
            kwargs[key] = int(value)
        except ValueError:
            raise UserError(f"tiny-model parameter '{key}' must be an integer, got {value!r}") from None
    return TinySpec(**kwargs)


def resolve(ref: str) -> str:
    """Turn a model reference into something `from_pretrained` and vLLM accept (a folder or a hub name)."""
    if ref == "tiny" or ref.startswith("tiny?"):
        from r1cli.models import tiny

        spec = tiny_spec(ref)
        target = cache_dir() / "tiny" / spec.key
        if not (target / "config.json").exists():
            tmp = target.with_name(target.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tiny.build(tmp, spec)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                tmp.rename(target)
            except OSError:  # another process built it first
                shutil.rmtree(tmp, ignore_errors=True)
        return str(target)
    path = Path(ref).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise UserError(f"{ref} is not a model folder: it has no config.json (point at a checkpoint folder)")
        return str(path.resolve())
    if ref.startswith((".", "/", "~")) or ref.count("/") > 1:
        raise UserError(f"model folder not found: {ref} (check the path)")
    return ref
