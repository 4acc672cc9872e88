"""The training body of the RL stages (`grpo`, `align`): one GRPO run on TRL's GRPOTrainer.

A stage checks its options, builds its reward specs and its (rendered) datasets, and hands them to `run`, which
owns the run folder, resume, metrics.jsonl, the held-out check, the figure and the manifest's summary.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from r1cli import log
from r1cli.errors import UserError

FIGURE = "curves.png"


def check(cfg) -> None:
    """What the options' own declarations cannot say: how they must fit together."""
    if cfg.temperature <= 0:  # GRPO needs sampled rollouts, and computes their log-probabilities at this temperature
        raise UserError(f"--temperature must be greater than 0 for GRPO's sampled rollouts, got {cfg.temperature:g}")
    per_device = cfg.per_device_train_batch_size or cfg.group_size
    if (per_device * cfg.gradient_accumulation_steps) % cfg.group_size:
        raise UserError(f"--per-device-train-batch-size x --gradient-accumulation-steps ({per_device} x "
                        f"{cfg.gradient_accumulation_steps}) must be a multiple of --group-size ({cfg.group_size})")
    if cfg.epsilon_high is not None and cfg.epsilon_high < cfg.epsilon:
        raise UserError(f"--epsilon-high ({cfg.epsilon_high:g}) must be at least --epsilon ({cfg.epsilon:g}): "
                        "it is the upper clip range, the lower one is --epsilon")
    steps = cfg.steps_per_generation or cfg.gradient_accumulation_steps
    if (per_device * steps) % cfg.group_size:
        raise UserError(f"--per-device-train-batch-size x --steps-per-generation ({per_device} x {steps}) must be a "
                        f"multiple of --group-size ({cfg.group_size}): a rollout batch holds whole groups")
    if cfg.sync_ref_model and cfg.beta == 0:
        raise UserError("--sync-ref-model needs a reference model: --beta 0 trains without one")
    if cfg.sync_ref_model and cfg.lora:
        raise UserError("--sync-ref-model does not work with --lora: the reference is the base model without the "
                        "adapter (TRL keeps no separate reference to sync)")
    if cfg.keep_best and cfg.lora:
        raise UserError("--keep-best does not work with --lora yet (the best step would be saved as an adapter, "
                        "not a merged model); drop one of them")
    if cfg.eval_every and not cfg.eval_dataset:
        raise UserError("--eval-every needs --eval-dataset (a held-out validation set)")
    if cfg.keep_best and not cfg.eval_every:
        raise UserError("--keep-best needs --eval-every and --eval-dataset")


def resolve_template(cfg, specs: list[str]) -> None:
    """Settle --template auto for the policy and these dataset specs (r1cli.templates.resolve) before anything
    is rendered, so every prompt and the manifest's options say the same template."""
    from r1cli import models, templates

    cfg.template = templates.resolve(cfg.template, specs, models.tokenizer_loader(
        cfg.model, "--model", trust_remote_code=cfg.trust_remote_code))


def render_prompts(ds, template: str, system: str | None):
    """Render a canonical dataset's prompts through the template; other columns stay for the rewards."""
    from r1cli.templates import render

    return ds.map(lambda row: {"r1_prompt": render(row["prompt"], template, system)},
                  remove_columns=["prompt"]).rename_column("r1_prompt", "prompt")


def prepare_dataset(spec: str, template: str, system: str | None):
    """Load a dataset spec (the rewards its rows name must be known) and render its prompts through the
    template."""
    from r1cli import data
    from r1cli.rewards import check_row_rewards

    ds = data.load(spec)
    check_row_rewards(ds, spec)
    return render_prompts(ds, template, system)


def _reopen_finished(final: Path, stage: str, cfg) -> None:
    """--resume on a finished run of this stage and options: move it back to its .partial folder so training
    extends it from its newest checkpoint. A run that kept none cannot be extended so (training would restart
    from --model and replace it)."""
    import dataclasses

    from r1cli.runs import check_resume, partial_path
    from r1cli.training import last_checkpoint

    work = partial_path(final)
    if final.exists() and not work.exists():
        check_resume(final, stage, dataclasses.asdict(cfg))
        if last_checkpoint(final) is None:
            raise UserError(f"--resume: {final} is a finished run without checkpoints (it ran without "
                            f"--keep-checkpoints); to train it further pass --model {final} and a new --output")
        final.rename(work)


