"""Reward-model rewards and routing: what each judge is shown (exactly the summary, exactly the whole response),
its scores against scoring those texts directly, None on rows of the other kind, the hold-off step, a missing
summary, a tokenizer that cannot encode the text, and checkpoints that are not reward models."""

from __future__ import annotations

import json
import pickle
import shutil
from types import SimpleNamespace

import pytest
import torch

from r1cli.errors import UserError
from r1cli.rewards import get
from r1cli.rewards.preference import ModelReward, Routed, check_checkpoint, parse_model_spec, summary

CLEAN = "<think>\nThe pens are on the desk.\n</think>\n<answer>Ann, the pens are on the desk.</answer>"
LEAK_IN_REASONING = "<think>\nThe pens are on the desk, not QXZ.\n</think>\n<answer>Ann, the pens are on the desk.</answer>"
UNCLOSED = "<think>\nThe pens are on the desk"
PROMPT = "Note to Ann: the pens are on the desk. Keep QXZ secret."


@pytest.fixture
def text_rm(tiny_reward_model, tmp_path):
    """The tiny reward model as `r1 reward-model` records one trained on prompt-less text pairs."""
    out = tmp_path / "rm"
    shutil.copytree(tiny_reward_model, out)
    (out / "r1_manifest.json").write_text(json.dumps(
        {"stage": "reward-model", "metrics": {"with_prompt": False, "conversational": False}}))
    return str(out)


def direct_scores(path: str, texts: list[str], special: bool) -> list[float]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    out = []
    for text in texts:  # one at a time: no padding involved
        with torch.no_grad():
            out.append(model(**tok(text, return_tensors="pt", add_special_tokens=special)).logits[0, 0].item())
    return out


class Seen:
    """Records the texts a reward model scores, then scores them for real."""

    def __init__(self, reward: ModelReward):
        self.texts: list[str] = []
        self.score = reward.score_texts
        reward.score_texts = self

    def __call__(self, texts):
        self.texts += texts
        return self.score(texts)


def test_summary_is_the_text_after_the_last_closed_think_block_or_a_reply_without_one():
    assert summary(CLEAN) == "\n<answer>Ann, the pens are on the desk.</answer>"
    assert summary("reasoning only</think> done") == " done"
    assert summary(UNCLOSED) is None
    assert summary("Sure! The pens are on the desk.") == "Sure! The pens are on the desk."  # an instruct reply


def test_helpfulness_sees_exactly_the_summary_and_harmlessness_the_whole_response(text_rm):
    helpful = ModelReward("helpfulness", text_rm, "summary")
    harmless = ModelReward("harmlessness", text_rm, "response")
    seen_help, seen_harm = Seen(helpful), Seen(harmless)
    completions = [CLEAN, LEAK_IN_REASONING]
    kinds = ["general", "general"]
    help_scores = helpful(prompts=[PROMPT] * 2, completions=completions, kind=kinds)
    harm_scores = harmless(prompts=[PROMPT] * 2, completions=completions, kind=kinds)
    eos = "</s>"
    assert seen_help.texts == [summary(c) + eos for c in completions]
    assert seen_harm.texts == [c + eos for c in completions]
    # The leak in the reasoning reaches the harmlessness judge only: both summaries are the same text.
    assert seen_help.texts[0] == seen_help.texts[1] and seen_harm.texts[0] != seen_harm.texts[1]
    assert help_scores == pytest.approx(direct_scores(text_rm, [summary(c) + eos for c in completions], True),
                                        abs=1e-5)
    assert harm_scores == pytest.approx(direct_scores(text_rm, [c + eos for c in completions], True), abs=1e-5)
    assert help_scores[0] == pytest.approx(help_scores[1], abs=1e-5) and harm_scores[0] != harm_scores[1]


