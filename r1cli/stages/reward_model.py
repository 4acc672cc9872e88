"""r1 reward-model: train a reward model on preference pairs with TRL's RewardTrainer.

Pairs: `chosen` and `rejected`, each text or chat turns, with an optional `prompt` (prepended to both, as TRL
does) and an optional `margin` (the Bradley-Terry loss then asks chosen to beat rejected by at least that
much). `--center-rewards-coefficient` adds TRL's term that keeps the scores centred on zero. A held-out split
(`--eval-fraction` of the pairs, drawn with --seed) measures the pairwise accuracy: the share of held-out pairs
whose chosen response scores above its rejected one. It is printed and recorded in the manifest's metrics
(`pairwise_accuracy`), with how the model reads a response (`with_prompt`, `conversational`: `r1 align` shows
it texts the same way).

Output: DIR is a sequence-classification checkpoint (one output, the score) that
`AutoModelForSequenceClassification` loads, with its tokenizer; plus metrics.jsonl, curves.png and
r1_manifest.json. A causal language model given as --model (the embedded tiny model, a fine-tuned folder) keeps
its body and gets a fresh score head. Precision follows the hardware (CPU fp32, no gradient checkpointing unless
asked); checkpoints every --save-steps live in DIR.partial for --resume and are removed at the end unless
--keep-checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import TOKENS, defaults, option
from r1cli.errors import UserError
from r1cli.models import remote_code_option
from r1cli.training import TrainingOptions

HELP = "Train a reward model (TRL RewardTrainer) on preference pairs; records its held-out pairwise accuracy."
EXAMPLE = ("r1 reward-model --model tiny --dataset 'task:prefs?aspect=helpfulness&n=2000' "
           "--output runs/rm-helpfulness --learning-rate 1e-3 --max-steps 300")

FIGURE = "curves.png"


@dataclass
class _Inputs:
    """What is trained on what (listed before the training options in --help)."""

    model: str = option(None, "Base model: tiny, a checkpoint folder or a hub name (a causal LM gets a score "
                        "head).", short="-m", required=True)
    dataset: str = option(None, "Preference pairs (dataset spec): chosen and rejected, text or chat turns; "
                          "optional prompt and margin.", short="-d", required=True)
    output: str = option(None, "Output folder (the reward model, metrics, manifest).", short="-o", required=True)


@dataclass
class Config(defaults(TrainingOptions, learning_rate=1e-4), _Inputs):
    eval_fraction: float = option(0.1, "Share of the pairs held out to measure the pairwise accuracy.", min=0,
                                  max=1, min_open=True, max_open=True)
    center_rewards_coefficient: float | None = option(
        None, "Weight of TRL's centring term (mean squared score; TRL suggests 0.01). Default: off.", min=0)
    max_length: int = option(1024, "Pairs with a longer tokenized side are dropped.", min=1, **TOKENS)
    resume: bool = option(False, "Continue from the newest checkpoint in OUTPUT.partial.")
    seed: int = option(0, "Seed of the score head, the held-out split and the data order.", min=0,
                       max=2**32 - 1)
    overwrite: bool = option(False, "Replace the output folder if it exists.")
    trust_remote_code: bool = remote_code_option()


PAIR_COLUMNS = ("prompt", "chosen", "rejected", "margin")


def load_pairs(spec: str):
    """The preference pairs of a dataset spec, reduced to TRL's columns; a missing side is a UserError."""
    from r1cli import data

    ds = data.load(spec, canonical=False)
    missing = [c for c in ("chosen", "rejected") if c not in ds.column_names]
    if missing:
        raise UserError(f"--dataset {spec} has no {' and no '.join(repr(c) for c in missing)} column (columns: "
                        f"{', '.join(sorted(ds.column_names))}); preference pairs need 'chosen' and 'rejected'")
    ds = ds.select_columns([c for c in PAIR_COLUMNS if c in ds.column_names])
    data.check_preferences(ds, f"--dataset {spec}")
    return ds


def split(ds, fraction: float, seed: int):
    """(train, held-out) pairs: at least one of each."""
    n_eval = max(1, round(len(ds) * fraction))
    if len(ds) - n_eval < 1:
        raise UserError(f"--dataset has {len(ds)} pair(s): too few to hold out --eval-fraction {fraction:g} and "
                        "train on the rest (give more pairs)")
    parts = ds.train_test_split(test_size=n_eval, seed=seed)
    return parts["train"], parts["test"]


