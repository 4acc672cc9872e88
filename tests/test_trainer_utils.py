"""The one resume prologue of every trainer: --resume continues from the newest checkpoint and drops the
metrics logged past it; a fresh start clears metrics.jsonl."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

from r1cli import trainlog
from r1cli.trainer_utils import resume_point


def _checkpoint(folder, step):
    (folder / f"checkpoint-{step}").mkdir()
    (folder / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")


def _metrics(path, steps):
    path.write_text("".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in steps))


def test_resume_continues_from_the_newest_checkpoint_and_trims_later_metrics(tmp_path):
    for step in (2, 4):
        _checkpoint(tmp_path, step)
    (tmp_path / "checkpoint-6").mkdir()  # died while saving: no trainer state, not resumable
    metrics = tmp_path / "metrics.jsonl"
    _metrics(metrics, range(1, 7))
    assert resume_point(SimpleNamespace(resume=True), tmp_path, metrics) == tmp_path / "checkpoint-4"
    assert [r["step"] for r in trainlog.read(metrics)] == [1, 2, 3, 4]


def test_a_fresh_start_or_nothing_to_resume_clears_the_metrics(tmp_path):
    _checkpoint(tmp_path, 2)
    metrics = tmp_path / "metrics.jsonl"
    _metrics(metrics, range(1, 4))
    assert resume_point(SimpleNamespace(resume=False), tmp_path, metrics) is None and not metrics.exists()
    shutil.rmtree(tmp_path / "checkpoint-2")
    _metrics(metrics, range(1, 4))
    assert resume_point(SimpleNamespace(resume=True), tmp_path, metrics) is None and not metrics.exists()
