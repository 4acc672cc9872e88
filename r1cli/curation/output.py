"""What a curation run writes: the SFT-ready dataset (with the non-reasoning mix), the rejected samples with
their reasons, and the per-reason counts (stats.json and the printed table).

Dataset columns: `messages` (the user prompt, then the assistant response in the R1 layout), `prompt`,
`answer`, `id`, `source`, `num_tokens` (tokens the model generated), `verified_by` (rule or judge). With
`--template plain` (text prompts given as they are) a row is instead a `prompt`/`completion` pair of texts, the
problem and the response, which `r1 sft --template plain` trains as they are: a model that reads
plain text is taught in the form it is asked in.

In the sampled layout each row is the prompt as the model was given it and the response exactly as it was
sampled (prefill included): chat prompts give `messages` (the rendered turns, then the response), text
prompts a `prompt`/`completion` pair of texts.

Rows mixed in from other SFT datasets keep their own turns, with `source` naming their dataset and no answer,
token count or verifier. In the R1 layout a mixed reply with a think block is re-written in that layout (its
answer tags dropped; a reply without reasoning gets no think block), so the output teaches one layout. Beside
text rows a mixed row becomes text too: its one user turn and its reply (a system prompt or earlier turns
cannot be written as text, and are refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from r1cli.curation.pipeline import Sample
from r1cli.templates import prompt_text

LABELS = {
    "prompts": "prompts", "contaminated_prompts": "contaminated prompts (not sampled)",
    "generated": "generated", "truncated": "truncated (token limit)", "unfinished_think": "unfinished think",
    "no_answer": "no answer", "wrong": "wrong", "failed_tests": "program failed a test",
    "unscorable": "reference not checkable",
    "no_reference": "no reference answer", "no_think": "no reasoning block",
    "bad_layout": "tags inside the reasoning or summary",
    "short_reasoning": "reasoning too short", "long_reasoning": "reasoning too long", "mixed_language": "mixed language",
    "long_paragraph": "long paragraph", "code_block": "code block", "repetition": "repetition",
    "judged_wrong": "judged wrong", "judge_unparsable": "judge unparsable",
    "bad_summary": "summary without the verified answer", "duplicate": "duplicate",
    "near_duplicate": "near-duplicate", "over_cap": "over the per-prompt cap", "kept": "kept",
}


def features(text: bool = False):
    """The dataset's columns: chat rows, or (`text`) prompt/completion text rows of the sampled layout."""
    from datasets import Features, List, Value

    first = ({"prompt": Value("string"), "completion": Value("string")} if text else
             {"messages": List({"role": Value("string"), "content": Value("string")}), "prompt": Value("string")})
    return Features({**first, "answer": Value("string"), "id": Value("string"), "source": Value("string"),
                     "num_tokens": Value("int64"), "verified_by": Value("string")})


def text_rows(sampled_prompts: Sequence[Any] | None) -> bool:
    """Whether the sampled layout of these prompts (as the model was given them) is text rather than chat."""
    return bool(sampled_prompts) and all(isinstance(p, str) for p in sampled_prompts)


def user_turns(prompt: Any) -> list[dict[str, str]]:
    if isinstance(prompt, list):
        return [{"role": str(m["role"]), "content": str(m.get("content") or "")} for m in prompt]
    return [{"role": "user", "content": str(prompt)}]


def kept_dataset(kept: Sequence[Sample], rows: Sequence[dict[str, Any]], source: str,
                 sampled_prompts: Sequence[Any] | None = None, text: bool = False):
    """The kept samples as dataset rows (see the module docstring): in the R1 layout, or in the sampled
    layout when `sampled_prompts` (every row's prompt as the model was given it) is passed; `text`: as
    prompt/completion texts rather than chat turns."""
    from datasets import Dataset

    columns: dict[str, list] = {name: [] for name in features(text)}
    for s in kept:
        row = rows[s.row]
        own = row.get("source")
        values = {"prompt": prompt_text(row["prompt"]), "answer": str(row.get("answer") or ""),
                  "id": str(row["id"]), "source": own if isinstance(own, str) and own else source,
                  "num_tokens": s.num_tokens, "verified_by": s.verified_by}
        if sampled_prompts is None and text:
            values["completion"] = s.response
        elif sampled_prompts is None:
            values["messages"] = [*user_turns(row["prompt"]), {"role": "assistant", "content": s.response}]
        elif text:
            values.update(prompt=sampled_prompts[s.row], completion=s.text)
        else:
            values["messages"] = [*user_turns(sampled_prompts[s.row]), {"role": "assistant", "content": s.text}]
        for name, value in values.items():
            columns[name].append(value)
    return Dataset.from_dict(columns, features=features(text))  # by column: an empty set keeps its schema


