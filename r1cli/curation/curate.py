"""One curation run: load and check everything (`prepare`, before any output exists or any sample is drawn),
then sample through the generation core with verification overlapping it, judge, dedupe, cap, mix and write
(`execute`, inside the stage's run folder).

The stage's config is a `r1cli.curation.options.CurationOptions` (every stage that curates inherits it) plus
the stage's own `resume` and the model sampled, which `prepare` takes with the flag that names it (reject-sample's
`--model`, distill's `--teacher`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.curation import output
from r1cli.curation.decontaminate import Index, load_index
from r1cli.curation.pipeline import Curator, Settings, Summarize
from r1cli.readability import Readability

STATS = "stats.json"
REJECTED = "rejected.jsonl"


@dataclass
class Plan:
    """Everything a run needs, checked."""

    cfg: Any
    model: str
    rows: list[dict[str, Any]]
    prompts: list
    sampling: Any
    prefill: str
    settings: Settings
    mixes: list
    num_prompts: int
    contaminated: int
    summarize: Summarize | None = None
    count_tokens: Callable[[str], int] | None = field(default=None, repr=False)
    layout: str = "r1"  # how kept responses are written (r1cli.layout.LAYOUTS)
    text: bool = False  # rows are prompt/completion texts, not chat turns (r1cli.curation.output)


def _render(row: dict[str, Any], cfg):
    """A row's prompt under --template; a code row's asks for one fenced Python block instead of \\boxed{}
    (as `r1 eval` asks a code benchmark) under the boxed and chat templates."""
    from r1cli import benchmarks, scoring, templates

    if cfg.template in ("boxed", "chat") and scoring.is_code({**row, "reward": cfg.reward or row.get("reward")}):
        return benchmarks.code_prompt(row, cfg.template == "chat", cfg.system_prompt)
    return templates.render(row["prompt"], cfg.template, cfg.system_prompt)


def prepare(cfg, model: str | None = None, flag: str = "--model", *, render: Callable[[Any], Any] | None = None,
            reasoning_tokens: tuple[int, int] = (0, 0), summarize: Summarize | None = None,
            layout: str = "r1") -> Plan:
    """Check the options and load the inputs; every mistake is a UserError here, before anything is written
    or sampled. `model` is the model to sample (default: `cfg.model`), `flag` the option that gives it. A
    stage may render each dataset prompt its own way (`render`, default the --template), bound the
    reasoning's length in tokens of the sampled model (min, max; 0: no bound) and write each kept sample's
    summary its own way (`summarize`). `layout` is how kept responses are written: "r1", or "sampled" (as the
    model was given and wrote them; a stage's --layout)."""
    from r1cli import data, models, templates
    from r1cli.errors import UserError
    from r1cli.generation import Sampling

    _check_numbers(cfg)
    if not cfg.dataset:
        raise UserError("--dataset is required: the prompts to sample (a dataset spec, e.g. 'task:arith?n=500')")
    model = cfg.model if model is None else model
    models.resolve(model, flag=flag, trust_remote_code=cfg.trust_remote_code)
    # --template auto settled once for the sampled model: the prompts, the stop, the output's form and the
    # manifest's options all read the resolved name
    cfg.template = templates.resolve(cfg.template, [cfg.dataset],
                                     models.tokenizer_loader(model, flag, trust_remote_code=cfg.trust_remote_code))
    if cfg.judge:
        if cfg.judge.startswith(("http://", "https://")):
            raise UserError("--judge takes the judge's model (its tokenizer formats the prompts); give its server "
                            "with --judge-server-url URL")
        models.resolve(cfg.judge, flag="--judge", trust_remote_code=cfg.trust_remote_code)
    if cfg.reward:
        from r1cli import rewards

        rewards.get(cfg.reward)
    try:
        readability = Readability(cfg.min_language_consistency, cfg.max_paragraph_chars, cfg.reject_code_blocks,
                                  cfg.max_repetition)
    except ValueError as e:
        raise UserError(f"readability filter: {e} (see --min-language-consistency, --max-repetition, "
                        "--max-paragraph-chars)") from None
    if cfg.language:
        from r1cli.rewards.language import LANGUAGES

        if cfg.language not in LANGUAGES:
            raise UserError(f"--language {cfg.language}: unknown (known: {', '.join(sorted(LANGUAGES))})")
    index = load_index(_names(cfg.decontaminate), cfg.data_dir) if cfg.decontaminate else None
    from r1cli.rewards.code_tests import check, has_tests

    ds = data.load(cfg.dataset, require_answer=False)  # checked below (tests are a code row's gold)
    check(ds, cfg.dataset)
    if not cfg.judge and not has_tests(ds.column_names) and not any(str(a).strip() for a in ds["answer"]):
        raise UserError(f"{cfg.dataset} has no reference answers to check samples against: name its answer "
                        "column with '?answer=COLUMN', or pass --judge MODEL")
    if not cfg.reward:  # each row verified by the reward it names
        from r1cli.rewards import check_row_rewards

        check_row_rewards(ds, cfg.dataset)
    rows, contaminated = _decontaminate(ds.to_list(), index)
    if not rows:
        raise UserError(f"every prompt of {cfg.dataset} shares an 8-gram with --decontaminate "
                        f"{','.join(cfg.decontaminate)}: nothing left to sample")
    prefill = cfg.prefill.replace("\\n", "\n")
    # R1-Zero prompts base models, which run on past </answer>: stop there (scoring puts the tag back).
    stop = ["</answer>"] if cfg.template == "r1-zero" else []
    sampling = Sampling(n=cfg.num_samples, temperature=cfg.temperature, top_p=cfg.top_p,
                        max_new_tokens=cfg.max_completion_length, stop=stop, seed=cfg.seed, prefill=prefill)
    prompts = [render(r["prompt"]) if render else _render(r, cfg) for r in rows]
    # Text rows when the model read plain text: as sampled, or (R1 layout) the problem as it is, --template plain
    text = output.text_rows(prompts) and (layout == "sampled" or cfg.template == "plain")
    mixes = output.load_mixes(cfg.mix, text=text, layout=layout)
    settings = Settings(readability=readability, language=cfg.language, reward=cfg.reward,
                        judge_when=cfg.judge_when if cfg.judge else None,
                        near_duplicate_threshold=cfg.near_duplicate_threshold, max_per_prompt=cfg.max_per_prompt,
                        select=cfg.select, seed=cfg.seed, min_reasoning_tokens=reasoning_tokens[0],
                        max_reasoning_tokens=reasoning_tokens[1])
    count_tokens = _token_counter(cfg, model, flag) if any(reasoning_tokens) else None
    return Plan(cfg, model, rows, prompts, sampling, prefill, settings, mixes, len(ds), contaminated, summarize,
                count_tokens, layout, text)


def _token_counter(cfg, model: str, flag: str) -> Callable[[str], int]:
    """Tokens of a text in the sampled model's tokenizer, the unit of the reasoning length bounds."""
    from r1cli import models

    tok = models.load_tokenizer(models.resolve(model, flag=flag, trust_remote_code=cfg.trust_remote_code),
                         trust_remote_code=cfg.trust_remote_code)
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def _check_numbers(cfg) -> None:
    from r1cli.errors import UserError

    for name in ("num_samples", "max_completion_length", "shard_size", "judge_max_completion_length"):
        if getattr(cfg, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(cfg, name)}")
    if cfg.max_per_prompt < 0:
        raise UserError(f"--max-per-prompt must be 0 (no cap) or more, got {cfg.max_per_prompt}")
    if not 0 <= cfg.near_duplicate_threshold <= 1:
        raise UserError(f"--near-duplicate-threshold must be in [0, 1] (0: off), got {cfg.near_duplicate_threshold}")
    if cfg.judge_server_url and not cfg.judge:
        raise UserError("--judge-server-url needs --judge MODEL (the judge's tokenizer formats its prompts)")


def _names(values: list[str]) -> list[str]:
    return list(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))


