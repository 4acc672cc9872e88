"""Prompt templates and the R1 completion format, shared by every stage.

- `r1-zero`: the DeepSeek-R1-Zero prompt, verbatim from the paper, for base models.
- `boxed`: the problem plus the paper's evaluation instruction to put the answer in \\boxed{}.
- `chat`: chat messages (optional system prompt) for the model's own chat template, for instruct models.
- `plain`: the problem text as it is (the built-in tiny tasks are written for it).
- `auto` (every stage's default): `resolve` picks one of the above by ONE rule: plain for built-in `task:`
  datasets; otherwise chat when the model's tokenizer has a chat template, else boxed. R1-Zero's prompt is
  never picked: it is asked for (`--template r1-zero`).

`CHAT_TEMPLATE` is the tiny model's chat template and the one trainer stages give a tokenizer that has none.
`prompt_text` is a prompt as plain text (chat messages: their user turns), as curation and scoring read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

R1_ZERO = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. "
    "User: {prompt}. Assistant:"
)
BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
TEMPLATES = ["r1-zero", "boxed", "chat", "plain"]
AUTO = "auto"
CHOICES = [AUTO, *TEMPLATES]
AUTO_HELP = ("auto (the default): plain for built-in task: datasets, else chat when the model's tokenizer has a "
             "chat template, else boxed")

# "<bos>user: ...\nassistant: ...<eos>\n". Every assistant turn ends with the EOS token inside the generation
# markers, so SFT teaches the model to stop and assistant-only loss masks include the stop token.
CHAT_TEMPLATE = (
    "{{ bos_token or '' }}"
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}"
    "{{ 'assistant: ' }}{% generation %}{{ m['content'] + eos_token }}{% endgeneration %}{{ '\n' }}"
    "{% else %}{{ m['role'] + ': ' + m['content'] + '\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
)


def render(prompt: Any, template: str, system: str | None = None) -> str | list[dict[str, str]]:
    """Turn a dataset prompt (text or chat messages) into what the generator receives."""
    if isinstance(prompt, list):  # already chat messages
        if system and not any(m.get("role") == "system" for m in prompt):
            return [{"role": "system", "content": system}, *prompt]
        return prompt
    if system and template != "chat":  # a text prompt in a template without turns has nowhere to put it
        from r1cli.errors import UserError

        raise UserError(f"--system-prompt needs --template chat (or chat-message prompts): the {template} "
                        "template has no system turn")
    if template == "r1-zero":
        return R1_ZERO.format(prompt=prompt)
    if template == "boxed":
        return f"{prompt}\n{BOXED_INSTRUCTION}"
    if template == "chat":
        messages = [{"role": "system", "content": system}] if system else []
        return messages + [{"role": "user", "content": f"{prompt}\n{BOXED_INSTRUCTION}"}]
    if template == "plain":
        return prompt
    raise ValueError(f"unknown template {template!r}")


def resolve(template: str, specs: Sequence[str], load_tokenizer: Callable[[], Any]) -> str:
    """The template `auto` stands for (any other value is kept): plain when every dataset spec is a built-in
    `task:` (their prompts are written for it), else chat when the model's tokenizer has a chat template, else boxed.
    `load_tokenizer` gives the model's tokenizer as shipped (before a trainer adds r1cli's chat template);
    it is called only when the rule needs it. Logs the choice (once per run: callers resolve once)."""
    if template != AUTO:
        return template
    from r1cli import log

    if specs and all(str(spec).startswith("task:") for spec in specs):
        chosen, why = "plain", "built-in task: datasets"
    else:
        if getattr(load_tokenizer(), "chat_template", None):
            chosen, why = "chat", "the model has a chat template"
        else:
            chosen, why = "boxed", "the model has no chat template"
    log.info(f"--template auto: {chosen} ({why})")
    return chosen


def r1_completion(reasoning: str, answer: str) -> str:
    """The R1 output format: reasoning inside <think>, the final answer inside <answer>."""
    return f"<think>\n{reasoning.strip()}\n</think>\n<answer>{answer}</answer>"


def prompt_text(prompt: Any) -> str:
    """A prompt as text: chat messages give their user turns."""
    if isinstance(prompt, list):
        return "\n".join(str(m.get("content") or "") for m in prompt if m.get("role", "user") == "user")
    return str(prompt)
