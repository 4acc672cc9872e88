"""`FOLDER?layers=N`: a checkpoint with N of its decoder layers, evenly spaced, first and last kept.

A smaller student that shares its teacher's tokenizer, chat template and embeddings, the way DistilBERT was
initialised (every other layer of its teacher): what `r1 distill` needs when the only real weights at hand are
the teacher's own (SmolLM2-135M has 30 layers; `?layers=10` keeps 0, 3, 6, ... 29, about 64M parameters). It is
built once into the model cache (r1cli.models.built_once), keyed by the folder's files, and is an ordinary
folder from there.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from r1cli.errors import UserError

KEY = "layers"


def parse(query: str, label: str) -> int:
    """N of `layers=N`, the one key a checkpoint folder's reference takes."""
    key, _, value = query.partition("=")
    if key != KEY or not value.isdigit() or int(value) < 1:
        raise UserError(f"{label}: a checkpoint folder takes one key, layers=N (keep N of its decoder layers, "
                        f"N >= 1), not ?{query}")
    return int(value)


def kept(total: int, keep: int) -> list[int]:
    """`keep` layer indices of `total`, evenly spaced, the first and the last among them."""
    if keep == 1:
        return [0]
    return [round(i * (total - 1) / (keep - 1)) for i in range(keep)]


def kept_layers(folder: Path, keep: int, label: str) -> list[int]:
    """The indices of the `keep` layers of `folder`'s model, refused in one line unless it has more."""
    import json

    total = json.loads((folder / "config.json").read_text()).get("num_hidden_layers")
    if not isinstance(total, int) or keep >= total:
        raise UserError(f"{label}: layers={keep} must be fewer than the model's {total} decoder layers")
    return kept(total, keep)


def key(folder: Path, keep: int) -> str:
    """The cache folder's name: the model's folder, N, and a stamp of its files (a retrained model is rebuilt)."""
    stamp = hashlib.sha256(str(folder).encode())
    for f in sorted(folder.iterdir()):
        if f.is_file():
            st = f.stat()
            stamp.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return f"{folder.name}-{keep}-{stamp.hexdigest()[:12]}"


def write(folder: Path, layers: list[int], out: Path) -> None:
    """`folder`'s model with only `layers` (indices into its stack), and its tokenizer files, into `out`."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    blocks = model.model.layers
    model.model.layers = torch.nn.ModuleList(blocks[i] for i in layers)
    for position, block in enumerate(model.model.layers):
        block.self_attn.layer_idx = position  # the KV cache is indexed by position in the stack
    model.config.num_hidden_layers = len(layers)
    if getattr(model.config, "layer_types", None):  # per-layer attention kinds (sliding/full) follow their layer
        model.config.layer_types = [model.config.layer_types[i] for i in layers]
    model.save_pretrained(out)
    for f in folder.iterdir():  # tokenizer, chat template, generation config: the teacher's own
        if f.is_file() and not f.name.startswith(("model", "pytorch_model", "config.json")) and \
                f.suffix in (".json", ".txt", ".model", ".jinja", ".tiktoken"):
            shutil.copy2(f, out / f.name)
