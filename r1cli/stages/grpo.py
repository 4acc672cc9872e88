"""r1 grpo: reinforcement learning with verifiable rewards (GRPO) on TRL's GRPOTrainer.

The dataset's prompts go through --template (auto, the default: plain for built-in task: datasets, else chat
when the model has a chat template, else boxed; r1-zero, asked for: the paper's prompt for base models); its
other columns (answer, ...) reach the reward functions. Every step appends to DIR/metrics.jsonl; at the end
DIR holds the trained model and curves.png (accuracy, each reward, response length, and held-out pass@1 with --eval-every).

The options and the training body are the RL core's (r1cli.rl), shared with `r1 align`; this stage is GRPO on
one dataset with rule rewards.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.rl import RLOptions

HELP = "Train a model with GRPO (R1-Zero style RL) on verifiable rewards, on TRL's GRPOTrainer."
EXAMPLE = ("r1 grpo --model runs/sft --dataset 'task:arith?n=2000' --reward accuracy --reward format:0.5 "
           "--group-size 8 --template plain --max-steps 200 --output runs/grpo")


@dataclass
class Config(RLOptions):
    pass


def run(cfg: Config) -> dict:
    from r1cli import rewards
    from r1cli.rl import train

    train.check(cfg)
    specs = rewards.parse_specs(cfg.reward)
    train.resolve_template(cfg, [cfg.dataset])
    dataset = train.prepare_dataset(cfg.dataset, cfg.template, cfg.system_prompt)
    heldout = train.prepare_dataset(cfg.eval_dataset, cfg.template, cfg.system_prompt) if cfg.eval_every else None
    return train.run(cfg, "grpo", specs, dataset, heldout=heldout, inputs=[("dataset", cfg.dataset)],
                     panels=train.panels(specs))