def run(cfg: Config) -> dict:
    from r1cli import models, runs

    # a bad --model fails before the output folder exists
    path = models.resolve(cfg.model, flag="--model", trust_remote_code=cfg.trust_remote_code, generative=False)
    pairs = load_pairs(cfg.dataset)
    train_ds, eval_ds = split(pairs, cfg.eval_fraction, cfg.seed)
    tokenizer = _check_lengths(cfg, path, train_ds)
    with runs.run_dir("reward-model", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        run.add_input("model", cfg.model)
        run.add_input("dataset", cfg.dataset)
        run.metrics = _train(cfg, path, tokenizer, train_ds, eval_ds, run.path, run.final)
    acc = run.metrics["pairwise_accuracy"]
    log.stdout.print(f"held-out pairwise accuracy: {100 * acc:.1f}% ({run.metrics['eval_pairs']} pairs)")
    log.info(f"wrote the reward model to {run.final}")
    return run.metrics


def _check_lengths(cfg: Config, path: str, pairs):
    """Refuse, before the output folder exists, a training split none of whose pairs fits --max-length: the
    trainer drops every pair with a longer side and would fail on an empty set with the model loaded. Returns the
    tokenizer, which the training uses too."""
    from r1cli import training

    tokenizer = training.load_tokenizer(path, trust_remote_code=cfg.trust_remote_code)

    def length(prompt, side) -> int:
        if isinstance(side, list):  # chat turns: the conversation as the chat template writes it
            return len(tokenizer.apply_chat_template((prompt or []) + side, tokenize=True))
        return len(tokenizer((prompt or "") + side, add_special_tokens=True)["input_ids"])

    prompts = pairs["prompt"] if "prompt" in pairs.column_names else [None] * len(pairs)
    for prompt, chosen, rejected in zip(prompts, pairs["chosen"], pairs["rejected"], strict=True):
        if max(length(prompt, chosen), length(prompt, rejected)) <= cfg.max_length:
            return tokenizer
    raise UserError(f"every training pair of --dataset {cfg.dataset} has a side longer than --max-length "
                    f"{cfg.max_length} tokens: raise --max-length or give shorter pairs")


def _train(cfg: Config, path: str, tokenizer, train_ds, eval_ds, workdir, final) -> dict:
    from trl import RewardConfig, RewardTrainer
    from trl.data_utils import is_conversational

    from r1cli import device, trainer_utils, training, trainlog

    dtype = str(training.precision()["dtype"]).removeprefix("torch.")
    args = RewardConfig(**training.common_args(cfg, workdir), max_length=cfg.max_length,
                        center_rewards_coefficient=cfg.center_rewards_coefficient,
                        model_init_kwargs={"dtype": dtype, "trust_remote_code": cfg.trust_remote_code})
    metrics_path = workdir / "metrics.jsonl"
    resume_from = trainer_utils.resume_point(cfg, workdir, metrics_path)
    training.mute_import_noise()
    trainer = RewardTrainer(model=path, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                            processing_class=tokenizer, callbacks=[trainlog.metrics_callback(metrics_path)])
    device.limit_cpu_threads(trainer.model)
    training.tidy_console(trainer, shown=("loss", "accuracy"))
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    held_out = trainer.evaluate()
    trainer.save_model(str(workdir))
    tokenizer.save_pretrained(workdir)
    if not cfg.keep_checkpoints:
        training.remove_checkpoints(workdir)
    trainer_utils.model_card(trainer, cfg.model, final)
    trainlog.plot(metrics_path, [trainlog.Panel("loss", [trainlog.Curve("loss")]),
                                 trainlog.Panel("pairwise accuracy", [
                                     trainlog.Curve("accuracy", "training batches"),
                                     trainlog.Curve("eval_accuracy", "held-out", smooth=False)])],
                  workdir / FIGURE, title=f"r1 reward-model: {cfg.model}")
    records = [r for r in trainlog.read(metrics_path) if "loss" in r]
    return {
        "pairwise_accuracy": round(held_out["eval_accuracy"], 4),
        "eval_margin": round(held_out["eval_margin"], 4),
        "eval_pairs": len(eval_ds),
        "train_pairs": len(train_ds),
        "steps": trainer.state.global_step,
        "final_loss": records[-1]["loss"] if records else None,
        "with_prompt": "prompt" in train_ds.column_names,
        "conversational": is_conversational(train_ds[0]),
        "device": training.device_type(),
    }
