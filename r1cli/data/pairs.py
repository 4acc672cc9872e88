"""SFT pairs: training sets read as prompt/completion pairs."""

from __future__ import annotations

from r1cli.data.canonical import canonicalize, is_messages, text_or_chat
from r1cli.data.files import scratch_file
from r1cli.data.sources import load, parse_spec
from r1cli.errors import UserError

# Training examples are prompt/completion pairs, each side text or chat turns. Three schemas are read:
#   messages           chat turns ending with the assistant's: the last turn is the completion, the turns
#                      before it the prompt (earlier assistant turns are context);
#   prompt-completion  what coldstart / reject-sample / distill write, either side text or chat turns;
#   canonical          prompt/answer/solution (tasks, benchmark files): the completion is
#                      r1_completion(solution, response_answer or answer), where `response_answer` is what the
#                      row's teacher wrote (task:arith `slip` rows carry a wrong one on purpose).
# Conversion runs as one batched Arrow map per dataset, so no Python copy of the whole dataset is made.


def _chat_feature():
    from datasets import List, Value

    return List({"role": Value("string"), "content": Value("string")})


def pairs_schema(columns: list[str]) -> str:
    """'messages', 'prompt-completion' or 'canonical' for a dataset's column names."""
    if "messages" in columns:
        return "messages"
    if "prompt" in columns and "completion" in columns:
        return "prompt-completion"
    return "canonical"


def load_pairs(spec: str):
    """Load a spec for SFT: (dataset, schema). Canonical datasets are canonicalized and must have solutions."""
    import pyarrow.compute as pc

    ds = load(spec, canonical=False)
    schema = pairs_schema(ds.column_names)
    if schema == "canonical":
        ds = canonicalize(ds, parse_spec(spec)[1], spec)
        if not pc.max(pc.utf8_length(ds.data.column("solution"))).as_py():
            raise UserError(f"{spec} has no worked solutions to train on (SFT needs a solution or a "
                            "completion column; name it with '?solution=COLUMN')")
    return ds, schema


def is_chat(ds, schema: str) -> bool:
    """Whether a dataset loaded by `load_pairs` holds chat turns (read from its column types)."""
    from datasets import LargeList, List

    if schema == "messages":
        return True
    columns = ("prompt", "completion") if schema == "prompt-completion" else ("prompt",)
    return any(isinstance(ds.features[c], (List, LargeList)) for c in columns)


def _clean(messages) -> list[dict[str, str]]:
    return [{"role": str(m["role"]), "content": str(m.get("content") or "")} for m in messages]


def to_pairs(ds, schema: str, template: str, conversational: bool, spec: str = "dataset"):
    """The dataset as exactly two columns, prompt and completion, rendered for training: text prompts through
    `template`; in a conversational set (`is_chat` of any dataset in it, or the chat template) text becomes
    chat turns, a prompt one user turn and a completion one assistant turn."""
    from datasets import Features, Value

    from r1cli import templates

    def pair(prompt, completion):
        if isinstance(prompt, str):
            rendered = templates.render(prompt, template)
            if conversational and isinstance(rendered, str):
                rendered = [{"role": "user", "content": rendered}]
            elif template == "r1-zero" and isinstance(completion, str) and not completion[:1].isspace():
                completion = " " + completion  # "... Assistant: <think>"
            prompt = rendered
        if conversational and isinstance(completion, str):
            completion = [{"role": "assistant", "content": completion}]
        return prompt, completion

    def messages(batch, indices):
        for i, msgs in zip(indices, batch["messages"], strict=True):
            if not is_messages(msgs) or msgs[-1].get("role") != "assistant":
                raise UserError(f"{spec} row {i}: 'messages' must be chat turns ending with an assistant turn")
            msgs = _clean(msgs)
            yield msgs[:-1], msgs[-1:]

    def prompt_completion(batch, indices):
        for i, p, c in zip(indices, batch["prompt"], batch["completion"], strict=True):
            p, c = text_or_chat(p, spec, i, "prompt"), text_or_chat(c, spec, i, "completion")
            yield (_clean(p) if is_messages(p) else p), (_clean(c) if is_messages(c) else c)

    def canonical(batch, indices):
        answers = batch.get("response_answer") or batch["answer"]
        for p, solution, answer, gold in zip(batch["prompt"], batch["solution"], answers, batch["answer"],
                                             strict=True):
            yield (_clean(p) if is_messages(p) else p), templates.r1_completion(solution or "", str(answer or gold))

    rows = {"messages": messages, "prompt-completion": prompt_completion, "canonical": canonical}[schema]

    def convert(batch, indices):
        out = {"prompt": [], "completion": []}
        for prompt, completion in rows(batch, indices):
            prompt, completion = pair(prompt, completion)
            out["prompt"].append(prompt)
            out["completion"].append(completion)
        return out

    kind = _chat_feature() if conversational else Value("string")
    return ds.map(convert, batched=True, with_indices=True, remove_columns=ds.column_names,
                  features=Features({"prompt": kind, "completion": kind}), cache_file_name=scratch_file("sft-pairs"),
                  desc="formatting")
