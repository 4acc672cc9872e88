"""r1 data: load any dataset spec into the canonical schema and write it as a dataset folder.

Use it to materialise a built-in task, to convert a benchmark file or hub dataset once, or to check how a
source maps onto prompt/answer/solution/id before a long run. With --chat-prefix every prompt becomes a chat
that starts with the same turns (a system prompt, worked exchanges): how a small instruct model is shown a
format it ignores when only told (SmolLM2-135M on 50 word problems x 4: none of the 200 responses in R1-Zero's
tags with the format in a system prompt, or with the R1-Zero template; 24 % with one worked exchange before the
problem, recipes/smollm2/r1.sh).
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option

HELP = "Load a dataset (task:NAME, a file, a folder or a hub name) into prompt/answer/solution/id and save it."
EXAMPLE = ("r1 data --dataset 'task:arith?n=500&split=test' --output data/arith-test --jsonl; "
           "r1 data -d 'svamp.json?prompt={Body} {Question}' -o data/svamp; "
           "r1 data -d 'task:arith?style=word&n=1000' --chat-prefix recipes/smollm2/r1-zero-prefix.jsonl -o data/rl")
ROLES = ("system", "user", "assistant")


@dataclass
class Config:
    dataset: str = option(None, "Dataset spec: task:NAME?k=v, a .jsonl/.json/.parquet/.csv file, a "
                          "save_to_disk folder, or a hub name (add ?split=...&config=...). Pick columns with "
                          "?prompt=COLUMN (any case) or build the prompt from several: ?prompt={Body} {Question}.",
                          short="-d", required=True)
    output: str = option(None, "Output folder (a save_to_disk dataset plus the manifest).", short="-o",
                         required=True)
    split: str | None = option(None, "Split to load (overrides ?split= in the spec); a local file has only "
                               "'train'.")
    limit: int | None = option(None, "Keep only the first N rows.", min=1)
    chat_prefix: str | None = option(None, "A .jsonl file of chat messages, {\"role\": ..., \"content\": ...} a "
                                     "line, put before every prompt, which becomes the last user turn of a chat: "
                                     "a system prompt, then worked exchanges (few-shot), ending with an "
                                     "assistant turn.")
    jsonl: bool = option(False, "Also write data.jsonl beside the dataset.")
    overwrite: bool = option(False, "Replace the output folder if it exists.")


def run(cfg: Config) -> dict:
    from r1cli import data, runs

    ds = data.load(cfg.dataset, split=cfg.split, limit=cfg.limit)
    if cfg.chat_prefix:
        prefix = read_prefix(cfg.chat_prefix)
        ds = ds.map(lambda row: {"prompt": prefixed(row["prompt"], prefix)},
                    cache_file_name=data.scratch_file("chat-prefix"))
    with runs.run_dir("data", cfg.output, cfg, overwrite=cfg.overwrite) as run:
        run.add_input("dataset", cfg.dataset)
        if cfg.chat_prefix:
            run.add_input("chat_prefix", cfg.chat_prefix)
        data.save(ds, run.path, jsonl=cfg.jsonl)
        run.metrics = {"rows": len(ds), "columns": ds.column_names}
    log.info(f"wrote {len(ds):,} rows to {run.final}")
    return run.metrics


def read_prefix(path: str, flag: str = "--chat-prefix") -> list[dict[str, str]]:
    """The messages of a chat-prefix file: known roles, text content, a system turn first if any, and not
    ending with a user turn (each row's prompt is the next one)."""
    from r1cli.data import read_objects
    from r1cli.errors import UserError

    messages: list[dict[str, str]] = []
    for n, row in read_objects(path, flag, "a jsonl file of chat messages, {role, content} a line"):
        role, content = row.get("role"), row.get("content")
        if role not in ROLES or not isinstance(content, str) or not content.strip():
            raise UserError(f"{flag} {path}: line {n} needs a role ({', '.join(ROLES)}) and a non-empty text "
                            "content")
        if role == "system" and messages:
            raise UserError(f"{flag} {path}: line {n} is a system turn after other turns: put it first")
        messages.append({"role": role, "content": content})
    if not messages:
        raise UserError(f"{flag} {path}: no messages in the file")
    if messages[-1]["role"] == "user":
        raise UserError(f"{flag} {path}: it ends with a user turn, and each prompt is the next user turn: end it "
                        "with the assistant's reply")
    return messages


def prefixed(prompt, prefix: list[dict[str, str]]) -> list[dict[str, str]]:
    """`prompt` (text, or chat messages) after the prefix's turns; a system turn of its own stays first."""
    from r1cli.curation.output import user_turns
    from r1cli.errors import UserError

    turns = user_turns(prompt)
    own_system = [m for m in turns[:1] if m.get("role") == "system"]
    if own_system and prefix[0]["role"] == "system":
        raise UserError("--chat-prefix has a system turn and the dataset's prompts have their own: drop one")
    return [*own_system, *prefix, *turns[len(own_system):]]
