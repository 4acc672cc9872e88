"""Named evaluation benchmarks, as data: where each lives on the hub, where its file sits in a local data
folder (the `../shared/data` layout: NAME/test.jsonl), and how to prompt it.

`template` is the prompt hint used when `r1 eval` gets no --template: "math" means the paper's
"Please reason step by step, and put your final answer within \\boxed{}." instruction, inside the model's chat
template when its tokenizer has one (`chat`), as plain text otherwise (`boxed`); "choice" means the row's own
multiple-choice prompt (r1cli.choices), inside the chat template when there is one, else as it is; "question"
the same for a question asked as it is (SimpleQA). `rows` names the r1cli.choices loader that turns the hub's
columns into rows with lettered options. A `judged` benchmark's answers are graded by `r1 eval --judge MODEL`
(correct, incorrect or not attempted), no rule being able to compare short factual answers. `paper_k` is the number
of samples per problem the DeepSeek-R1 paper used (documentation only; --num-samples decides).

A local file is NAME/test.jsonl, .csv or .parquet under --data-dir, in the hub's own columns.

Anything else given as a benchmark is a dataset spec read by r1cli.data.load: `task:NAME?split=test&n=500`,
a local file or folder, or a hub dataset with prompt/answer columns. Task specs are prompted as they are
(`plain`), the built-in tasks being written for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from r1cli.errors import UserError


@dataclass(frozen=True)
class Benchmark:
    hub: str  # dataset spec on the hub
    file: str  # path relative to a --data-dir
    template: str = "math"
    paper_k: int = 16
    rows: str | None = None  # an r1cli.choices loader
    judged: bool = False  # graded by --judge


BENCHMARKS: dict[str, Benchmark] = {
    "gsm8k": Benchmark(hub="openai/gsm8k?config=main&split=test", file="gsm8k/test.jsonl", paper_k=4),
    "math500": Benchmark(hub="HuggingFaceH4/MATH-500?split=test", file="math500/test.jsonl", paper_k=4),
    "aime24": Benchmark(hub="HuggingFaceH4/aime_2024?split=train", file="aime24/test.jsonl", paper_k=64),
    "amc23": Benchmark(hub="math-ai/amc23?split=test", file="amc23/test.jsonl", paper_k=16),
    "gpqa-diamond": Benchmark(hub="Idavidrein/gpqa?config=gpqa_diamond&split=train", file="gpqa-diamond/test.jsonl",
                              template="choice", paper_k=64, rows="gpqa"),
    "mmlu": Benchmark(hub="cais/mmlu?config=all&split=test", file="mmlu/test.jsonl", template="choice", paper_k=1,
                      rows="mmlu"),
    "mmlu-pro": Benchmark(hub="TIGER-Lab/MMLU-Pro?split=test", file="mmlu-pro/test.jsonl", template="choice",
                          paper_k=1, rows="mmlu-pro"),
    # the published CSV (metadata, problem, answer), one split
    "simpleqa": Benchmark(hub="basicv8vc/SimpleQA?split=train", file="simpleqa/test.csv", template="question",
                          paper_k=1, judged=True),
}
LOCAL_FORMATS = (".jsonl", ".csv", ".parquet")


def is_spec(name: str) -> bool:
    """Whether a benchmark name is really a dataset spec (task, path, or hub name with an owner)."""
    source = name.partition("?")[0]
    return source.startswith("task:") or "/" in source or Path(source).suffix != "" or Path(source).exists()


def source(name: str, *, data_dir: str | None = None, data_file: str | None = None) -> str:
    """The dataset spec to load for benchmark `name`."""
    if data_file is not None:
        return data_file
    if name in BENCHMARKS:
        bench = BENCHMARKS[name]
        if data_dir is None:
            return bench.hub
        local = Path(data_dir).expanduser() / bench.file
        found = [local.with_suffix(ext) for ext in LOCAL_FORMATS if local.with_suffix(ext).is_file()]
        if not found:
            others = " or ".join(ext for ext in LOCAL_FORMATS if ext != local.suffix)
            raise UserError(f"benchmark {name}: {local} not found (--data-dir must hold {bench.file}, "
                            f"or the same as {others})")
        return str(found[0])
    if is_spec(name):
        return name
    raise UserError(f"unknown benchmark '{name}' (known: {', '.join(BENCHMARKS)}; or give task:NAME, "
                    "a data file, or a hub dataset such as owner/name?split=test)")


def template_hint(name: str) -> str:
    """'math' for the named benchmarks and dataset specs, 'plain' for built-in tasks."""
    if name in BENCHMARKS:
        return BENCHMARKS[name].template
    return "plain" if name.startswith("task:") else "math"


def own_prompt(name: str) -> bool:
    """Whether the benchmark's rows carry their whole prompt (no instruction is added to it)."""
    return template_hint(name) in ("choice", "question")


def judged(name: str) -> bool:
    return name in BENCHMARKS and BENCHMARKS[name].judged


def folder_name(name: str) -> str:
    """A file-system-safe folder name for a benchmark (its shards live there)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "benchmark"
    if safe != name:
        import hashlib

        safe = f"{safe[:60]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return safe
