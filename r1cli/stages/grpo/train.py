"""The body of `r1 grpo` (r1cli.stages.grpo holds its options)."""

from __future__ import annotations

import shutil
from pathlib import Path

from r1cli import log
from r1cli.errors import UserError

FIGURE = "curves.png"


def check(cfg) -> None:
    """What the options' own declarations cannot say: how they must fit together."""
    per_device = cfg.per_device_train_batch_size or cfg.group_size
    if (per_device * cfg.gradient_accumulation_steps) % cfg.group_size:
        raise UserError(f"--per-device-train-batch-size x --gradient-accumulation-steps ({per_device} x "
                        f"{cfg.gradient_accumulation_steps}) must be a multiple of --group-size ({cfg.group_size})")
    if cfg.epsilon_high is not None and cfg.epsilon_high < cfg.epsilon:
        raise UserError(f"--epsilon-high ({cfg.epsilon_high:g}) must be at least --epsilon ({cfg.epsilon:g}): "
                        "it is the upper clip range, the lower one is --epsilon")
    if cfg.eval_every and not cfg.eval_dataset:
        raise UserError("--eval-every needs --eval-dataset (a held-out validation set)")
    if cfg.keep_best and not cfg.eval_every:
        raise UserError("--keep-best needs --eval-every and --eval-dataset")


def prepare_dataset(spec: str, template: str, system: str | None):
    """Load a dataset spec and render its prompts through the template; other columns stay for the rewards."""
    from r1cli import data
    from r1cli.templates import render

    ds = data.load(spec)
    return ds.map(lambda row: {"r1_prompt": render(row["prompt"], template, system)},
                  remove_columns=["prompt"]).rename_column("r1_prompt", "prompt")


def _reopen_finished(final: Path) -> None:
    """--resume on a finished run: move it back to its .partial folder so training extends it from its newest
    checkpoint. A run that kept none cannot be extended so (training would restart from --model and replace it)."""
    from r1cli.runs import partial_path
    from r1cli.training import last_checkpoint

    work = partial_path(final)
    if final.exists() and not work.exists():
        if last_checkpoint(final) is None:
            raise UserError(f"--resume: {final} is a finished run without checkpoints (it ran without "
                            f"--keep-checkpoints); to train it further pass --model {final} and a new --output")
        final.rename(work)


