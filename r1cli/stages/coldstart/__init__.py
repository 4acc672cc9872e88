"""r1 coldstart: the cold-start data of DeepSeek-R1 (section 2.3.1), a set of long chains of thought in a
readable layout that the base model is fine-tuned on before reasoning RL.

    r1 coldstart --model runs/demo/grpo --dataset 'task:arith?n=500' --mode zero --template plain --output runs/cs
    r1 coldstart --model SmolLM2 --dataset gsm8k --mode fewshot --template chat --output runs/cs
    r1 coldstart --review runs/cs
    r1 coldstart --from-review runs/cs/review.jsonl --output runs/cs-reviewed

The generator is prompted one of three ways (--mode, prompts.py; built-in exemplars in exemplars.jsonl): few-shot long-CoT exemplars,
an instruction to answer in detail with reflection and verification, or the prompt as --template renders it
(`--template r1-zero` gathers an R1-Zero checkpoint's outputs). Sampling, verification, the readability and reasoning-length filters, dedupe
and the per-prompt cap are the curation core's (r1cli.curation), as in `r1 reject-sample`. Every kept
response is re-written as `<think>\\nREASONING\\n</think>\\n\\nSUMMARY`, the summary built from the verified
answer (--summary answer), the model's own text after the reasoning (--summary keep) or a summarizer
model shown the question and the reasoning (--summary model --summarizer MODEL; a summary whose answer is
not the verified one rejects its sample: "bad_summary").

Output folder: dataset/ (messages, prompt, answer, id, mode, source, num_tokens, verified_by), review.jsonl
(one editable row per kept sample, for a human pass: edit `reasoning`/`summary`, set `accept` false to drop
a row, then --from-review; or --review DIR: the same in the browser, r1cli.stages.coldstart.serve),
preview.html (prompt, reasoning and summary side by side, one self-contained page), rejected.jsonl,
stats.json (the count per reason) and the manifest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from r1cli import log
from r1cli.config import TOKENS, option
from r1cli.curation.options import CurationOptions
from r1cli.stages.coldstart.prompts import MODES

HELP = ("Cold-start data: prompt a model for long chains of thought (few-shot, reflect or R1-Zero), keep the "
        "correct, readable ones in the R1 layout with a summary, review them by hand; writes a dataset r1 sft "
        "trains on.")
EXAMPLE = ("r1 coldstart --model runs/demo/grpo --dataset 'task:arith?n=500' --mode zero --template plain "
           "--output runs/cs")
SUMMARIES = ["answer", "keep", "model"]


@dataclass
class Config(CurationOptions):
    # --dataset is not needed with --from-review (checked in run), so it is declared again, not required
    dataset: str | None = option(
        None, "Prompts to sample, a dataset spec (task:NAME?..., a file, a folder, a hub dataset) with an "
        "answer column to check against, unless --judge. Not used with --from-review.", short="-d")
    # not required: --from-review samples nothing (checked in run)
    model: str | None = option(None, "Model to sample: tiny, a checkpoint folder or a hub name. Not used with "
                               "--from-review.", short="-m")
    mode: str = option("zero", "How the model is prompted: fewshot (long-CoT exemplars first), reflect (asked "
                       "for a detailed answer with reflection and verification) or zero (the prompt as --template "
                       "renders it; --template r1-zero for an R1-Zero checkpoint).", choices=list(MODES))
    exemplars: str | None = option(None, "Few-shot exemplars, a jsonl file of prompt, reasoning, summary rows "
                                   "(default: built-in ones for the dataset's task, else for math).")
    num_exemplars: int = option(2, "Exemplars before each prompt in fewshot mode (the first K, in order).", min=1)
    summary: str = option("answer", "The summary after the reasoning: answer (a closing sentence with the "
                          "verified answer in \\boxed{}), keep (the model's own text after </think>) or model "
                          "(written by --summarizer; one whose answer is not the verified one is rejected).",
                          choices=SUMMARIES)
    summarizer: str | None = option(None, "Model writing the summaries of --summary model (any --model "
                                    "reference), shown the question and the reasoning.")
    summarizer_max_completion_length: int = option(256, "Most new tokens of a summary from --summarizer.", min=1, **TOKENS)
    min_reasoning_tokens: int = option(0, "Fewest tokens of reasoning a kept sample has (cold-start data is "
                                       "long CoT); 0: no bound.", min=0)
    max_reasoning_tokens: int = option(0, "Most tokens of reasoning a kept sample has; 0: no bound.", min=0)
    from_review: str | None = option(None, "A review.jsonl of an earlier run, edited by hand: re-check its "
                                     "accepted rows (layout, answer, filters) and write them as the dataset.")
    review: str | None = option(None, "A run's folder: serve its review.jsonl as a page on 127.0.0.1 to accept, "
                                "reject and edit samples in the browser (saved to the file as you go; then "
                                "--from-review). Not with --dataset or --from-review.")
    # required unless --review, which only edits the run it is given (checked in run)
    output: str | None = option(None, "Output folder (dataset/, review.jsonl, preview.html, rejected.jsonl, "
                                "stats.json, manifest).", short="-o")
    resume: bool = option(False, "Continue a killed run from the shards in OUTPUT.partial.")
    overwrite: bool = option(False, "Replace the output folder if it exists.")

    # --from-review samples nothing: it re-checks the rows of a review file
    UNUSED_WHEN = {"from_review": ("dataset", "num_samples", "temperature", "top_p", "max_completion_length",
                                   "prefill", "engine", "server_url", "max_model_len", "shard_size", "resume")}


def run(cfg: Config, engine=None) -> dict:
    """Build the cold-start set (or, with --from-review, the reviewed set); `engine` may be an open
    generation Engine (reused, not closed)."""
    from r1cli import models, runs
    from r1cli.curation import curate, output
    from r1cli.errors import UserError
    from r1cli.stages.coldstart import review, summarizer

    if cfg.review:
        if cfg.from_review or cfg.dataset:
            raise UserError(f"--review serves an existing run; drop --{'from-review' if cfg.from_review else 'dataset'}")
        from r1cli.stages.coldstart import serve

        return serve.main(cfg)
    if not cfg.output:
        raise UserError("--output is required")
    if cfg.from_review:
        return review.finalize(cfg)
    if not cfg.model:
        raise UserError("--model is required: the model to sample (or --from-review FILE)")
    if not cfg.dataset:
        raise UserError("--dataset is required: the prompts to sample (or --from-review FILE)")
    if cfg.exemplars and cfg.mode != "fewshot":
        raise UserError(f"--exemplars is used only with --mode fewshot (this run's mode is {cfg.mode})")
    if cfg.max_reasoning_tokens and cfg.min_reasoning_tokens > cfg.max_reasoning_tokens:
        raise UserError(f"--min-reasoning-tokens {cfg.min_reasoning_tokens} is above --max-reasoning-tokens "
                        f"{cfg.max_reasoning_tokens}")
    if (cfg.summary == "model") != bool(cfg.summarizer):
        raise UserError("--summary model needs --summarizer MODEL" if cfg.summarizer is None
                        else f"--summarizer is used only with --summary model (this run's is {cfg.summary})")
    plan = curate.prepare(cfg, render=_renderer(cfg), summarize=_summarizer(cfg),
                          reasoning_tokens=(cfg.min_reasoning_tokens, cfg.max_reasoning_tokens))
    if cfg.summarizer:
        models.resolve(cfg.summarizer, flag="--summarizer", trust_remote_code=cfg.trust_remote_code)
    with runs.run_dir("coldstart", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        curate.record_inputs(run, plan)
        if cfg.summarizer:
            run.add_input("model", cfg.summarizer)
        review_id = uuid.uuid4().hex  # ties review.jsonl to this run
        reviewed = []
        stats = curate.execute(plan, run.path, engine, columns={"mode": cfg.mode},
                               written=lambda ds: reviewed.append(review.write(run.path, ds, plan.rows, review_id, cfg)),
                               revise=partial(summarizer.revise, cfg) if cfg.summarizer else None)
        stats["review_id"], stats["review_rows"] = review_id, reviewed[0]
        curate.write_stats(stats, run.path)
        run.metrics = stats
    output.print_table(stats, "r1 coldstart")
    log.info(f"wrote {stats['rows']:,} rows ({stats['counts']['kept']:,} kept samples) to {run.final}; review "
             f"them in {run.final / review.PREVIEW} and {run.final / review.REVIEW}")
    return stats


def _renderer(cfg: Config):
    from r1cli.stages.coldstart import prompts

    exemplars = []
    if cfg.mode == "fewshot":
        exemplars = (prompts.load_exemplars(cfg.exemplars) if cfg.exemplars
                     else prompts.builtin_exemplars(_task(cfg.dataset)))[:cfg.num_exemplars]
    return lambda prompt: prompts.render(prompt, cfg.mode, cfg.template, cfg.system_prompt, exemplars)


def _task(spec: str) -> str:
    return spec.split(":", 1)[1].split("?", 1)[0] if spec.startswith("task:") else "math"


def _summarizer(cfg: Config):
    from r1cli.stages.coldstart.prompts import answer_summary

    if cfg.summary != "answer":
        return None  # the model's own text after </think>, which a summarizer may replace
    # the extracted answer is what verification checked; a judge-verified sample may have none to box
    return lambda s: answer_summary(s.extracted) if (s.extracted or "").strip() else s.summary
