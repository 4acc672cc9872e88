"""r1cli.templates.resolve: the one rule --template auto stands for in every stage."""

import pytest

from r1cli import models, templates
from r1cli.errors import UserError


def _unused():
    raise AssertionError("the tokenizer is not needed here")


def test_task_specs_resolve_to_plain_without_loading_a_tokenizer():
    assert templates.resolve("auto", ["task:arith?n=5", "task:general?n=5:0.3"], _unused) == "plain"


def test_a_model_with_a_chat_template_gets_chat(tiny_model):
    assert templates.resolve("auto", ["gsm8k"], lambda: models.load_tokenizer(tiny_model)) == "chat"


def test_a_model_without_one_gets_boxed(base_model):
    assert templates.resolve("auto", ["gsm8k"], lambda: models.load_tokenizer(base_model)) == "boxed"


def test_a_mix_with_one_dataset_that_is_not_a_task_follows_the_model(base_model):
    assert templates.resolve("auto", ["task:arith", "runs/rs"], lambda: models.load_tokenizer(base_model)) == "boxed"


@pytest.mark.parametrize("explicit", templates.TEMPLATES)
def test_an_explicit_template_is_kept(explicit):
    assert templates.resolve(explicit, ["task:arith"], _unused) == explicit
    assert templates.resolve(explicit, ["gsm8k"], _unused) == explicit


def test_auto_is_the_default_of_every_stage_that_renders_prompts():
    from dataclasses import fields

    from r1cli.stages import align, coldstart, distill, eval, grpo, reject_sample, sft

    for config in (sft.Config, grpo.Config, align.Config, coldstart.Config, reject_sample.Config, distill.Config,
                   eval.Config):
        [template] = [f for f in fields(config) if f.name == "template"]
        assert template.default == "auto", config


@pytest.mark.parametrize("template", ["plain", "boxed", "r1-zero"])
def test_a_system_prompt_with_a_text_template_is_refused_not_dropped(template):
    with pytest.raises(UserError, match="--system-prompt needs --template chat"):
        templates.render("What is 2+2?", template, "be brief")


def test_a_system_prompt_reaches_chat_and_chat_message_prompts():
    assert templates.render("2+2?", "chat", "be brief")[0] == {"role": "system", "content": "be brief"}
    turns = templates.render([{"role": "user", "content": "2+2?"}], "plain", "be brief")
    assert turns[0] == {"role": "system", "content": "be brief"}
