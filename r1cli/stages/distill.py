"""r1 distill: the distillation of DeepSeek-R1 (section 2.4): a teacher's curated reasoning traces fine-tune a
smaller student, with plain SFT and no RL.

    r1 distill --teacher runs/grpo --student 'tiny?layers=2&hidden=64&intermediate=256' \\
        --dataset 'task:arith?n=3000' --template plain --layout sampled --num-samples 4 --temperature 1.0 \\
        --learning-rate 1e-3 --max-steps 400 --output runs/distill
    r1 distill --config recipes/qwen2.5-math-1.5b/distill.yaml

Two parts, each a run folder of its own under OUTPUT, with its manifest:
  traces/   the teacher's traces, made by the curation core exactly as `r1 reject-sample` makes them (the same
            options: samples per prompt, verification, readability filters, dedupe, cap, decontamination,
            non-reasoning mix, layout; the same printed table). `--traces DIR` skips this part and trains on DIR
            (a reject-sample or distill traces folder, or any dataset `r1 sft` reads).
  student/  the student fine-tuned on the traces by the SFT training core, as `r1 sft` would (the same
            training options: completion-only loss, chat template, LoRA, accelerate configs).
`--resume` continues whichever part was interrupted: the traces from their generation shards, the student from
its newest checkpoint; a finished part is kept.

`--method on-policy` trains the student on its own samples instead: for each --dataset prompt (or each prompt
of --traces) the student writes a completion and learns the teacher's next-token distribution on it under a
generalized Jensen-Shannon divergence (TRL's DistillationTrainer; --jsd-beta 0 is the forward KL, 1 the
reverse KL). No traces are generated. It compares the two models' full distributions, so teacher and student
must share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option
from r1cli.curation.options import CurationOptions, LayoutOptions
from r1cli.sft_train import SFTOptions

HELP = ("Distillation: sample a teacher's traces (curated as reject-sample does) and fine-tune a student on them "
        "(SFT, or on-policy against the teacher); writes traces/ and student/.")
EXAMPLE = ("r1 distill --teacher runs/grpo --student 'tiny?layers=2' --dataset 'task:arith?n=2000' "
           "--template plain --output runs/distill")

METHODS = ["sft", "on-policy"]
TRACES, STUDENT = "traces", "student"


@dataclass
class Config(SFTOptions, LayoutOptions, CurationOptions):  # the curation options first, then the training ones
    dataset: str | None = option(
        None, "Prompts to sample, a dataset spec (task:NAME?..., a file, a folder, a hub dataset); an answer "
        "column to check against, unless --judge. Not needed with --traces.", short="-d")
    # not required: training on --traces needs no teacher (checked in run)
    teacher: str | None = option(None, "Model whose traces are sampled: tiny, a checkpoint folder or a hub name "
                                 "(with --server-url, the model those servers run). Not needed with --traces, "
                                 "except for --method on-policy.")
    student: str = option(None, "Model to fine-tune on the traces: tiny, a checkpoint folder or a hub name; "
                          "FOLDER?layers=N keeps N of its decoder layers (a smaller student with the teacher's "
                          "tokenizer).",
                          required=True)
    traces: str | None = option(None, "Train on these traces instead of sampling the teacher (a reject-sample or "
                                "distill traces folder, or any dataset r1 sft reads).")
    method: str = option("sft", "sft: fine-tune on the teacher's traces (the paper); on-policy: the student "
                         "samples, the teacher's distribution is the target.", choices=METHODS)
    jsd_beta: float = option(1.0, "On-policy loss: the generalized Jensen-Shannon divergence's interpolation "
                             "(0: forward KL, 0.5: JSD, 1: reverse KL).", min=0, max=1)
    output: str | None = option(None, "Output folder (traces/ and student/, each with its manifest).", short="-o",
                                required=True)
    resume: bool = option(False, "Continue the interrupted part: the traces' shards or the student's checkpoints.")
    overwrite: bool = option(False, "Replace the output's parts if they exist.")

    UNUSED_WHEN = {"traces": ("dataset",)}  # the prompts (and, with --method sft, the traces) are --traces'


def run(cfg: Config) -> dict:
    """Make (or reuse) the traces, then train the student; returns {traces: stats, student: metrics}."""
    from pathlib import Path

    from r1cli import models, runs, templates
    from r1cli.errors import UserError

    if not cfg.teacher and (cfg.method == "on-policy" or not cfg.traces):
        raise UserError("--teacher is required: the model whose traces are sampled (or --traces DIR to train on "
                        "existing traces)" if cfg.method == "sft" else "--teacher is required for --method on-policy")
    out = Path(cfg.output).expanduser()
    models.resolve(cfg.student, flag="--student", trust_remote_code=cfg.trust_remote_code)
    if cfg.method == "on-policy":
        _check_vocabularies(cfg)  # a mismatch is the run's one line, before the template's log
    # --template auto settled once, for the model that reads the rendered prompts: the teacher it samples,
    # else (--traces, on-policy) the student
    reader, flag = ((cfg.teacher, "--teacher") if cfg.method == "sft" and not cfg.traces
                    else (cfg.student, "--student"))
    cfg.template = templates.resolve(cfg.template, [cfg.dataset or cfg.traces],
                                     models.tokenizer_loader(reader, flag, trust_remote_code=cfg.trust_remote_code))
    if cfg.method == "on-policy":
        return {STUDENT: _on_policy(cfg, out / STUDENT)}
    if cfg.traces:
        _training_set(cfg, cfg.traces)  # a bad --traces fails before anything is written
        return {TRACES: None, STUDENT: _student(cfg, cfg.traces, out / STUDENT)}
    with runs.together():  # --overwrite: new traces are kept only with the student trained on them
        stats = _traces(cfg, out / TRACES)
        return {TRACES: stats, STUDENT: _student(cfg, str(out / TRACES), out / STUDENT)}


def _train_template(cfg: Config) -> str:
    # Traces in the sampled layout hold every prompt as the teacher was given it: trained as they are, so the
    # student is asked as the teacher was. R1-layout traces are chat turns and ignore the template; text prompts
    # of another --traces dataset are rendered as they were sampled, except that `boxed` (an instruction to the
    # sampled model) becomes a user turn of the chat template.
    if cfg.layout == "sampled":
        return "plain"
    return "chat" if cfg.template == "boxed" else cfg.template


def _training_set(cfg: Config, traces: str):
    """(dataset, info) of the traces as the SFT core trains on them; a bad --traces is a UserError naming it."""
    from r1cli import mixing
    from r1cli.errors import UserError

    try:
        return mixing.build([traces], _train_template(cfg), cfg.seed, flag="--traces")
    except UserError as e:
        if traces != cfg.traces:  # our own traces folder: not the user's flag
            raise
        raise UserError(f"--traces {traces}: {e}") from None


def _finished(folder) -> dict | None:
    """The metrics of a finished part that --resume keeps, else None."""
    from r1cli import runs

    manifest = runs.read_manifest(folder) if folder.exists() else None
    return manifest.get("metrics") if manifest else None


def _traces(cfg: Config, folder) -> dict:
    from r1cli import runs
    from r1cli.curation import curate, output

    # every mistake before anything is sampled; the same call as reject-sample's, the teacher as the model
    plan = curate.prepare(cfg, model=cfg.teacher, flag="--teacher", layout=cfg.layout)
    if cfg.resume and (done := _finished(folder)) is not None:
        log.info(f"the traces in {folder} are finished: kept")
        return done
    with runs.run_dir("distill", folder, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        curate.record_inputs(run, plan)
        run.metrics = curate.execute(plan, run.path)
    output.print_table(run.metrics, "r1 distill: teacher traces")
    log.info(f"wrote {run.metrics['rows']:,} traces to {run.final}")
    return run.metrics


def _student(cfg: Config, traces: str, folder) -> dict:
    from r1cli import runs, sft_train
    from r1cli.errors import UserError

    if cfg.resume and (done := _finished(folder)) is not None:
        log.info(f"the student in {folder} is finished: kept")
        return done
    train_ds, info = _training_set(cfg, traces)
    if not len(train_ds):
        raise UserError(f"no traces to train on in {traces}: sample more (--num-samples, --dataset) or loosen the "
                        "filters")
    log.info(f"training the student {cfg.student} on {info['rows']:,} traces")
    with runs.run_dir("distill", folder, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        run.add_input("dataset", traces)
        run.add_input("model", cfg.student)
        if cfg.teacher:  # --traces: the traces' own manifest names the model that wrote them
            run.add_input("model", cfg.teacher)
        run.metrics = sft_train.train(cfg, cfg.student, train_ds, info, run.path, folder, stage="distill")
    log.info(f"wrote the student to {run.final} (final loss {run.metrics.get('final_loss')})")
    return run.metrics


# ------------------------------------------------------------------------------------------- on-policy


def _check_vocabularies(cfg: Config) -> None:
    """On-policy distillation compares full next-token distributions: the tokenizers must be the same."""
    from r1cli import models, training
    from r1cli.errors import UserError

    teacher = models.resolve(cfg.teacher, flag="--teacher", trust_remote_code=cfg.trust_remote_code)
    student = models.resolve(cfg.student, flag="--student", trust_remote_code=cfg.trust_remote_code)
    vocab = {name: training.load_tokenizer(path, trust_remote_code=cfg.trust_remote_code).get_vocab()
             for name, path in (("teacher", teacher), ("student", student))}
    if vocab["teacher"] != vocab["student"]:
        raise UserError(f"--method on-policy needs one vocabulary: the --teacher has {len(vocab['teacher']):,} "
                        f"tokens, the --student {len(vocab['student']):,} with different ids (use --method sft, "
                        "or a student of the teacher's family)")


def _prompts(cfg: Config):
    """The prompts the student samples: --dataset rendered with --template, or the prompts of --traces."""
    from r1cli import data, templates
    from r1cli.errors import UserError

    if cfg.traces:
        ds, _ = _training_set(cfg, cfg.traces)
        return ds.select_columns(["prompt"])
    if not cfg.dataset:
        raise UserError("--dataset is required: the prompts the student samples (or --traces DIR)")
    from datasets import Dataset

    rows = data.load(cfg.dataset, require_answer=False)
    return Dataset.from_dict({"prompt": [templates.render(p, cfg.template, cfg.system_prompt)
                                         for p in rows["prompt"]]})


def _on_policy(cfg: Config, folder) -> dict:
    from r1cli import runs

    prompts = _prompts(cfg)
    if cfg.resume and (done := _finished(folder)) is not None:
        log.info(f"the student in {folder} is finished: kept")
        return done
    with runs.run_dir("distill", folder, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        run.add_input("dataset", cfg.traces or cfg.dataset)
        run.add_input("model", cfg.student)
        run.add_input("model", cfg.teacher)
        run.metrics = _train_on_policy(cfg, prompts, run.path, folder)
    log.info(f"wrote the student to {run.final} (final loss {run.metrics.get('final_loss')})")
    return run.metrics


def _train_on_policy(cfg: Config, prompts, workdir, final) -> dict:
    from pathlib import Path

    from trl import DistillationConfig, DistillationTrainer

    from r1cli import device, trainer_utils, training, trainlog

    workdir = Path(workdir)
    prec = training.precision()
    student, tokenizer, _ = training.load_model(cfg.student, dtype=prec["dtype"],
                                                trust_remote_code=cfg.trust_remote_code)
    teacher, _, _ = training.load_model(cfg.teacher, dtype=prec["dtype"], trust_remote_code=cfg.trust_remote_code)
    device.limit_cpu_threads(student)
    args = DistillationConfig(
        **training.common_args(cfg, workdir),
        beta=cfg.jsd_beta,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        save_only_model=False,
    )
    metrics_path = workdir / "metrics.jsonl"
    resume_from = trainer_utils.resume_point(cfg, workdir, metrics_path)
    trainer = DistillationTrainer(model=student, teacher_model=teacher, args=args, train_dataset=prompts,
                                  processing_class=tokenizer, peft_config=training.lora_config(cfg),
                                  callbacks=[trainlog.metrics_callback(metrics_path)])
    training.tidy_console(trainer)
    metrics = trainer_utils.train_and_publish(trainer, tokenizer, cfg, workdir, metrics_path, resume_from,
                                              model_ref=cfg.student, final=final,
                                              title=f"r1 distill (on-policy): {cfg.student}")
    metrics.update({"rows": len(prompts), "method": "on-policy", "jsd_beta": cfg.jsd_beta})
    return metrics
