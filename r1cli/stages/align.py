"""r1 align: RL for all scenarios (DeepSeek-R1's stage 4) on a mix of reasoning and general prompts.

It runs on the RL core that `r1 grpo` runs on (r1cli.rl: the same options, metrics.jsonl, figure, --resume and
--eval-every), with rewards routed by row:

- a row's kind comes from its `kind` column (`reasoning` or `general`) when it has one, else from its reference
  answer: a row with an answer (or with tests: a code problem) is a reasoning row, a row without one a general row;
- reasoning rows are judged by the rule rewards (`--reward`, default accuracy + format + language_consistency),
  except language_consistency, which judges every row's reasoning: the paper's final RL applies it to all data;
- general rows by reward models: `--helpfulness-rm PATH[:WEIGHT]` reads only the *summary* (the text after
  `</think>`, or all of a reply without a think block; one whose think block never closed gets
  --missing-summary-reward), so the judge is neither
  swayed by nor penalises the reasoning; `--harmlessness-rm PATH[:WEIGHT]` reads the *whole response*, so harm
  in the reasoning still counts. Any sequence-classification checkpoint works (`r1 reward-model` output, a
  folder, or a hub name when a hub is reachable).
Every reward gives None on the rows of the other kind (TRL's convention), so a group's advantages come from its
own kind's rewards. `--preference-from-step N` holds the reward-model rewards off until step N (the paper's
later run switches them on for the last 400 of 1,700 steps, against reward hacking); until then general rows
carry no reward and teach nothing.

metrics.jsonl has TRL's per-reward means (each over its own kind's rows), and per kind `KIND/reward` and
`KIND/rewards/NAME/mean`; curves.png draws the reasoning accuracy (and held-out pass@1, computed on the
reasoning rows of --eval-dataset), the two reward-model scores, the rule rewards and the response length.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.config import option
from r1cli.errors import UserError
from r1cli.rl import RLOptions, reward_help

HELP = ("RL for all scenarios: GRPO on reasoning prompts (rule rewards) and general prompts (reward models: "
        "helpfulness on the summary, harmlessness on the whole response).")
EXAMPLE = ("r1 align --model runs/sft --dataset 'task:arith?n=2000,task:general?n=2000' "
           "--helpfulness-rm runs/rm-helpfulness --harmlessness-rm runs/rm-harmlessness --template plain "
           "--group-size 8 --max-steps 100 --output runs/align")


@dataclass
class Config(RLOptions):
    dataset: list[str] = option([], "Training prompts: dataset spec(s), comma-separated, each with an optional "
                                "mixing weight ':W' (as in sft). Rows with an answer are reasoning rows, rows "
                                "without one general rows (or say so in a 'kind' column: reasoning or general).",
                                short="-d", required=True)
    reward: list[str] = option(help=lambda: "Rule reward for the reasoning rows. " + reward_help(),
                               factory=lambda: ["accuracy", "format", "language_consistency"], required=True)
    helpfulness_rm: str | None = option(None, "Reward model that judges the summary (text after </think>, or "
                                        "all of a reply without one) of general rows: PATH[:WEIGHT].")
    harmlessness_rm: str | None = option(None, "Reward model that judges the whole response of general rows, "
                                         "reasoning included: PATH[:WEIGHT].")
    missing_summary_reward: float = option(-1.0, "Helpfulness reward of a general response whose think block "
                                           "never closed (it has no summary), on the reward model's scale.")
    preference_from_step: int = option(0, "Turn the reward-model rewards on from this optimizer step (0: from the "
                                       "start).", min=0)


ROUTING = "kind"
# rule rewards that judge the rows of every kind (the rest judge reasoning rows only)
EVERY_KIND = {"language_consistency"}


def route(ds, spec: str):
    """The dataset with a `kind` column: its own, checked, or derived from the answer or tests."""
    from r1cli.rewards.preference import KINDS

    if ROUTING in ds.column_names:
        for i, value in enumerate(ds[ROUTING]):
            if value not in KINDS:
                raise UserError(f"--dataset {spec} row {i}: column 'kind' must be {' or '.join(KINDS)}, "
                                f"got {value!r}")
        return ds
    from r1cli.rewards.code_tests import has_tests

    # a row with a gold answer, or with tests (a code problem), is checked by rule
    return ds.map(lambda row: {ROUTING: "reasoning" if str(row["answer"] or "").strip() or has_tests(row)
                               else "general"})


def same_columns(parts: list) -> list:
    """The datasets with one set of columns and types: a column missing from one is None there."""
    from datasets import Features

    features = Features()
    for part in parts:
        for name, feature in part.features.items():
            features.setdefault(name, feature)
    filled = []
    for part in parts:
        for name, feature in features.items():
            if name not in part.column_names:
                part = part.add_column(name, [None] * len(part), feature=feature)
        filled.append(part.cast(features).select_columns(list(features)))
    return filled


def load_mix(specs: list[str], seed: int):
    """The training mixture (weights as in sft, through the mixing core), routed, with the untemplated prompt
    kept as `user_prompt` (reward models read the user's words, not the policy's prompt template)."""
    from r1cli import data, mixing

    parts = mixing.parse_mixture(specs)
    loaded = same_columns([route(data.load(spec, require_answer=False), spec) for spec, _ in parts])
    ds, _ = mixing.mix(loaded, [weight for _, weight in parts], seed)
    return ds.map(lambda row: {"user_prompt": row["prompt"]})


def rule_rewards(specs: list[str]) -> list[tuple[str, object, float]]:
    """(name, reward, weight) for the --reward specs, each on the rows of its kind(s) (see EVERY_KIND)."""
    from r1cli import rewards
    from r1cli.rewards.preference import Routed

    return [(name, fn if name in EVERY_KIND else Routed(fn, "reasoning"), weight)
            for name, fn, weight in rewards.parse_specs(specs)]


def reward_models(cfg: Config) -> list[tuple[str, object, float]]:
    """(name, reward, weight) for the reward models given; each checked before any training."""
    from r1cli.rewards.preference import ModelReward, check_checkpoint, parse_model_spec

    out = []
    for name, flag, ref, scope in (("helpfulness", "--helpfulness-rm", cfg.helpfulness_rm, "summary"),
                                   ("harmlessness", "--harmlessness-rm", cfg.harmlessness_rm, "response")):
        if ref:
            path, weight = parse_model_spec(ref, flag)
            checked = check_checkpoint(path, flag, trust_remote_code=cfg.trust_remote_code)
            fn = ModelReward(name, checked, scope, missing=cfg.missing_summary_reward,
                             from_step=cfg.preference_from_step, flag=flag, trust_remote_code=cfg.trust_remote_code)
            out.append((name, fn, weight))
    return out


def check_mix(kinds: list[str], models: list, spec: str) -> None:
    general = kinds.count("general")
    if general and not models:
        raise UserError(f"--dataset {spec} has {general:,} general row(s) (no answer, or kind=general) but no "
                        "reward model judges them: give --helpfulness-rm and/or --harmlessness-rm")
    if models and not general:
        flags = " and ".join(f"--{name}-rm" for name, _, _ in models)
        raise UserError(f"{flags} given but --dataset {spec} has no general rows (rows without an answer, or "
                        "kind=general): reward models would judge nothing")


def panels(specs) -> list:
    from r1cli.rl.train import panels as rl_panels
    from r1cli.trainlog import Curve, Panel

    accuracy, rules, length = rl_panels([s for s in specs if s[0] not in ("helpfulness", "harmlessness")])
    judged = Panel("reward-model score", [Curve(f"rewards/{fn.__name__}/mean", f"{name} (general rows)")
                                          for name, fn, _ in specs if name in ("helpfulness", "harmlessness")])
    kinds = Panel("reward by kind", [Curve("reasoning/reward", "reasoning rows"),
                                     Curve("general/reward", "general rows")])
    return [accuracy, judged, rules, kinds, length]


def run(cfg: Config) -> dict:
    from r1cli import log, mixing
    from r1cli.rl import train

    train.check(cfg)
    rules = rule_rewards(cfg.reward)
    models = reward_models(cfg)
    mix = load_mix(cfg.dataset, cfg.seed)
    check_mix(list(mix[ROUTING]), models, ",".join(cfg.dataset))
    counts = {kind: list(mix[ROUTING]).count(kind) for kind in ("reasoning", "general")}
    log.info(f"training on {counts['reasoning']:,} reasoning and {counts['general']:,} general prompts")
    train.resolve_template(cfg, [spec for spec, _ in mixing.parse_mixture(cfg.dataset)])
    heldout = None
    if cfg.eval_every:
        from r1cli import data

        valid = route(data.load(cfg.eval_dataset, require_answer=False), cfg.eval_dataset)
        valid = valid.filter(lambda row: row[ROUTING] == "reasoning")
        if not len(valid):
            raise UserError(f"--eval-dataset {cfg.eval_dataset} has no reasoning rows (with an answer) to score")
        heldout = train.render_prompts(valid, cfg.template, cfg.system_prompt)
    if cfg.preference_from_step > 1:
        _quiet_unscored_rows()
        log.info(f"reward models on from step {cfg.preference_from_step}: general rows carry no reward before it")
    specs = rules + models
    inputs = [("dataset", spec) for spec, _ in mixing.parse_mixture(cfg.dataset)]
    inputs += [("reward_model", fn.path) for _, fn, _ in models]
    return train.run(cfg, "align", specs, train.render_prompts(mix, cfg.template, cfg.system_prompt),
                     heldout=heldout, inputs=inputs, panels=panels(specs))


def _quiet_unscored_rows() -> None:
    """TRL warns on every batch where a row got no reward at all; before --preference-from-step that is every
    general row, on purpose."""
    import logging

    logging.getLogger("trl.trainer.grpo_trainer").addFilter(
        lambda record: "All reward functions returned None" not in record.getMessage())