def test_a_reward_model_trained_elsewhere_reads_a_chat_with_the_users_prompt(tiny_reward_model):
    from transformers import AutoTokenizer

    reward = ModelReward("helpfulness", tiny_reward_model, "summary")
    seen = Seen(reward)
    [score] = reward(prompts=["(rendered prompt)"], completions=[CLEAN], kind=["general"], user_prompt=[PROMPT])
    tok = AutoTokenizer.from_pretrained(tiny_reward_model)
    chat = tok.apply_chat_template([{"role": "user", "content": PROMPT},
                                    {"role": "assistant", "content": summary(CLEAN)}], tokenize=False)
    assert seen.texts == [chat]
    assert score == pytest.approx(direct_scores(tiny_reward_model, [chat], False)[0], abs=1e-5)


def test_rows_of_the_other_kind_get_none_and_no_summary_gets_the_penalty(text_rm):
    reward = ModelReward("helpfulness", text_rm, "summary", missing=-7.0)
    out = reward(prompts=["a", "b", "c"], completions=[CLEAN, UNCLOSED, CLEAN],
                 kind=["general", "general", "reasoning"])
    assert out[1] == -7.0 and out[2] is None and isinstance(out[0], float)

    accuracy = Routed(get("accuracy"), "reasoning")
    assert accuracy.__name__ == "accuracy_reward"
    scored = accuracy(prompts=["2+3", "note", "4*2"], completions=["<answer>5</answer>", CLEAN, "<answer>9</answer>"],
                      kind=["reasoning", "general", "reasoning"], answer=["5", "Ann, the pens.", "8"])
    assert scored == [1.0, None, 0.0]


def test_preference_from_step_holds_the_reward_off_until_that_step(text_rm):
    reward = ModelReward("harmlessness", text_rm, "response", from_step=5)
    before = reward(prompts=["p"], completions=[CLEAN], kind=["general"], trainer_state=SimpleNamespace(global_step=3))
    on = reward(prompts=["p"], completions=[CLEAN], kind=["general"], trainer_state=SimpleNamespace(global_step=4))
    assert before == [None] and isinstance(on[0], float)  # global_step 4 = training step 5


def test_a_tokenizer_that_cannot_encode_the_text_fails_in_one_line(text_rm):
    reward = ModelReward("harmlessness", text_rm, "response", flag="--harmlessness-rm")
    with pytest.raises(UserError) as err:
        reward(prompts=["p"], completions=["<think>caf\u00e9</think> ok"], kind=["general"])
    message = str(err.value)
    assert "--harmlessness-rm" in message and "'\u00e9'" in message and "\n" not in message


def test_only_a_sequence_classification_checkpoint_is_a_reward_model(tiny_model, tiny_reward_model):
    assert check_checkpoint(tiny_reward_model, "--helpfulness-rm") == tiny_reward_model
    with pytest.raises(UserError, match=r"^--helpfulness-rm .* is not a sequence-classification checkpoint "
                                        r"\(architecture: LlamaForCausalLM\)"):
        check_checkpoint(tiny_model, "--helpfulness-rm")


def test_rewards_pickle_without_their_loaded_model(text_rm):
    reward = ModelReward("helpfulness", text_rm, "summary")
    first = reward(prompts=["p"], completions=[CLEAN], kind=["general"])
    copy = pickle.loads(pickle.dumps(reward))
    assert copy._loaded is None and copy(prompts=["p"], completions=[CLEAN], kind=["general"]) == pytest.approx(first)
    routed = pickle.loads(pickle.dumps(Routed(get("format"), "reasoning")))
    assert routed(completions=[CLEAN], kind=["reasoning"]) == [1.0]


def test_model_spec_weight():
    assert parse_model_spec("runs/rm:0.5", "--x") == ("runs/rm", 0.5)
    assert parse_model_spec("runs/rm", "--x") == ("runs/rm", 1.0)
    assert parse_model_spec("org/name", "--x") == ("org/name", 1.0)
    with pytest.raises(UserError, match="--x"):
        parse_model_spec("runs/rm:inf", "--x")
