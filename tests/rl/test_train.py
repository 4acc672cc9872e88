"""The RL training body: option checks, --resume of a finished run, and the figure and summary that follow the reward specs."""

from __future__ import annotations

import pytest

from r1cli import config as cfgmod
from r1cli import rewards
from r1cli.stages import grpo


def test_bad_batch_shape_is_a_user_error():
    from r1cli.errors import UserError
    from r1cli.rl.train import check

    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "m", "dataset": "d", "output": "o", "group_size": 4,
                                           "per_device_train_batch_size": 6})
    with pytest.raises(UserError, match="multiple of --group-size"):
        check(cfg)


def test_resume_of_a_finished_run_without_checkpoints_is_refused_untouched(tmp_path):
    """Training would restart from --model and replace the finished model: the run is refused instead."""
    from r1cli.errors import UserError
    from r1cli.rl.train import _reopen_finished

    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "m", "dataset": "d", "output": "o"})
    final = tmp_path / "grpo"
    final.mkdir()
    (final / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(UserError, match="without checkpoints .*--keep-checkpoints.*--model"):
        _reopen_finished(final, "grpo", cfg)
    assert [p.name for p in tmp_path.iterdir()] == ["grpo"]
    (final / "checkpoint-3").mkdir()
    (final / "checkpoint-3" / "trainer_state.json").write_text("{}")
    _reopen_finished(final, "grpo", cfg)
    assert [p.name for p in tmp_path.iterdir()] == ["grpo.partial"]


def test_resume_of_another_stages_or_options_finished_run_is_refused_untouched(tmp_path):
    """align --resume on a finished sft run that kept checkpoints must not turn it into an align run."""
    import dataclasses
    import json

    from r1cli.errors import UserError
    from r1cli.rl.train import _reopen_finished

    cfg = cfgmod.resolve(grpo.Config, {}, {"model": "m", "dataset": "d", "output": "o"})
    final = tmp_path / "run"
    (final / "checkpoint-3").mkdir(parents=True)
    (final / "checkpoint-3" / "trainer_state.json").write_text("{}")
    manifest = {"stage": "sft", "options": dataclasses.asdict(cfg)}
    (final / "r1_manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="is a run of r1 sft, not of r1 grpo"):
        _reopen_finished(final, "grpo", cfg)
    (final / "r1_manifest.json").write_text(json.dumps({**manifest, "stage": "grpo"}))
    other = dataclasses.replace(cfg, model="other", max_steps=50)  # a longer run is fine, another model not
    with pytest.raises(UserError, match="other options \\(--model 'm' -> 'other'\\)"):
        _reopen_finished(final, "grpo", other)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_plot_and_summary_keys_follow_the_reward_specs():
    from r1cli.rl.train import panels, summarize
    from r1cli.rl.trainer import accuracy_key, reward_keys

    specs = rewards.parse_specs(["countdown", "format:0.5"])
    assert reward_keys(specs) == [("countdown", "rewards/countdown_reward/mean"),
                                  ("format", "rewards/format_reward/mean")]
    assert accuracy_key(specs) == "rewards/countdown_reward/mean"
    cosine = rewards.parse_specs(["cosine(max_len=50)"])
    assert accuracy_key(cosine) is None
    drawn = [[c.key for c in p.curves] for p in panels(cosine)]
    assert drawn == [["eval/pass@1"], ["rewards/cosine_reward/mean"], ["completions/mean_length"]]
    assert "accuracy" in [c.key for c in panels(specs)[0].curves]

    records = [{"step": s, "reward": 0.1 * s, "rewards/cosine_reward/mean": 0.1 * s} for s in range(1, 13)]
    summary = summarize(records + [{"step": 12, "eval/pass@1": 0.5}], cosine, 12, None, "why")
    tail = sum(0.1 * s for s in range(3, 13)) / 10
    assert summary == {"steps": 12, "rollouts": "why", "reward_last10": round(tail, 4),
                       "cosine_last10": round(tail, 4)}


def test_keep_best_that_publishes_the_input_model_says_so(tmp_path, caplog):
    from types import SimpleNamespace

    from r1cli import log
    from r1cli.rl.train import publish_best, summarize

    log.info("")  # sets up r1cli's handler; the test listens beside it (r1cli's logger does not propagate)
    log.logger.addHandler(caplog.handler)
    for best_step, published in ((0, True), (8, False)):
        checked = SimpleNamespace(history=[(0, 0.76), (8, 0.7 if published else 0.8)], best=(best_step, 0.76))
        summary = summarize([], rewards.parse_specs(["accuracy"]), 8, checked, "why")
        assert summary["best_step"] == best_step and summary["published_input"] is published
        run = tmp_path / f"run{best_step}"
        (run / "best").mkdir(parents=True)
        (run / "best" / "model.safetensors").write_text("step-0 weights")
        (run / "model.safetensors").write_text("last weights")
        caplog.clear()
        publish_best(run, summary)
        assert (run / "model.safetensors").read_text() == "step-0 weights"
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert warned == ([f"--keep-best: no step beat the input model's held-out pass@1 (0.760 at step 0); "
                           f"{run.name} holds the input weights unchanged"] if published else [])
    log.logger.removeHandler(caplog.handler)
