"""DAPO dynamic sampling on top of TRL: groups whose G rewards are all equal carry no advantage signal.

DAPO over-samples and keeps only groups with mixed rewards. TRL 1.16 has no such option, so the stage
filters instead: `GRPOTrainer._generate_and_score_completions` returns the scored batch, and the subclass
in r1cli.rl.trainer multiplies a keep-mask into the loss mask (TRL's `tool_mask` slot, which TRL
multiplies into `completion_mask` in the loss only) for every completion of a constant group. With the
token-normalised losses (`dapo`, `bnpo`) the dropped groups then leave the loss, its normaliser, the KL
term and the clip statistics entirely; with `grpo`/`dr_grpo` they add zero but the batch divisor stays.
The batch is not refilled with fresh groups (DAPO's over-sampling), so a step trains on fewer groups.
"""

from __future__ import annotations

import torch


def constant_groups(rewards: torch.Tensor, group_size: int, atol: float = 1e-6) -> torch.Tensor:
    """One bool per group: True when all of the group's (weighted, summed) rewards are equal.

    `rewards` is (B,) with B = groups * group_size, consecutive rows forming a group (TRL's layout).
    NaN rewards (completions no reward function could score) are ignored; a group with fewer than two
    scored completions counts as constant.
    """
    grouped = rewards.view(-1, group_size)
    scored = ~torch.isnan(grouped)
    hi = torch.where(scored, grouped, torch.full_like(grouped, -torch.inf)).max(dim=1).values
    lo = torch.where(scored, grouped, torch.full_like(grouped, torch.inf)).min(dim=1).values
    few = scored.sum(dim=1) < 2
    return few | ((hi - lo).abs() <= atol)


def keep_mask(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """One float per completion: 0.0 for completions of constant groups, 1.0 for the others."""
    drop = constant_groups(rewards, group_size).repeat_interleave(group_size)
    return (~drop).float()
