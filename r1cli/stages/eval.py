"""r1 eval: the DeepSeek-R1 evaluation protocol. K samples per problem at temperature 0.6 and top-p 0.95,
scored by answer correctness, reported as pass@k, cons@K (majority vote) and friends.

    r1 eval --model runs/grpo --benchmark math500,aime24 --data-dir ../shared/data --output runs/eval
    r1 eval --model tiny --benchmark 'task:arith?split=test&n=200' --num-samples 8 --output runs/eval-arith
    r1 eval --generations old/generations.jsonl --output runs/rescored      # score without a model

Benchmarks: gsm8k, math500, aime24, amc23 (hub by default, or NAME/test.jsonl under --data-dir; see
r1cli.benchmarks), or any dataset spec (task:NAME?..., a file, a hub name with prompt/answer columns). Several
benchmarks share one engine load. The paper sampled 64 times per AIME problem and 4-16 times otherwise, with
32,768 new tokens; the defaults here (4 samples, 2,048 tokens) fit a small machine.

Each sample is judged by r1cli.scoring: its answer is extracted from `prefill + completion`, its correctness
comes from the reward registry (accuracy, or the row's own `reward` such as countdown), and it is truncated
when it ended on the token limit or left a <think>/<answer> unclosed. Truncation only removes a sample from the
cons@K vote. Metric definitions: r1cli.metrics.

`--generations FILE.jsonl` scores rows `{"id", "answer", "completions": [...]}` (optional `benchmark`,
`finish_reasons`, `num_tokens`, `subject`/`level`, and reward columns such as `reward`/`numbers`/`target`),
grouped into benchmarks by their `benchmark` column (rows without one: the file's stem). Missing
finish_reasons count as "stop"; without num_tokens, mean_completion_tokens is null. --num-samples K uses the
first K completions of each row; by default every row uses all of its own and K (the k values, the cons@K
name) is the fewest any row of its benchmark has. Every run writes `generations.jsonl` in that format, so
rescoring a run's own generations reproduces its metrics.

Output folder: results.json, samples.jsonl and dataset/ (one row per sample), generations.jsonl and the
manifest. The raw generations are kept in shards/ of OUTPUT.partial while the run works (--resume continues
from them after a crash) and dropped when it finishes.

The results table goes to stdout (logs and progress to stderr), so `r1 eval ... > results.txt` keeps it;
with --json, stdout holds only results.json and the table goes to stderr.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.config import defaults, option
from r1cli.generation.options import SamplingOptions
from r1cli.scoring import Problem

HELP = "Evaluate a model the DeepSeek-R1 way: K samples per problem, pass@k, cons@K (majority vote)."
EXAMPLE = "r1 eval --model runs/grpo --benchmark math500,aime24 --data-dir ../shared/data --output runs/eval"

DEFAULT_SAMPLES = SamplingOptions.num_samples  # K when neither --num-samples nor --generations gives it
GENERATION_KEYS = {"id", "prompt", "answer", "benchmark", "completions", "finish_reasons", "num_tokens"}


@dataclass
class _Inputs:
    """What is evaluated on what (listed before the sampling options in --help)."""

    # not required: --generations scores a file without a model (checked in _check)
    model: str | None = option(
        None, "Model: tiny, a checkpoint folder (an r1 output folder works) or a hub name; required unless "
        "--generations.", short="-m")
    benchmark: list[str] = option(
        [], "Benchmarks, comma-separated: gsm8k, math500, aime24, amc23, task:NAME?split=test&n=500, "
        "a data file, or a hub dataset spec.", short="-b")
    output: str | None = option(
        None, "Output folder (results.json, per-sample dataset, manifest).", short="-o", required=True)


@dataclass
class Config(defaults(SamplingOptions, num_samples=None, template=None), _Inputs):
    data_dir: str | None = option(
        None, "Local benchmark folder laid out as NAME/test.jsonl (e.g. ../shared/data); default: the hub.")
    data_file: str | None = option(
        None, "Local file for the one benchmark named (instead of the hub); alone, the file is the "
        "benchmark.")
    generations: str | None = option(
        None, "Score this .jsonl of completions instead of generating (no model).")
    limit: int | None = option(None, "Only the first N problems of each benchmark.", min=1)
    resume: bool = option(False, "Continue a crashed run from the generation shards in OUTPUT.partial.")
    overwrite: bool = option(False, "Replace the output folder if it exists.")
    json: bool = option(False, "Print results.json to stdout.")


def run(cfg: Config, engine=None) -> dict:
    """Run the evaluation; `engine` may be an already open generation Engine (it is reused, not closed)."""
    from r1cli import data, models, runs

    _check(cfg, engine)
    if cfg.model and engine is None:  # a bad --model fails before the output folder exists
        models.resolve(cfg.model, flag="--model", trust_remote_code=cfg.trust_remote_code)
    if cfg.generations:
        problems = load_generations(cfg.generations, cfg.num_samples, cfg.limit)
        sources = {name: cfg.generations for name in problems}
    else:
        names = _names(cfg.benchmark) or [cfg.data_file]
        sources = {name: _source(name, cfg) for name in names}
        loaded = {name: _load(name, spec, cfg.limit) for name, spec in sources.items()}
    with runs.run_dir("eval", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        for spec in dict.fromkeys(sources.values()):
            run.add_input("dataset", spec)
        used_templates: dict[str, str | None] = {}
        if not cfg.generations:
            run.add_input("model", cfg.model or engine.model_path)
            problems, used_templates = _generate_all(cfg, loaded, run.path, engine)
        model = cfg.model or getattr(engine, "model_path", None)
        results = {"benchmarks": {}, "model": model, "generations": cfg.generations,
                   "sampling": None if cfg.generations else _sampling_record(cfg)}
        rows: list[dict[str, Any]] = []
        for name, probs in problems.items():
            k = min(len(p.texts) for p in probs)
            res, sample_rows = score_benchmark(name, probs, k)
            res["source"], res["template"] = sources[name], used_templates.get(name)
            results["benchmarks"][name] = res
            rows += sample_rows
        (run.path / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
        data.write_jsonl(rows, run.path / "samples.jsonl")
        data.write_jsonl([_generation_row(name, p) for name, probs in problems.items() for p in probs],
                         run.path / "generations.jsonl")
        import datasets as hf_datasets

        if log.verbosity() <= 0:
            hf_datasets.disable_progress_bars()
        data.save(hf_datasets.Dataset.from_list(rows), run.path)
        run.metrics = {name: res["metrics"] for name, res in results["benchmarks"].items()}
        shutil.rmtree(run.path / "shards", ignore_errors=True)  # only --resume reads them, and a finished run is not resumed
    log.info(f"wrote {len(rows):,} samples and results.json to {run.final}")
    # stdout carries the results: the table, or with --json only the JSON (the table then goes to stderr)
    print_table(results, log.console if cfg.json else log.stdout)
    if cfg.json:
        print(json.dumps(results, indent=2, default=str))
    return results


def _check(cfg: Config, engine) -> None:
    from r1cli.errors import UserError

    if cfg.generations:
        if cfg.model or cfg.benchmark:
            raise UserError("--generations scores a file without a model: drop --model and --benchmark")
        return
    if not cfg.model and engine is None:
        raise UserError("--model is required (or --generations FILE to score completions without a model)")
    if not _names(cfg.benchmark) and not cfg.data_file:
        raise UserError("--benchmark is required, e.g. --benchmark gsm8k,math500 (see 'r1 eval --help')")
    if cfg.data_file and len(_names(cfg.benchmark)) > 1:
        raise UserError("--data-file is for a single benchmark: name at most one with --benchmark")


def _names(values: list[str]) -> list[str]:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def _source(name: str, cfg: Config) -> str:
    from r1cli import benchmarks

    return benchmarks.source(name, data_dir=cfg.data_dir, data_file=cfg.data_file)


def _load(name: str, spec: str, limit: int | None):
    from r1cli import benchmarks, data
    from r1cli.errors import UserError

    try:
        return data.load(spec, limit=limit)
    except UserError as e:
        if spec == getattr(benchmarks.BENCHMARKS.get(name), "hub", None):
            hint = f"; or pass --data-dir DIR holding {benchmarks.BENCHMARKS[name].file}"
            raise UserError(f"{e}{hint}") from None
        raise


def _sampling_record(cfg: Config) -> dict[str, Any]:
    return {"num_samples": cfg.num_samples or DEFAULT_SAMPLES, "temperature": cfg.temperature,
            "top_p": cfg.top_p, "max_completion_length": cfg.max_completion_length, "seed": cfg.seed, "template": cfg.template,
            "prefill": cfg.prefill, "system_prompt": cfg.system_prompt}


def _generate_all(cfg: Config, datasets: dict, work: Path, engine):
    """Sample every benchmark with one engine; returns ({name: problems}, {name: template used})."""
    from r1cli import benchmarks, templates
    from r1cli.generation import generate, open_engine

    owned = engine is None
    if owned:
        engine = open_engine(cfg.model, cfg.engine, max_model_len=cfg.max_model_len,
                             server_url=cfg.server_url, seed=cfg.seed, trust_remote_code=cfg.trust_remote_code)
    problems, used = {}, {}
    prefill = cfg.prefill.replace("\\n", "\n")
    try:
        for name, ds in datasets.items():
            template = cfg.template or _auto_template(name, engine)
            sampling = _sampling(cfg, template, prefill)
            prompts = [templates.render(p, template, cfg.system_prompt) for p in ds["prompt"]]
            shard_dir = work / "shards" / benchmarks.folder_name(name)
            outs = generate(engine, prompts, sampling, shard_dir=shard_dir, shard_size=cfg.shard_size,
                            resume=cfg.resume, progress_desc=name)
            problems[name] = [Problem.from_completions(row, comps, prefill, sampling.stop)
                              for row, comps in zip(ds, outs, strict=True)]
            used[name] = template
    finally:
        if owned:
            engine.close()
    return problems, used


def _auto_template(name: str, engine) -> str:
    from r1cli import benchmarks

    if benchmarks.template_hint(name) == "plain":
        return "plain"
    has_chat = bool(getattr(getattr(engine, "tokenizer", None), "chat_template", None))
    return "chat" if has_chat else "boxed"


def _sampling(cfg: Config, template: str, prefill: str):
    from r1cli.generation import Sampling

    # R1-Zero prompts base models, which run on past </answer>: stop there (the tag is put back when scoring).
    stop = ["</answer>"] if template == "r1-zero" else []
    return Sampling(n=cfg.num_samples or DEFAULT_SAMPLES, temperature=cfg.temperature, top_p=cfg.top_p,
                    max_new_tokens=cfg.max_completion_length, stop=stop, seed=cfg.seed, prefill=prefill)


def load_generations(path: str, num_samples: int | None, limit: int | None) -> dict[str, list[Problem]]:
    """{benchmark: problems} from a generations .jsonl, benchmarks in the order they first appear, the first
    `limit` rows of each (see the module docstring)."""
    from r1cli import data
    from r1cli.errors import UserError
    from r1cli.rewards import completion_text

    if not Path(path).is_file():
        raise UserError(f"generations file not found: {path} (give a .jsonl with id/answer/completions rows)")
    rows = data.read_jsonl(Path(path))
    if not rows:
        raise UserError(f"generations file {path} has no rows")
    problems: dict[str, list[Problem]] = {}
    for n, row in enumerate(rows, 1):
        name = str(row.get("benchmark") or Path(path).stem)
        if limit is not None and len(problems.get(name, ())) >= limit:
            continue
        comps = row.get("completions")
        if not isinstance(comps, list) or not comps:
            raise UserError(f"{path} row {n}: 'completions' must be a non-empty list of strings")
        k = num_samples or len(comps)
        if len(comps) < k:
            raise UserError(f"{path} row {n} has {len(comps)} completions, fewer than --num-samples {k}")
        finish = row.get("finish_reasons") or ["stop"] * len(comps)
        tokens = row.get("num_tokens") or [None] * len(comps)
        if len(finish) != len(comps) or len(tokens) != len(comps):
            raise UserError(f"{path} row {n}: finish_reasons/num_tokens must have one entry per completion")
        gold, _ = data.derive_answer(row.get("answer"), row.get("solution"))
        extras = {k: v for k, v in row.items() if k not in GENERATION_KEYS}
        problems.setdefault(name, []).append(Problem(
            id=str(row.get("id", n - 1)), prompt=row.get("prompt", ""), gold=gold, extras=extras,
            texts=[completion_text(c) for c in comps[:k]], tokens=list(tokens[:k]),
            finish=[str(f) for f in finish[:k]]))
    return problems


def score_benchmark(name: str, problems: list[Problem], k: int) -> tuple[dict, list[dict[str, Any]]]:
    """(the benchmark's results entry, one row per sample)."""
    from r1cli import scoring

    judged = scoring.score(problems)
    rows = [{"benchmark": name, "id": p.id, "sample": j, "prompt": _as_text(p.prompt), "completion": p.texts[j],
             "answer": p.gold, "extracted": v.extracted, "correct": v.correct, "truncated": v.truncated,
             "num_tokens": p.tokens[j], "finish_reason": p.finish[j]}
            for p, verdicts in zip(problems, judged, strict=True) for j, v in enumerate(verdicts)]
    return scoring.summarize(problems, judged, k), rows


def _as_text(prompt) -> str:
    return prompt if isinstance(prompt, str) else json.dumps(prompt, ensure_ascii=False)


def _generation_row(benchmark: str, p: Problem) -> dict[str, Any]:
    return {"id": p.id, "prompt": p.prompt, "answer": p.gold, **p.extras, "benchmark": benchmark,
            "completions": p.texts, "finish_reasons": p.finish, "num_tokens": p.tokens}


def headers(names: list[str]) -> dict[str, str]:
    """Table headers: a data file's (or local folder's) name instead of its whole spec, unless two benchmarks
    would share one."""
    from r1cli import data

    def short(name: str) -> str:
        source = data.parse_spec(name)[0]
        path = Path(source).expanduser()
        local = not source.startswith("task:") and (path.suffix in data.FILE_FORMATS or path.is_dir())
        return path.name if local and path.name else name

    short_names = {name: short(name) for name in names}
    counts = {s: list(short_names.values()).count(s) for s in short_names.values()}
    return {name: s if counts[s] == 1 else name for name, s in short_names.items()}


def print_table(results: dict[str, Any], console) -> None:
    """One column per benchmark, one row per metric (percentages), then the subject/level breakdowns."""
    from rich.table import Table

    benches = results["benchmarks"]
    header = headers(list(benches))
    keys: list[str] = []
    for res in benches.values():
        keys += [k for k in res["metrics"] if k not in keys and k != "mean_completion_tokens"]
    table = Table(title="r1 eval (metrics in %)", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name in benches:
        table.add_column(header[name], justify="right", overflow="fold")
    table.add_row("problems", *(str(res["num_problems"]) for res in benches.values()))
    table.add_row("samples (K)", *(str(res["num_samples"]) for res in benches.values()))
    for key in keys:
        values = (res["metrics"].get(key) for res in benches.values())
        table.add_row(key, *("" if v is None else f"{100 * v:.1f}" for v in values))
    tokens = (res["metrics"].get("mean_completion_tokens") for res in benches.values())
    table.add_row("mean tokens", *("" if t is None else f"{t:.0f}" for t in tokens))
    console.print(table)
    for name, res in benches.items():
        for column, groups in res.get("breakdown", {}).items():
            cons = f"cons@{res['num_samples']}"
            sub = Table(title=f"{header[name]} by {column}", title_justify="left")
            for col in (column, "problems", "pass@1", cons):
                sub.add_column(col, justify="left" if col == column else "right")
            for value, g in groups.items():
                sub.add_row(value, str(g["num_problems"]), f"{100 * g['pass@1']:.1f}", f"{100 * g[cons]:.1f}")
            console.print(sub)
