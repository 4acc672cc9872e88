"""How each cold-start mode prompts the generator: the verbatim R1-Zero template, the reflect instruction in
chat turns, the few-shot exemplars in order (as chat turns or worked text); exemplar files are checked line
by line; the built-in exemplars load from the package's data file, are in the R1 layout and verify."""

from __future__ import annotations

import json

import pytest

from r1cli import rewards, templates
from r1cli.errors import UserError
from r1cli.stages.coldstart import prompts

SHOTS = [prompts.Exemplar(f"q{i}", f"think {i}", f"so \\boxed{{{i}}}") for i in range(3)]


def test_zero_mode_is_the_verbatim_r1_zero_template():
    out = prompts.render("What is 2+2?", "zero", "r1-zero")
    assert out == templates.R1_ZERO.replace("{prompt}", "What is 2+2?")
    assert out.startswith("A conversation between User and Assistant.") and out.endswith("User: What is 2+2?. Assistant:")
    assert prompts.render("2+2", "zero", "plain") == "2+2"


def test_reflect_mode_asks_for_reflection_and_verification_in_chat_turns():
    out = prompts.render("What is 2+2?", "reflect", "chat", system="be careful")
    assert out == [{"role": "system", "content": "be careful"},
                   {"role": "user", "content": "What is 2+2?\n\n" + prompts.REFLECT_INSTRUCTION}]
    assert "verify" in prompts.REFLECT_INSTRUCTION and "\\boxed{}" in prompts.REFLECT_INSTRUCTION


def test_fewshot_exemplars_come_first_in_order():
    chat = prompts.render("last", "fewshot", "chat", exemplars=SHOTS[:2])
    assert [m["role"] for m in chat] == ["user", "assistant", "user", "assistant", "user"]
    assert [m["content"] for m in chat[::2]] == ["q0", "q1", "last"]
    assert chat[1]["content"] == "<think>\nthink 0\n</think>\n\nso \\boxed{0}"
    text = prompts.render("last", "fewshot", "plain", exemplars=SHOTS)
    positions = [text.index(f"Problem: q{i}\n") for i in range(3)]
    assert positions == sorted(positions) and text.endswith("Problem: last\nSolution:")
    assert text.index("think 2") < text.index("Problem: last")


def test_exemplar_file_rows_are_checked_by_line(tmp_path):
    path = tmp_path / "ex.jsonl"
    path.write_text(json.dumps({"prompt": "a", "reasoning": "b", "summary": "c"}) + "\n"
                    + json.dumps({"prompt": "a", "reasoning": "b"}) + "\n")
    with pytest.raises(UserError, match=r"line 2 has no summary"):
        prompts.load_exemplars(str(path))
    path.write_text(json.dumps({"prompt": "a", "reasoning": "b", "summary": "c"}) + "\n")
    assert prompts.load_exemplars(str(path)) == [prompts.Exemplar("a", "b", "c")]


TASKS = ("math", "arith", "countdown")


def test_builtin_exemplars_load_from_the_installed_data_file():
    """The file is package data: it is found through importlib.resources (as in an installed copy), every row
    names its task, and a task without exemplars of its own gets math's."""
    from importlib import resources

    rows = [json.loads(line) for line in
            resources.files("r1cli.stages.coldstart").joinpath(prompts.BUILTIN).read_text().splitlines()]
    assert {r["task"] for r in rows} == set(TASKS)
    for task in TASKS:
        assert prompts.builtin_exemplars(task) == [prompts.Exemplar(r["prompt"], r["reasoning"], r["summary"])
                                                   for r in rows if r["task"] == task]
    assert prompts.builtin_exemplars("gsm8k") == prompts.builtin_exemplars("math")


@pytest.mark.parametrize("task", TASKS)
def test_builtin_exemplars_show_the_habits_and_box_their_answer(task):
    for e in prompts.builtin_exemplars(task):
        assert "wait, let me check" in e.reasoning.lower() and "verif" in e.reasoning.lower()
        answer, _ = rewards.extract_answer(e.response)
        assert answer and f"\\boxed{{{answer}}}" in e.summary


def test_builtin_arith_exemplars_are_right():
    for e in prompts.builtin_exemplars("arith"):
        assert rewards.extract_answer(e.response)[0] == str(eval(e.prompt))  # noqa: S307 - our own exemplars


def test_answer_summary_boxes_the_answer():
    assert rewards.extract_answer("<think>\nx\n</think>\n\n" + prompts.answer_summary(" 12 "))[0] == "12"