def load_mixes(specs: list[str], flag: str = "--mix", *, text: bool = False,
               layout: str = "r1") -> list[tuple[str, Any, float]]:
    """(spec, rows as this module's columns, fraction) for each `SPEC:FRACTION`, as text rows with `text` and
    re-written in the R1 layout with `layout` "r1" (see the module docstring); checked and loaded before
    anything is sampled, so a bad spec, fraction or row fails at once."""
    from r1cli import data, mixing
    from r1cli.errors import UserError

    if not specs:
        return []
    parsed = mixing.parse_mixture(specs, flag)
    for spec, fraction in parsed:
        if fraction is None:
            raise UserError(f"{flag} {spec}: give the share of the output it makes up, as SPEC:FRACTION "
                            f"(e.g. '{spec}:0.25')")
    mixing.fraction_counts(0, [f for _, f in parsed], flag)
    out = []
    for k, (spec, fraction) in enumerate(parsed):
        ds, schema = data.load_pairs(spec)
        pairs = data.to_pairs(ds, schema, "plain", True, spec)
        if text:
            _check_single_turn(pairs, spec, flag)
        out.append((spec, _as_rows(pairs, spec, k, text, layout == "r1"), fraction))
    return out


def _check_single_turn(pairs, spec: str, flag: str) -> None:
    from r1cli.errors import UserError

    for i, (prompt, completion) in enumerate(zip(pairs["prompt"], pairs["completion"], strict=True)):
        if len(prompt) != 1 or prompt[0]["role"] != "user" or len(completion) != 1:
            raise UserError(f"{flag} {spec}: row {i} has a system prompt or several turns, which text rows "
                            "(--template plain) cannot hold: mix single-turn rows, or sample with --template chat")


def _as_rows(pairs, spec: str, k: int, text: bool, r1: bool):
    from r1cli.layout import r1_layout, split_r1

    def reply(content: str) -> str:
        parts = split_r1(content) if r1 else None
        return r1_layout(*parts) if parts else content

    def convert(batch, indices):
        out = {name: [] for name in features(text)}
        for i, prompt, completion in zip(indices, batch["prompt"], batch["completion"], strict=True):
            users = [m["content"] for m in prompt if m["role"] == "user"]
            completion = [{**m, "content": reply(m["content"])} for m in completion]
            if text:
                out["completion"].append(completion[0]["content"])
            else:
                out["messages"].append(prompt + completion)
            out["prompt"].append(users[-1] if users else "")
            out["answer"].append("")
            out["id"].append(f"mix{k}-{i}")
            out["source"].append(spec)
            out["num_tokens"].append(None)
            out["verified_by"].append(None)
        return out

    return pairs.map(convert, batched=True, with_indices=True, remove_columns=pairs.column_names,
                     features=features(text), desc="mixing")


def mix(base, mixes: list[tuple[str, Any, float]], seed: int) -> tuple[Any, dict[str, int]]:
    """`base` plus the mixed-in rows, each dataset making up its fraction of the output (the mixing core)."""
    from r1cli import mixing

    if not mixes:
        return base, {}
    out, added = mixing.mix_fractions(base, [(ds, f) for _, ds, f in mixes], seed)
    return out, {spec: n for (spec, _, _), n in zip(mixes, added, strict=True)}


def rejected_rows(rejected: Sequence[Sample], rows: Sequence[dict[str, Any]]):
    """One record per rejected sample, for a reader who wants to see what was dropped and why."""
    for s in rejected:
        row = rows[s.row]
        rec = {"id": str(row["id"]), "sample": s.j, "reason": s.reason, "prompt": prompt_text(row["prompt"]),
               "answer": str(row.get("answer") or ""), "extracted": s.extracted, "completion": s.text,
               "num_tokens": s.num_tokens, "finish_reason": s.finish}
        if s.judge_reply is not None:
            rec["judge_reply"] = s.judge_reply
        if s.reason == "bad_summary":
            rec["summary"] = s.summary
        yield rec


def print_table(stats: dict[str, Any], title: str = "curation") -> None:
    """The count per reason (every reason, zeros included), then the rows mixed in."""
    from rich.table import Table

    from r1cli import log

    table = Table(title=f"{title}: samples per reason", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("%", justify="right")
    generated = stats["counts"]["generated"] or 1
    for key in ("prompts", "contaminated_prompts"):
        table.add_row(LABELS[key], f"{stats[key]:,}", "")
    for key, n in stats["counts"].items():
        style = "bold" if key in ("generated", "kept") else None
        pct = "" if key == "generated" else f"{100 * n / generated:.1f}"
        table.add_row(LABELS[key], f"{n:,}", pct, style=style)
    for spec, n in stats.get("mixed_in", {}).items():
        table.add_row(f"mixed in: {spec}", f"{n:,}", "")
    table.add_row("rows written", f"{stats['rows']:,}", "", style="bold")
    log.console.print(table)
