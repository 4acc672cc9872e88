"""r1 eval's sampling: every benchmark of one model through one engine, each with its template (the template
rule of r1cli.templates, with code and multiple-choice prompts on top) and the paper's sampling settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.generation.options import SamplingOptions
from r1cli.scoring import Problem

DEFAULT_SAMPLES = SamplingOptions.num_samples  # K when neither --num-samples nor --generations gives it


def sampling_record(cfg) -> dict[str, Any]:
    return {"num_samples": cfg.num_samples or DEFAULT_SAMPLES, "temperature": cfg.temperature,
            "top_p": cfg.top_p, "max_completion_length": cfg.max_completion_length, "seed": cfg.seed, "template": cfg.template,
            "prefill": cfg.prefill, "system_prompt": cfg.system_prompt}


def generate_all(cfg, model: str, datasets: dict, work: Path, engine):
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


def _sampling(cfg, template: str, prefill: str):
    from r1cli.generation import Sampling

    # R1-Zero prompts base models, which run on past </answer>: stop there (the tag is put back when scoring).
    stop = ["</answer>"] if template == "r1-zero" else []
    return Sampling(n=cfg.num_samples or DEFAULT_SAMPLES, temperature=cfg.temperature, top_p=cfg.top_p,
                    max_new_tokens=cfg.max_completion_length, stop=stop, seed=cfg.seed, prefill=prefill)
