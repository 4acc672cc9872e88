"""r1 reward-model: a real run on the embedded pairs reaches its held-out pairwise accuracy, the checkpoint loads
as a sequence-classification model and agrees with the recorded metric; pairs without a side are refused."""

from __future__ import annotations

import pytest
import torch

from r1cli import config as cfgmod
from r1cli import runs
from r1cli.errors import UserError
from r1cli.stages import reward_model

SPEC = "task:prefs?aspect=harmlessness&n=300"


def test_a_run_on_the_embedded_pairs_records_its_held_out_pairwise_accuracy(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path / "rm"
    cfg = cfgmod.resolve(reward_model.Config, {}, dict(
        model="tiny", dataset=SPEC, output=str(out), learning_rate=1e-3, max_steps=40, per_device_train_batch_size=16,
        save_steps=0, eval_fraction=0.2))
    metrics = reward_model.run(cfg)
    manifest = runs.read_manifest(out)
    assert manifest["stage"] == "reward-model" and manifest["metrics"] == metrics
    assert metrics["pairwise_accuracy"] >= 0.9 and metrics["eval_pairs"] == 60 and metrics["train_pairs"] == 240
    assert metrics["with_prompt"] is False and metrics["conversational"] is False
    assert (out / "curves.png").stat().st_size > 0 and not list(out.glob("checkpoint-*"))
    card = (out / "README.md").read_text()  # names the published folder and the base, not DIR.partial / None
    assert f"# Model Card for {out.name}\n" in card and f'model="{out}"' in card
    assert "the local model `tiny`" in card and ".partial" not in card and "None" not in card

    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    _, held_out = reward_model.split(reward_model.load_pairs(SPEC), 0.2, 0)

    def score(text):
        with torch.no_grad():
            return model(**tok(text + tok.eos_token, return_tensors="pt")).logits[0, 0].item()

    wins = [score(c) > score(r) for c, r in zip(held_out["chosen"], held_out["rejected"], strict=True)]
    assert sum(wins) / len(wins) == metrics["pairwise_accuracy"]


def test_pairs_without_a_side_are_refused_naming_it(tmp_path):
    """(The same refusal through the real CLI is a row of tests/test_bad_input.py.)"""
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"prompt": "p", "chosen": "good"}\n' * 4)
    with pytest.raises(UserError, match=r"--dataset .*pairs.jsonl has no 'rejected' column.*'chosen' and 'rejected'"):
        reward_model.load_pairs(str(pairs))
    kept = set(reward_model.load_pairs(SPEC).column_names)
    assert {"chosen", "rejected"} <= kept <= set(reward_model.PAIR_COLUMNS)
