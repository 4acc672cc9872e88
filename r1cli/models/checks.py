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
# What a tokenizer ships as: a fast tokenizer, its config, or a vocabulary file of a slow one.
TOKENIZER_PATTERNS = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt",
                      "*.model", "*.tiktoken")


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


# Heads that score or label text and write none: such a checkpoint is no model to sample from or fine-tune as one.
CLASSIFIER_HEADS = ("ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering",
                    "ForMultipleChoice")


def model_folder(path: Path, label: str, *, trust_remote_code: bool = False, generative: bool = True) -> None:
    """Raise a one-line UserError naming the file when `path` is not a checkpoint folder, when it needs
    code of its own that the user did not trust, or (`generative`) when it is a classifier, such as a reward
    model, where a model that writes text is needed (it would load with a fresh, untrained LM head)."""
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
    model_type = values["model_type"]
    if not isinstance(model_type, str):
        raise UserError(f"{label}: {config} has model_type {model_type!r}, not a name such as 'llama'")
    architectures = values.get("architectures")
    if generative and isinstance(architectures, list) and architectures and all(
            isinstance(a, str) and a.endswith(CLASSIFIER_HEADS) for a in architectures):
        raise UserError(f"{label} is a classifier ({', '.join(architectures)}, e.g. a reward model), not a model "
                        "that writes text: give a causal language model checkpoint")
    if values.get("auto_map"):
        if not trust_remote_code and not _known_architecture(model_type):
            raise UserError(f"{label}: model_type '{model_type}' needs the Python code the model ships "
                            f"(auto_map in {config}); pass --trust-remote-code to run it, only if you trust it")
    elif not _known_architecture(model_type):
        raise UserError(f"{label}: {config} has model_type '{model_type}', an architecture the installed "
                        "transformers does not know (fix config.json, or install a transformers that has it)")
    else:
        _check_values(path, config, label)
    _check_weights(path, label)
    if not any(any(path.glob(pattern)) for pattern in TOKENIZER_PATTERNS):
        raise UserError(f"{label}: {path} has no tokenizer (no tokenizer.json, tokenizer_config.json or vocabulary "
                        "file); copy the base model's tokenizer files into it")


def _known_architecture(model_type: str) -> bool:
    """Whether transformers has this architecture itself (it then ignores a model's own code when not trusted).
    The mapping's module costs seconds to import, but a stage that checks a model folder loads transformers
    right after, so the check only moves that cost earlier (and spares a failed run the rest)."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    return model_type in CONFIG_MAPPING_NAMES


def _check_values(path: Path, config: Path, label: str) -> None:
    """Build the architecture's config class from config.json, which checks each value's type and range
    (`vocab_size: "abc"`), so that a bad value is reported here rather than after the run has started."""
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(str(path))
    except Exception as e:  # noqa: BLE001 - whatever the config class rejects, the file is what to fix
        reason = str(e).strip().splitlines()
        raise UserError(f"{label}: {config} has a bad value ({reason[0] if reason else type(e).__name__}"
                        f"{' ' + reason[1].strip() if len(reason) > 1 else ''})") from None


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
    for weights in sorted(path.glob("*.safetensors")):
        problem = _safetensors_problem(weights)
        if problem:
            raise UserError(f"{label}: {weights} is not a readable safetensors file ({problem})")


def _safetensors_problem(path: Path) -> str | None:
    """What is wrong with a safetensors file's frame: an 8-byte little-endian header length, then that many
    bytes of JSON, then the tensors (an empty or truncated file, a copy interrupted mid-way)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            return f"{size} bytes, too short for a header"
        length = int.from_bytes(head, "little")
        if length > size - 8:
            return "its header runs past the end of the file: truncated or not safetensors"
        try:
            json.loads(f.read(length))
        except (UnicodeDecodeError, ValueError):
            return "its header is not JSON"
    return None


def _checkpoint_hint(path: Path) -> str:
    """Point at the newest checkpoint-N inside a run folder that has no model at its root."""
    steps = [(int(p.name.split("-")[1]), p) for p in path.glob("checkpoint-*") if p.name.split("-")[1].isdigit()]
    if steps:
        return f" (did you mean {max(steps)[1]}?)"
    return " (point at a checkpoint folder)"
