"""Fixtures shared by the stage tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def sft_arith(tmp_path_factory, tiny_model):
    """The tiny model fine-tuned by `r1 sft` on task:arith (350 steps, ~45 s on 2 cores), once per session:
    a weak but real policy for checks that need completions with answers. Operands up to 5 keep the table
    small enough for 350 steps to generalise to unseen test problems (`test_spec`)."""
    from r1cli import config
    from r1cli.stages import sft

    out = tmp_path_factory.mktemp("sft") / "arith"
    cfg = config.resolve(sft.Config, {}, dict(
        model="tiny", dataset=["task:arith?n=700&max=5"], output=str(out), learning_rate=3e-3,
        per_device_train_batch_size=16, max_steps=350, warmup_steps=0.02, max_length=128, save_steps=100, seed=0))
    metrics = sft.run(cfg)
    return SimpleNamespace(path=out, metrics=metrics, test_spec="task:arith?n=50&split=test&max=5")