def run(cfg, stage: str, specs, dataset, *, heldout=None, inputs: list[tuple[str, str]], panels) -> dict:
    """Train `cfg.model` with GRPO on `dataset` (prompts rendered) with the reward `specs` ((name, function,
    weight) triples); `heldout` (rendered prompts with answers) drives --eval-every. `inputs` are recorded in
    the manifest beside the model; `panels` are the figure's."""
    from r1cli import device, runs, trainer_utils, training, trainlog
    from r1cli.models import resolve
    from r1cli.rl import args as rl_args
    from r1cli.rl import backend
    from r1cli.rl import heldout as heldout_check
    from r1cli.rl.trainer import accuracy_key, trainer_class

    if not any(weight for _, _, weight in specs):  # every advantage would be 0: steps that learn nothing
        raise UserError("every reward has weight 0, so no reward reaches the loss: give one a weight above 0 "
                        "(--reward NAME:WEIGHT)")
    model_path = resolve(cfg.model, flag="--model", trust_remote_code=cfg.trust_remote_code)
    use_vllm, reason = backend.choose(cfg.use_vllm, cfg.vllm_mode)
    final = Path(cfg.output).expanduser()
    if cfg.resume:
        _reopen_finished(final, stage, cfg)
    with runs.run_dir(stage, final, cfg, resume=cfg.resume, overwrite=cfg.overwrite or cfg.resume) as run:
        log.info(reason)
        run.add_input("model", cfg.model)
        for kind, ref in inputs:
            run.add_input(kind, ref)
        metrics_path = run.path / "metrics.jsonl"
        tokenizer = training.load_tokenizer(model_path, trust_remote_code=cfg.trust_remote_code)
        targs = rl_args.build(cfg, str(run.path), use_vllm, [w for _, _, w in specs])
        last = trainer_utils.resume_point(cfg, run.path, metrics_path)
        checkpoint = str(last) if last else None
        callbacks = [trainlog.metrics_callback(metrics_path)]
        evaluator = None
        if heldout is not None:
            evaluator = heldout_check.callback(list(heldout["prompt"]), list(heldout["answer"]), tokenizer,
                                               cfg.eval_every, cfg.max_completion_length, metrics_path,
                                               run.path / "best" if cfg.keep_best else None,
                                               {c: list(heldout[c]) for c in heldout.column_names
                                                if c not in ("prompt", "answer")})
            callbacks.append(evaluator)
        training.mute_import_noise()
        trainer = trainer_class()(model=model_path, reward_funcs=[fn for _, fn, _ in specs], args=targs,
                                  train_dataset=dataset, processing_class=tokenizer, callbacks=callbacks,
                                  peft_config=training.lora_config(cfg))
        trainer.dynamic_sampling = cfg.dynamic_sampling
        trainer.max_generation_rounds = cfg.max_generation_rounds
        trainer.accuracy_key = accuracy_key(specs)
        device.limit_cpu_threads(trainer.model)
        training.tidy_console(trainer, shown=("reward", "accuracy"))
        trainer.train(resume_from_checkpoint=checkpoint)
        trainer_utils.save(trainer, tokenizer, run.path, lora=cfg.lora)
        if training.is_main_process():
            if not cfg.keep_checkpoints:
                training.remove_checkpoints(run.path)
            trainer_utils.model_card(trainer, cfg.model, final)
        run.metrics = summarize(trainlog.read(metrics_path), specs, trainer.state.global_step, evaluator, reason)
        if cfg.keep_best and evaluator is not None and evaluator.best is not None:
            publish_best(run.path, run.metrics)
        trainlog.plot(metrics_path, panels, run.path / FIGURE, title=final.name)
    log.info(f"wrote the {stage} model to {run.final} ({run.metrics['steps']} steps)")
    return run.metrics


def panels(specs) -> list:
    """The paper's curves for the rewards given: accuracy (training, and held-out pass@1 when checked), the
    reward of each spec and their weighted sum, and the mean response length."""
    from r1cli.rl.trainer import accuracy_key, reward_keys
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


def publish_best(folder: Path, metrics: dict) -> None:
    """Replace the final weights with the best held-out ones (kept under best/). Where the best was the check
    before training (`published_input` in `metrics`), the run published its input model: training did nothing
    the held-out set could see, and one warning line says so rather than a silent no-op."""
    best = folder / "best"
    for f in best.iterdir():
        if f.is_file():
            shutil.copy2(f, folder / f.name)
    if metrics.get("published_input"):
        log.warn(f"--keep-best: no step beat the input model's held-out pass@1 ({metrics['best_pass@1']:.3f} at "
                 f"step 0); {folder.name} holds the input weights unchanged")


def _mean_last10(records: list[dict], key: str) -> float | None:
    values = [r[key] for r in records if isinstance(r.get(key), (int, float)) and r[key] == r[key]][-10:]
    return round(sum(values) / len(values), 4) if values else None


def summarize(records: list[dict], specs, steps: int, evaluator, reason: str) -> dict:
    """Steps, the rollout backend, and the mean over the last 10 steps of the reward, the accuracy (when a
    right-or-wrong reward was given) and each reward spec: `reward_last10`, `accuracy_last10`, `NAME_last10`
    (over the steps where it scored anything: a reward switched on late is averaged over its own last 10)."""
    from r1cli.rl.trainer import reward_keys

    train = [r for r in records if "reward" in r]
    out: dict = {"steps": steps, "rollouts": reason}
    for label, key in [("reward", "reward"), ("accuracy", "accuracy"), *reward_keys(specs)]:
        value = _mean_last10(train, key)
        if value is not None and f"{label}_last10" not in out:
            out[f"{label}_last10"] = value
    if evaluator is not None and evaluator.history:
        out["eval_pass@1"] = dict((str(s), v) for s, v in evaluator.history)
        if evaluator.best:
            out["best_step"], out["best_pass@1"] = evaluator.best
            # step 0 is the check before training: keep-best then publishes the input model as it was
            out["published_input"] = evaluator.best[0] == 0
    return out
