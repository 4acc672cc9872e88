"""Is a local folder a loadable checkpoint? Checked from the files alone, before any model library loads it."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

from r1cli.errors import UserError

# Weights transformers and vLLM load. training_args.bin sits in every trainer checkpoint and is not weights.
WEIGHT_PATTERNS = ("*.safetensors", "*.bin")
NOT_WEIGHTS = {"training_args.bin"}
INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def looks_like_path(ref: str) -> bool:
    """True for references only a folder can mean: not a hub name, or `a/b` where folder `a` exists here."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if ref.startswith((".", "~")) or os.path.isabs(ref) or (os.altsep and os.altsep in ref):
        return True
    try:
        validate_repo_id(ref)
    except HFValidationError:
        return True
    return "/" in ref and Path(ref).parent.is_dir()


def did_you_mean(path: Path) -> str:
    """' (did you mean X?)' for the closest existing sibling folder of a missing `path`, else ''."""
    parent = path.parent
    try:
        siblings = [p.name for p in parent.iterdir() if p.is_dir()] if parent.is_dir() else []
    except OSError:
        return ""
    match = difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.6)
    return f" (did you mean {parent / match[0]}?)" if match else ""


def model_folder(path: Path, label: str, *, trust_remote_code: bool = False) -> None:
    """Raise a one-line UserError naming the file when `path` is not a checkpoint folder, or when it needs
    code of its own that the user did not trust."""
    if not path.is_dir():
        raise UserError(f"{label}: is a file, not a model folder (pass the folder that holds config.json)")
    config = path / "config.json"
    if not config.is_file():
        raise UserError(f"{label}: not a model folder, it has no config.json{_checkpoint_hint(path)}")
    try:
        values = json.loads(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        where = f" at line {e.lineno}" if isinstance(e, json.JSONDecodeError) else ""
        raise UserError(f"{label}: {config} is not valid JSON{where}") from None
    if not isinstance(values, dict) or not values.get("model_type"):
        raise UserError(f"{label}: {config} has no model_type (not a transformers model config)")
    if values.get("auto_map") and not trust_remote_code and not _known_architecture(values["model_type"]):
        raise UserError(f"{label}: model_type '{values['model_type']}' needs the Python code the model ships "
                        f"(auto_map in {config}); pass --trust-remote-code to run it, only if you trust it")
    _check_weights(path, label)


def _known_architecture(model_type: str) -> bool:
    """Whether transformers has this architecture itself (it then ignores a model's own code when not trusted).
    Imported only for the rare config with an auto_map: the mapping's module costs seconds to import."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    return model_type in CONFIG_MAPPING_NAMES


def _check_weights(path: Path, label: str) -> None:
    for name in INDEXES:
        index = path / name
        if index.is_file():
            try:
                shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
            except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
                raise UserError(f"{label}: {index} is not a valid shard index (no weight_map)") from None
            missing = [s for s in shards if not (path / s).is_file()]
            if missing:
                more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
                raise UserError(f"{label}: {path / missing[0]}{more} listed in {name} is missing")
            return
    if not any(f.name not in NOT_WEIGHTS for pattern in WEIGHT_PATTERNS for f in path.glob(pattern)):
        raise UserError(f"{label}: {path} has no weights (no *.safetensors or *.bin file)")


def _checkpoint_hint(path: Path) -> str:
    """Point at the newest checkpoint-N inside a run folder that has no model at its root."""
    steps = [(int(p.name.split("-")[1]), p) for p in path.glob("checkpoint-*") if p.name.split("-")[1].isdigit()]
    if steps:
        return f" (did you mean {max(steps)[1]}?)"
    return " (point at a checkpoint folder)"