def _decontaminate(rows: list[dict[str, Any]], index: Index | None) -> tuple[list[dict[str, Any]], int]:
    if index is None:
        return rows, 0
    clean = [r for r in rows if not index.contaminated(r["prompt"])]
    if len(clean) < len(rows):
        log.info("decontamination: %d of %d prompts share an 8-gram with the benchmarks and are not sampled",
                 len(rows) - len(clean), len(rows))
    return clean, len(rows) - len(clean)


def execute(plan: Plan, work: Path, engine=None, columns: dict[str, str] | None = None,
            written: Callable[[Any], None] | None = None,
            revise: Callable[[Curator, Path], None] | None = None) -> dict[str, Any]:
    """Sample, curate and write the dataset, rejected.jsonl and stats.json into `work`; returns the stats.
    `engine` may be an open generation Engine (reused, not closed). `columns` are extra dataset columns with
    one value for every curated row (rows mixed in get ""). `revise(curator, work)` runs once the judge has
    spoken, before dedupe: a stage may rewrite the candidates' summaries there (Curator.apply_summaries).
    `written(dataset)` is called once the dataset is saved (a stage that writes more from it need not read
    it back)."""
    from r1cli import data
    from r1cli.generation import generate, open_engine
    from r1cli.layout import split_r1, split_sampled

    cfg = plan.cfg
    curator = Curator(plan.rows, plan.settings, prefill=plan.prefill, stop=plan.sampling.stop,
                      split=split_sampled if plan.layout == "sampled" else split_r1,
                      count_tokens=plan.count_tokens, summarize=plan.summarize)
    owned = engine is None
    if owned:
        engine = open_engine(plan.model, cfg.engine, max_model_len=cfg.max_model_len, server_url=cfg.server_url,
                             seed=cfg.seed, trust_remote_code=cfg.trust_remote_code)
    try:
        generate(engine, plan.prompts, plan.sampling, shard_dir=work / "shards", shard_size=cfg.shard_size,
                 resume=cfg.resume, progress_desc="sampling", on_shard=curator.on_shard)
        curator.wait()
    finally:
        curator.close()
        if owned:
            engine.close()
    if curator.pending():
        _judge(cfg, curator, work)
    if revise is not None:
        revise(curator, work)
    kept = curator.finish()
    ds = output.kept_dataset(kept, plan.rows, cfg.dataset, plan.prompts if plan.layout == "sampled" else None,
                             plan.text)
    ds, mixed = output.mix(ds, plan.mixes, cfg.seed)
    for name, value in (columns or {}).items():
        ds = ds.add_column(name, [value] * len(kept) + [""] * (len(ds) - len(kept)))  # mixed rows come last
    data.save(ds, work)
    if written is not None:
        written(ds)
    data.write_jsonl(output.rejected_rows(curator.rejected(), plan.rows), work / REJECTED)
    stats = {"prompts": plan.num_prompts, "contaminated_prompts": plan.contaminated,
             "samples_per_prompt": cfg.num_samples, "counts": curator.counts(), "mixed_in": mixed, "rows": len(ds)}
    write_stats(stats, work)
    return stats


def record_inputs(run, plan: Plan) -> None:
    """A curation run's inputs in its manifest: the prompts, then the sampled model and the judge."""
    run.add_input("dataset", plan.cfg.dataset)
    for model in (plan.model, plan.cfg.judge):
        if model:
            run.add_input("model", model)


def write_stats(stats: dict[str, Any], work: Path) -> None:
    (work / STATS).write_text(json.dumps(stats, indent=2) + "\n")


def _judge(cfg, curator: Curator, work: Path) -> None:
    from r1cli.curation import judge
    from r1cli.generation import open_engine

    prompts = curator.judge_prompts()
    log.info("asking the judge about %d sample(s)", len(prompts))
    engine = "server" if cfg.judge_server_url else ("auto" if cfg.engine == "server" else cfg.engine)
    with open_engine(cfg.judge, engine, server_url=cfg.judge_server_url,
                     trust_remote_code=cfg.trust_remote_code) as eng:  # its own context length
        curator.apply_verdicts(judge.ask(eng, prompts, max_new_tokens=cfg.judge_max_completion_length,
                                         shard_dir=work / "judge-shards", resume=cfg.resume))

