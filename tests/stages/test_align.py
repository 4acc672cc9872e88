"""r1 align: rows routed by kind, the mix checked against the reward models given, a real 2-step run on the
embedded task (per-kind metrics, the reward models held off until --preference-from-step). Its bad input is
in tests/test_bad_input.py's table."""

from __future__ import annotations

import pytest

from r1cli import config as cfgmod
from r1cli import data, runs, trainlog
from r1cli.errors import UserError
from r1cli.stages import align


def test_rows_are_routed_by_their_kind_column_or_their_answer():
    mix = align.load_mix(["task:arith?n=3", "task:general?n=2"], seed=0)
    assert list(mix["kind"]) == ["reasoning"] * 3 + ["general"] * 2
    assert mix["user_prompt"] == mix["prompt"] and mix["secret"][:3] == [None] * 3
    bare = data.load("task:general?n=2", require_answer=False).remove_columns(["kind", "answer"])
    assert list(align.route(bare.add_column("answer", ["", " "]), "x")["kind"]) == ["general", "general"]
    # a code problem has no answer: its tests make it a reasoning row
    tested = bare.add_column("answer", ["", ""]).add_column("tests", ['["assert f() == 1"]', ""])
    assert list(align.route(tested, "x")["kind"]) == ["reasoning", "general"]
    with pytest.raises(UserError, match="row 0: column 'kind' must be reasoning or general, got 'chat'"):
        align.route(bare.add_column("kind", ["chat", "general"]), "x")


def test_the_language_reward_judges_every_kind_the_other_rules_reasoning_rows_only():
    rules = {name: fn for name, fn, _ in align.rule_rewards(["accuracy", "language_consistency"])}
    french = "<think>D'abord on ajoute les deux nombres, puis on multiplie le résultat.</think><answer>8</answer>"
    english = "<think>First we add the two numbers, then we multiply the result.</think><answer>8</answer>"
    rows = dict(completions=[english, french], kind=["reasoning", "general"], answer=["8", ""],
                user_prompt=["What is 3+5?", "Écrivez un poème sur la mer et les bateaux."])
    assert rules["language_consistency"](prompts=["p", "p"], **rows) == [1.0, 1.0]
    assert rules["accuracy"](prompts=["p", "p"], **rows) == [1.0, None]


def test_the_mix_must_match_the_reward_models_given():
    with pytest.raises(UserError, match="2 general row.*no reward model judges them"):
        align.check_mix(["reasoning", "general", "general"], [], "d")
    with pytest.raises(UserError, match="--helpfulness-rm given but --dataset d has no general rows"):
        align.check_mix(["reasoning"], [("helpfulness", None, 1.0)], "d")
    align.check_mix(["reasoning"], [], "d")


def test_two_step_run_logs_each_kind_and_holds_the_reward_models_off(tmp_path, tiny_reward_model):
    out = tmp_path / "align"
    cfg = cfgmod.resolve(align.Config, {}, dict(
        model="tiny", dataset=["task:arith?n=8:1,task:general?n=8:1"], output=str(out), template="plain",
        helpfulness_rm=tiny_reward_model, harmlessness_rm=f"{tiny_reward_model}:0.5", preference_from_step=2,
        group_size=4, per_device_train_batch_size=16, max_completion_length=12, max_steps=2, save_steps=0,
        learning_rate=1e-4, eval_every=2, eval_dataset="task:arith?n=4&split=test"))
    metrics = align.run(cfg)
    records = trainlog.read(out / "metrics.jsonl")
    steps = {r["step"]: r for r in records if "loss" in r}
    assert sorted(steps) == [1, 2]
    for key in ("general/rewards/helpfulness_reward/mean", "general/rewards/harmlessness_reward/mean"):
        assert key not in steps[1] and isinstance(steps[2][key], float), key
    assert any("reasoning/rewards/accuracy_reward/mean" in r for r in steps.values())
    assert [r["step"] for r in records if "eval/pass@1" in r] == [0, 2]
    assert {"helpfulness_last10", "harmlessness_last10", "accuracy_last10"} <= set(metrics)
    manifest = runs.read_manifest(out)
    assert manifest["stage"] == "align" and [i["kind"] for i in manifest["inputs"]].count("reward_model") == 2
    # each spec of the mixture is an input of its own, without its weight
    assert [i["spec"] for i in manifest["inputs"] if i["kind"] == "dataset"] == ["task:arith?n=8", "task:general?n=8"]
    assert (out / "curves.png").stat().st_size > 0
    card = (out / "README.md").read_text()  # names the published folder and the base, not DIR.partial / None
    assert f"# Model Card for {out.name}\n" in card and f'model="{out}"' in card
    assert "the local model `tiny`" in card and ".partial" not in card and "None" not in card
