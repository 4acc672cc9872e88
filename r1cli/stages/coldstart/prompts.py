"""How a cold-start run prompts its generator (DeepSeek-R1 section 2.3.1), one way per mode:

  fewshot  K long-CoT exemplars (problem, reasoning, summary) before the problem: as earlier chat turns with
           the chat template, as worked examples in the text otherwise
  reflect  the problem with an instruction to answer in detail, reflecting on and verifying each step
           before the final answer, in the model's chat template
  zero     the problem as --template renders it (--template r1-zero for an R1-Zero checkpoint)

Also the short closing summary built from a verified answer (`--summary answer`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from r1cli.layout import r1_layout

MODES = ("fewshot", "reflect", "zero")
REFLECT_INSTRUCTION = (
    "Answer in detail. First restate the problem in your own words, then work through it step by step. After "
    "each step, stop and check it (\"wait, let me check\"), and if a step is wrong, say so and fix it. Before the "
    "final answer, verify the result a second way. Write your reasoning inside <think> </think>, then a short "
    "summary that ends with the final answer in \\boxed{}.")
# Shown before a text (non-chat) few-shot prompt's worked examples.
FEWSHOT_HEADER = "Here are worked solutions. Solve the last problem the same way.\n\n"
# The built-in exemplars: one jsonl row per exemplar, its task, prompt, reasoning and summary (package data).
BUILTIN = "exemplars.jsonl"


@dataclass(frozen=True)
class Exemplar:
    prompt: str
    reasoning: str
    summary: str

    @property
    def response(self) -> str:
        return r1_layout(self.reasoning, self.summary)


def answer_summary(answer: str) -> str:
    """The closing sentence of `--summary answer`."""
    return f"The final answer is $\\boxed{{{answer.strip()}}}$."


def load_exemplars(path: str, flag: str = "--exemplars") -> list[Exemplar]:
    """Exemplars from a jsonl file of prompt/reasoning/summary rows; a bad row is one error naming its line."""
    from r1cli.data import read_objects
    from r1cli.errors import UserError

    out = []
    for n, row in read_objects(path, flag, "a jsonl file of prompt, reasoning, summary rows"):
        missing = [k for k in ("prompt", "reasoning", "summary") if not str(row.get(k) or "").strip()]
        if missing:
            raise UserError(f"{flag} {path}: line {n} has no {', '.join(missing)} (each row needs prompt, "
                            "reasoning and summary)")
        out.append(Exemplar(str(row["prompt"]), str(row["reasoning"]), str(row["summary"])))
    if not out:
        raise UserError(f"{flag} {path}: no exemplars in the file")
    return out


def builtin_exemplars(task: str) -> list[Exemplar]:
    """The built-in exemplars of `task` (default: math's), read from the data file BUILTIN beside this module.
    Written for this project, each restates the problem, works step by step, stops to check itself ("wait,
    let me check"), verifies the result another way and closes with a short summary ending in \\boxed{}."""
    text = resources.files(__package__).joinpath(BUILTIN).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    tasks = {r["task"] for r in rows}
    return [Exemplar(r["prompt"], r["reasoning"], r["summary"]) for r in rows
            if r["task"] == (task if task in tasks else "math")]


def render(prompt: Any, mode: str, template: str, system: str | None = None,
           exemplars: list[Exemplar] = ()) -> str | list[dict[str, str]]:
    """What the generator receives for one dataset prompt in `mode`."""
    from r1cli import templates

    if mode == "zero":
        return templates.render(prompt, template, system)
    if isinstance(prompt, list):  # chat messages: the instruction or exemplars go around the last user turn
        head, last = prompt[:-1], str(prompt[-1].get("content") or "")
    else:
        head, last = [], str(prompt)
    system_turn = [{"role": "system", "content": system}] if system and not head else []
    if mode == "reflect":
        return [*system_turn, *head, {"role": "user", "content": f"{last}\n\n{REFLECT_INSTRUCTION}"}]
    if mode != "fewshot":
        raise ValueError(f"unknown mode {mode!r}")
    if template == "chat" or head:
        shots = [m for e in exemplars for m in ({"role": "user", "content": e.prompt},
                                                 {"role": "assistant", "content": e.response})]
        return [*system_turn, *shots, *head, {"role": "user", "content": last}]
    shots = "".join(f"Problem: {e.prompt}\nSolution: {e.response}\n\n" for e in exemplars)
    return f"{FEWSHOT_HEADER}{shots}Problem: {last}\nSolution:"
