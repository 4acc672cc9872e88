"""DAPO dynamic sampling: the constant-group mask and its use in the trainer's batch."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from r1cli.rl.dynamic import constant_groups, keep_mask


def test_constant_groups_are_exactly_the_zero_variance_ones():
    rewards = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 2.0, float("nan"), 2.0, 2.0])
    assert constant_groups(rewards, 4).tolist() == [False, True, True, True]
    assert keep_mask(rewards, 4).tolist() == [1.0] * 4 + [0.0] * 12


def test_dynamic_sampling_masks_only_constant_groups_in_the_trainer_batch():
    from r1cli.rl.trainer import trainer_class

    # 3 groups of G=2 over two reward functions (weights 1 and 0.5): group 0 mixed, 1 and 2 constant.
    per_func = torch.tensor([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    metrics = {"train": {"frac_groups_dropped": []}}
    fake = SimpleNamespace(
        _r1_rewards_per_func=per_func, reward_weights=torch.tensor([1.0, 0.5]), num_generations=2,
        accelerator=SimpleNamespace(process_index=0, gather=lambda t: t.unsqueeze(0)), _metrics=metrics)
    output = {"completion_ids": torch.ones(6, 3, dtype=torch.long),
              "completion_mask": torch.tensor([[1, 1, 0]] * 6)}
    trainer_class()._drop_constant_groups(fake, output)
    assert output["tool_mask"][:, 0].tolist() == [1, 1, 0, 0, 0, 0]
    assert int(output["num_items_in_batch"]) == 4  # only group 0's tokens count in the loss normaliser
    assert metrics["train"]["frac_groups_dropped"] == [pytest.approx(2 / 3)]
