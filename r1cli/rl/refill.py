"""Dynamic sampling with refill (`--dynamic-sampling refill`, DAPO's over-sampling; TRL has none, trl#3708).

`mask` (r1cli.rl.dynamic) only takes constant groups out of the loss, so a batch where most prompts are solved
or hopeless trains on a handful. `refill` generates for more prompts, round after round, until the rollout
batch holds only groups whose rewards differ, up to --max-generation-rounds rounds; a batch still short after the
last round is topped up with constant groups, masked out of the loss as `mask` does. Every round is a call of
TRL's own generate-and-score, so vLLM, the reward workers and the advantages (per group) are TRL's; the rounds
are collective (vLLM and the reward gather span every process), so every process runs as many rounds as the one
that needs most. The helpers here cut and join TRL's batch dicts: rows are completions, prompt tensors are
left-padded and completion tensors right-padded, so joining pads each on its own side.
"""

from __future__ import annotations

import torch

# TRL's per-row tensors padded on the left (the prompt); the other 2-D ones hold completion tokens.
LEFT_PADDED = ("prompt_ids", "prompt_mask")


def take(batch: dict, rows: torch.Tensor) -> dict:
    """The rows `rows` (indices) of every per-row tensor of a TRL batch of `len(batch['completion_ids'])` rows."""
    n = batch["completion_ids"].size(0)
    return {k: v[rows.to(v.device)] for k, v in batch.items() if isinstance(v, torch.Tensor) and v.dim() and
            v.size(0) == n}


def _pad(t: torch.Tensor, width: int, left: bool) -> torch.Tensor:
    if t.dim() < 2 or t.size(1) == width:
        return t
    pad = t.new_zeros((t.size(0), width - t.size(1), *t.shape[2:]))
    return torch.cat([pad, t] if left else [t, pad], dim=1)


def concat(parts: list[dict]) -> dict:
    """Join TRL batches row-wise, padding each 2-D tensor to the widest on its own side (masks pad with 0)."""
    out = {}
    for key in parts[0]:
        tensors = [p[key] for p in parts]
        width = max(t.size(1) for t in tensors) if tensors[0].dim() >= 2 else 0
        out[key] = torch.cat([_pad(t, width, key in LEFT_PADDED) for t in tensors], dim=0)
    return out


def group_rows(groups: torch.Tensor, group_size: int) -> torch.Tensor:
    """Row indices of the groups `groups` (consecutive rows of `group_size`, TRL's layout)."""
    return (groups.unsqueeze(1) * group_size + torch.arange(group_size)).reshape(-1)
