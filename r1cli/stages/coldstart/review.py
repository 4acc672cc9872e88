"""The human pass over a cold-start set (the paper post-processes its cold-start data by hand).

A run writes `review.jsonl`, one row per kept sample: its prompt and reference answer, the editable
`reasoning` and `summary`, and `accept` (true); a chat row also keeps its `turns`, the messages before the reply
(a system prompt, worked exchanges), so the reviewed row is the same chat the run wrote.
`r1 coldstart --from-review FILE --output DIR2` reads the edited file back (each row's `format`, chat turns or a
text prompt/completion pair as the run wrote it, is kept), drops the rows set to `accept: false`, re-checks the
others (the R1 layout, the answer in the summary still correct, the readability and reasoning-length filters)
and writes the rows that pass as the dataset, counting each reason a row was dropped. Rows carry the run's
`review_id`, so a row from another run's file (or a file beside another run's stats.json) is refused before
anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1cli import log

REVIEW = "review.jsonl"
PREVIEW = "preview.html"
FIELDS = {"review_id": str, "id": str, "prompt": str, "answer": str, "mode": str, "format": str,
          "reasoning": str, "summary": str, "accept": bool}
FORMATS = ("chat", "text")  # the dataset row a reviewed sample becomes: chat turns, or prompt/completion texts
# Why a reviewed row is dropped, in check order; "kept" last (the counts add up to the rows reviewed).
REASONS = ("not_accepted", "bad_layout", "no_answer", "wrong", "unscorable", "short_reasoning", "long_reasoning",
           "mixed_language", "long_paragraph", "code_block", "repetition", "kept")
KNOWN = ("id", "prompt", "answer", "solution", "reward", "language")  # columns a review row has its own way


def write(work: Path, ds, rows: list[dict[str, Any]], review_id: str, cfg) -> int:
    """review.jsonl and preview.html of the kept samples of the dataset `ds` in `work` (`rows`: the prompts'
    dataset rows); returns the number of rows."""
    from r1cli import data
    from r1cli.layout import split_r1
    from r1cli.stages.coldstart import preview

    by_id = {str(r["id"]): r for r in rows}
    out = []
    for r in ds:
        if not r.get("verified_by"):
            continue  # a mixed-in row: nothing to review
        text = "completion" in r
        reasoning, summary = split_r1(r["completion"] if text else r["messages"][-1]["content"])
        row = by_id[r["id"]]
        out.append({"review_id": review_id, "id": r["id"], "prompt": r["prompt"], "answer": r["answer"],
                    "mode": r["mode"], "format": "text" if text else "chat",
                    **({} if text else {"turns": r["messages"][:-1]}),
                    "reward": cfg.reward or row.get("reward") or None,
                    "language": cfg.language or row.get("language") or None,
                    # what the reward reads besides the answer (countdown's numbers and target)
                    "columns": {k: v for k, v in row.items() if k not in KNOWN},
                    "reasoning": reasoning, "summary": summary, "accept": True})
    data.write_jsonl(out, work / REVIEW)
    (work / PREVIEW).write_text(preview.page(out, f"r1 coldstart: {len(out)} samples ({cfg.mode} mode)"))
    return len(out)


def read(path: str, flag: str = "--from-review") -> list[dict[str, Any]]:
    """The rows of a review file, checked: one error naming the first bad line."""
    from r1cli import data
    from r1cli.errors import UserError

    rows = []
    for n, row in data.read_objects(path, flag, "the review.jsonl of an r1 coldstart run"):
        for name, kind in FIELDS.items():
            if not isinstance(row.get(name), kind):
                what = "true or false" if kind is bool else "a string"
                raise UserError(f"{flag} {path}: line {n}: '{name}' must be {what}")
        if row["format"] not in FORMATS:
            raise UserError(f"{flag} {path}: line {n}: 'format' must be one of {', '.join(FORMATS)}")
        turns = row.get("turns")
        if turns is not None and not (isinstance(turns, list) and all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
                for m in turns)):
            raise UserError(f"{flag} {path}: line {n}: 'turns' must be a list of chat messages (role, content)")
        if rows and row["review_id"] != rows[0]["review_id"]:
            raise UserError(f"{flag} {path}: line {n} is from another run than line 1 (its review_id differs)")
        if rows and row["format"] != rows[0]["format"]:
            raise UserError(f"{flag} {path}: line {n}: 'format' differs from line 1's (a run writes one format)")
        rows.append(row)
    if not rows:
        raise UserError(f"{flag} {path}: no rows to review")
    file = Path(path).expanduser()
    beside = file.parent / "stats.json"
    if beside.is_file():
        own = json.loads(beside.read_text()).get("review_id")
        if own and own != rows[0]["review_id"]:
            raise UserError(f"{flag} {path}: the rows are from another run than the one in {file.parent} "
                            "(their review_id differs from its stats.json)")
    return rows


def check(row: dict[str, Any], readability, length) -> str:
    """The first reason a reviewed row is dropped, or "kept"."""
    from r1cli import scoring
    from r1cli.layout import r1_layout, stray_tags
    from r1cli.readability import prompt_language
    from r1cli.rewards.code_tests import CODE_REWARDS

    if not row["accept"]:
        return "not_accepted"
    reasoning, summary = row["reasoning"].strip(), row["summary"].strip()
    if not reasoning or not summary or stray_tags(reasoning) or stray_tags(summary):
        return "bad_layout"
    extras = {**(row.get("columns") or {}), "reward": row.get("reward")}
    problem = scoring.Problem(row["id"], row["prompt"], row["answer"], extras, [r1_layout(reasoning, summary)],
                              [0], ["stop"])
    verdict = scoring.score([problem])[0][0]
    if verdict.reason != "correct":
        return verdict.reason if verdict.reason in REASONS else "wrong"
    language = row.get("language") or prompt_language(row["prompt"])
    return length(reasoning) or readability.check(reasoning, language, row.get("reward") in CODE_REWARDS) or "kept"


def checker(cfg) -> Callable[[dict[str, Any]], str]:
    """check() with the filters cfg's options set: the one re-check of --from-review and of the review page
    (--review), so a row the page passes is a row the dataset keeps."""
    from r1cli.curation import Settings, curate
    from r1cli.curation.pipeline import Curator
    from r1cli.errors import UserError
    from r1cli.readability import Readability

    try:
        readability = Readability(cfg.min_language_consistency, cfg.max_paragraph_chars, cfg.reject_code_blocks,
                                  cfg.max_repetition)
    except ValueError as e:
        raise UserError(f"readability filter: {e}") from None
    bounds = Settings(min_reasoning_tokens=cfg.min_reasoning_tokens, max_reasoning_tokens=cfg.max_reasoning_tokens)
    counter = None
    if cfg.min_reasoning_tokens or cfg.max_reasoning_tokens:  # counted in the sampled model's tokenizer
        if not cfg.model:
            raise UserError("--min-reasoning-tokens/--max-reasoning-tokens count tokens: give --model, the model "
                            "that wrote the samples")
        counter = curate._token_counter(cfg, cfg.model, "--model")
    length = Curator([], bounds, count_tokens=counter).length
    return lambda row: check(row, readability, length)


def finalize(cfg) -> dict[str, Any]:
    """--from-review: re-check the reviewed rows and write the accepted ones as the dataset."""
    from datasets import Dataset

    from r1cli import data, runs
    from r1cli.curation import curate
    from r1cli.curation.output import user_turns
    from r1cli.layout import r1_layout

    rows = read(cfg.from_review)
    if log.verbosity() <= 0:  # the dataset is built here, not loaded through r1cli.data, which does this
        import datasets

        datasets.disable_progress_bars()
    verdict = checker(cfg)
    with runs.run_dir("coldstart", cfg.output, cfg, overwrite=cfg.overwrite) as run:
        run.add_input("dataset", cfg.from_review)
        reasons = [verdict(row) for row in rows]
        kept = [row for row, reason in zip(rows, reasons, strict=True) if reason == "kept"]
        replies = [r1_layout(r["reasoning"], r["summary"]) for r in kept]
        turns = ({"completion": replies} if rows[0]["format"] == "text" else
                 {"messages": [[*(r.get("turns") or user_turns(r["prompt"])), {"role": "assistant", "content": reply}]
                               for r, reply in zip(kept, replies, strict=True)]})
        ds = Dataset.from_dict({
            **turns, "prompt": [r["prompt"] for r in kept], "answer": [r["answer"] for r in kept],
            "id": [r["id"] for r in kept], "mode": [r["mode"] for r in kept],
            "source": [cfg.from_review] * len(kept), "verified_by": ["review"] * len(kept)})
        data.save(ds, run.path)
        stats = {"reviewed": len(rows), "counts": {r: reasons.count(r) for r in REASONS}, "rows": len(kept),
                 "review_id": rows[0]["review_id"]}
        curate.write_stats(stats, run.path)
        run.metrics = stats
    _print(stats)
    log.info(f"wrote {len(kept):,} reviewed rows to {run.final}")
    return stats


def _print(stats: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="r1 coldstart --from-review: rows per reason", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_row("reviewed", f"{stats['reviewed']:,}", style="bold")
    for reason, n in stats["counts"].items():
        table.add_row(reason.replace("_", " "), f"{n:,}", style="bold" if reason == "kept" else None)
    log.console.print(table)
