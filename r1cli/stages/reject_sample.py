"""r1 reject-sample: the rejection sampling of DeepSeek-R1 (section 2.3.3). Sample several responses per prompt
from a reasoning checkpoint, keep the correct and readable ones in the R1 layout, mix in non-reasoning data,
and write a dataset `r1 sft --dataset DIR` trains on as it is.

    r1 reject-sample --model runs/grpo --dataset 'task:arith?n=2000&seed=3' --template plain --num-samples 4 \\
        --output runs/rs
    r1 reject-sample --config recipes/qwen2.5-math-7b/reject-sample.yaml

The work is the curation core's (r1cli.curation): sampling through the generation core (any engine,
`--server-url` once per server, resumable shards) with each finished shard verified by the reward verifier's
processes while the next is sampled; correctness by the row's `reward` column or `--reward` (default
accuracy), or a `--judge` model; the readability filters; the R1 layout; exact and near-duplicate removal; a
per-prompt cap. Prompts sharing a word 8-gram with a `--decontaminate` benchmark are not sampled at all.

Output folder: dataset/ (messages, prompt, answer, id, source, num_tokens, verified_by; with `--layout sampled`
the prompts and responses exactly as sampled, text prompts as prompt/completion texts), rejected.jsonl (each
dropped sample with its reason), stats.json (the count per reason, adding up to the samples generated),
shards/ (the raw samples; --resume continues from them) and the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option
from r1cli.curation.options import CurationOptions, LayoutOptions

HELP = ("Rejection sampling: sample a reasoning model, keep correct, readable, deduplicated responses in the "
        "R1 layout, mix in non-reasoning data; writes a dataset r1 sft trains on.")
EXAMPLE = ("r1 reject-sample --model runs/grpo --dataset 'task:arith?n=2000&seed=3' --template plain "
           "--num-samples 4 --output runs/rs")


@dataclass
class Config(LayoutOptions, CurationOptions):  # the curation options first
    model: str = option(None, "Model to sample: tiny, a checkpoint folder (e.g. the reasoning-RL output) or a "
                        "hub name.", short="-m", required=True)
    output: str | None = option(None, "Output folder (dataset/, rejected.jsonl, stats.json, manifest).", short="-o", required=True)
    resume: bool = option(False, "Continue a killed run from the shards in OUTPUT.partial.")
    overwrite: bool = option(False, "Replace the output folder if it exists.")


def run(cfg: Config, engine=None) -> dict:
    """Run rejection sampling; `engine` may be an already open generation Engine (reused, not closed)."""
    from r1cli import runs
    from r1cli.curation import curate, output

    plan = curate.prepare(cfg, layout=cfg.layout)
    with runs.run_dir("reject-sample", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        curate.record_inputs(run, plan)
        stats = curate.execute(plan, run.path, engine)
        run.metrics = stats
    output.print_table(stats, "r1 reject-sample")
    log.info(f"wrote {stats['rows']:,} rows ({stats['counts']['kept']:,} kept samples) to {run.final}")
    return stats
