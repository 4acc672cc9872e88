"""Dynamic sampling with refill: cutting and joining TRL's batch dicts, and a real run of the tiny model whose
every optimizer step trains on groups whose rewards differ."""

from __future__ import annotations

import torch

from r1cli import config as cfgmod
from r1cli.rl import refill


def test_take_and_concat_keep_rows_aligned_and_pad_each_side():
    a = {"prompt_ids": torch.tensor([[0, 5], [6, 7]]), "prompt_mask": torch.tensor([[0, 1], [1, 1]]),
         "completion_ids": torch.tensor([[1, 2, 3], [4, 0, 0]]), "completion_mask": torch.tensor([[1, 1, 1], [1, 0, 0]]),
         "advantages": torch.tensor([0.5, -0.5]), "num_items_in_batch": torch.tensor(4)}
    b = {"prompt_ids": torch.tensor([[1, 2, 3]]), "prompt_mask": torch.tensor([[1, 1, 1]]),
         "completion_ids": torch.tensor([[9]]), "completion_mask": torch.tensor([[1]]),
         "advantages": torch.tensor([1.0]), "num_items_in_batch": torch.tensor(1)}
    picked = refill.take(a, torch.tensor([1]))
    assert "num_items_in_batch" not in picked and picked["completion_ids"].tolist() == [[4, 0, 0]]
    joined = refill.concat([picked, refill.take(b, torch.tensor([0]))])
    assert joined["prompt_ids"].tolist() == [[0, 6, 7], [1, 2, 3]]  # prompts padded on the left
    assert joined["prompt_mask"].tolist() == [[0, 1, 1], [1, 1, 1]]
    assert joined["completion_ids"].tolist() == [[4, 0, 0], [9, 0, 0]]  # completions on the right
    assert joined["completion_mask"].tolist() == [[1, 0, 0], [1, 0, 0]]
    assert joined["advantages"].tolist() == [-0.5, 1.0]
    assert refill.group_rows(torch.tensor([0, 2]), 3).tolist() == [0, 1, 2, 6, 7, 8]


def test_refill_trains_every_step_on_informative_groups_only(tmp_path):
    """A reward that is 1 for about a quarter of the completions leaves ~1 group in 3 constant (G=4): refill
    generates more rounds until the batch holds none; masking leaves them in the batch, out of the loss."""
    from r1cli import trainlog
    from r1cli.stages import grpo

    (tmp_path / "quarter.py").write_text("def quarter(completions, **kwargs):\n"
                                         "    return [float(len(str(c)) % 4 == 0) for c in completions]\n")
    runs = {}
    for mode in ("refill", "mask"):
        flags = {"model": "tiny", "dataset": "task:arith?n=64", "output": str(tmp_path / mode), "group_size": 4,
                 "per_device_train_batch_size": 16, "max_completion_length": 12, "template": "plain",
                 "learning_rate": 1e-4, "save_steps": 0, "reward": [f"{tmp_path / 'quarter.py'}:quarter"],
                 "dynamic_sampling": mode, "max_generation_rounds": 6, "max_steps": 4}
        grpo.run(cfgmod.resolve(grpo.Config, {}, flags))
        runs[mode] = [r for r in trainlog.read(tmp_path / mode / "metrics.jsonl") if "loss" in r]
    refilled, masked = runs["refill"], runs["mask"]
    assert len(refilled) == 4 and all(r["frac_groups_dropped"] == 0 for r in refilled)
    assert sum(r["refill/groups_dropped"] for r in refilled) > 0 and max(r["refill/rounds"] for r in refilled) > 1
    assert any(r["frac_groups_dropped"] > 0 for r in masked) and "refill/rounds" not in masked[0]