def run(cfg) -> dict:
    from r1cli import rewards, runs, training, trainlog
    from r1cli.models import resolve
    from r1cli.stages.grpo import args as grpo_args
    from r1cli.stages.grpo import backend, heldout
    from r1cli.stages.grpo.trainer import accuracy_key, trainer_class

    check(cfg)
    specs = rewards.parse_specs(cfg.reward)
    model_path = resolve(cfg.model, flag="--model", trust_remote_code=cfg.trust_remote_code)
    use_vllm, reason = backend.choose(cfg.use_vllm, cfg.vllm_mode)
    train = prepare_dataset(cfg.dataset, cfg.template, cfg.system_prompt)
    heldout_set = prepare_dataset(cfg.eval_dataset, cfg.template, cfg.system_prompt) if cfg.eval_every else None
    final = Path(cfg.output).expanduser()
    if cfg.resume:
        _reopen_finished(final)
    with runs.run_dir("grpo", final, cfg, resume=cfg.resume, overwrite=cfg.overwrite or cfg.resume) as run:
        log.info(reason)
        run.add_input("model", cfg.model)
        run.add_input("dataset", cfg.dataset)
        metrics_path = run.path / "metrics.jsonl"
        last = training.last_checkpoint(run.path) if cfg.resume else None
        checkpoint = str(last) if last else None
        if last:
            step = training.checkpoint_step(last)
            training.trim_metrics(metrics_path, step)
            log.info(f"resuming from {checkpoint} (step {step})")
        elif metrics_path.exists():
            metrics_path.unlink()
        tokenizer = training.load_tokenizer(model_path, trust_remote_code=cfg.trust_remote_code)
        targs = grpo_args.build(cfg, str(run.path), use_vllm, [w for _, _, w in specs])
        callbacks = [trainlog.metrics_callback(metrics_path)]
        evaluator = None
        if heldout_set is not None:
            evaluator = heldout.callback(list(heldout_set["prompt"]), list(heldout_set["answer"]), tokenizer,
                                         cfg.eval_every, cfg.max_completion_length, metrics_path,
                                         run.path / "best" if cfg.keep_best else None)
            callbacks.append(evaluator)
        training.mute_import_noise()
        trainer = trainer_class()(model=model_path, reward_funcs=[fn for _, fn, _ in specs], args=targs,
                                  train_dataset=train, processing_class=tokenizer, callbacks=callbacks)
        trainer.dynamic_sampling = cfg.dynamic_sampling
        trainer.accuracy_key = accuracy_key(specs)
        training.limit_cpu_threads(trainer.model)
        training.tidy_console(trainer, shown=("reward", "accuracy"))
        trainer.train(resume_from_checkpoint=checkpoint)
        trainer.save_model(str(run.path))
        tokenizer.save_pretrained(str(run.path))
        if training.is_main_process() and not cfg.keep_checkpoints:
            training.remove_checkpoints(run.path)
        run.metrics = summarize(trainlog.read(metrics_path), specs, trainer.state.global_step, evaluator, reason)
        if cfg.keep_best and evaluator is not None and evaluator.best is not None:
            _publish_best(run.path)
        trainlog.plot(metrics_path, panels(specs), run.path / FIGURE, title=final.name)
    log.info(f"wrote the GRPO model to {run.final} ({run.metrics['steps']} steps)")
    return run.metrics


def panels(specs) -> list:
    """The paper's curves for the rewards given: accuracy (training, and held-out pass@1 when checked), the
    reward of each spec and their weighted sum, and the mean response length."""
    from r1cli.stages.grpo.trainer import accuracy_key, reward_keys
    from r1cli.trainlog import Curve, Panel

    acc = accuracy_key(specs)
    accuracy = Panel("accuracy", [Curve("accuracy", "training accuracy")] if acc else [])
    accuracy.curves.append(Curve("eval/pass@1", "held-out pass@1 (greedy)", smooth=False))
    reward = Panel("reward", [Curve(key, f"{name} (weight {weight:g})")
                              for (name, key), (_, _, weight) in zip(reward_keys(specs), specs, strict=True)
                              if key != acc or len(specs) > 1])
    if len(specs) > 1:
        reward.curves.append(Curve("reward", "weighted sum"))
    length = Panel("tokens", [Curve("completions/mean_length", "mean response length")])
    return [accuracy, reward, length]


def _publish_best(folder: Path) -> None:
    """Replace the final weights with the best held-out ones (kept under best/)."""
    best = folder / "best"
    for f in best.iterdir():
        if f.is_file():
            shutil.copy2(f, folder / f.name)


def summarize(records: list[dict], specs, steps: int, evaluator, reason: str) -> dict:
    """Steps, the rollout backend, and the mean over the last 10 steps of the reward, the accuracy (when a
    right-or-wrong reward was given) and each reward spec: `reward_last10`, `accuracy_last10`, `NAME_last10`."""
    from r1cli.stages.grpo.trainer import reward_keys

    tail = [r for r in records if "reward" in r][-10:]
    out: dict = {"steps": steps, "rollouts": reason}
    for label, key in [("reward", "reward"), ("accuracy", "accuracy"), *reward_keys(specs)]:
        values = [r[key] for r in tail if isinstance(r.get(key), (int, float))]
        if values and f"{label}_last10" not in out:
            out[f"{label}_last10"] = round(sum(values) / len(values), 4)
    if evaluator is not None and evaluator.history:
        out["eval_pass@1"] = dict((str(s), v) for s, v in evaluator.history)
        if evaluator.best:
            out["best_step"], out["best_pass@1"] = evaluator.best
    return out
