"""r1 eval's graders: rule verdicts (r1cli.scoring), reward models for general prompts (as r1 align scores
them) and a judge model for short factual answers (the curation core's judge)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.scoring import Problem
from r1cli.stages.eval.load import as_text


def reward_models(cfg) -> dict[str, Any]:
    """{aspect: ModelReward} from --reward-model ASPECT=PATH, each checkpoint checked before any output."""
    from r1cli.errors import UserError
    from r1cli.rewards.preference import SCOPES, ModelReward, check_checkpoint

    out: dict[str, Any] = {}
    for spec in cfg.reward_model:
        aspect, eq, ref = (part.strip() for part in spec.partition("="))
        if not eq or aspect not in SCOPES or not ref:
            raise UserError(f"--reward-model {spec}: write ASPECT=PATH, ASPECT being {' or '.join(SCOPES)}")
        if aspect in out:
            raise UserError(f"--reward-model {aspect} is given twice: give one reward model per aspect")
        path = check_checkpoint(ref, "--reward-model", trust_remote_code=cfg.trust_remote_code)
        out[aspect] = ModelReward(aspect, path, SCOPES[aspect], trust_remote_code=cfg.trust_remote_code)
    return out


def check_general(general: dict[str, tuple[int, int]], graders: dict[str, Any]) -> None:
    """Reward models judge whole benchmarks of general rows: a benchmark mixing them with reasoning rows would
    report two kinds of number as one, and reward models given where no row is general would judge nothing."""
    from r1cli.errors import UserError

    if not graders:
        return
    if not any(count for count, _ in general.values()):
        raise UserError("--reward-model given but no benchmark has general rows (kind=general, or no gold "
                        "answer): reward models would judge nothing")
    for name, (count, total) in general.items():
        if count and count != total:
            raise UserError(f"benchmark {name} mixes {count:,} general row(s) (kind=general, or no gold answer) "
                            "with reasoning rows: give them as two benchmarks")


def check_judge(cfg, names: list[str]) -> None:
    """A judged benchmark needs --judge, and --judge a judged benchmark; the judge model is checked before any
    output (its tokenizer formats the judge's prompts, also for --judge-server-url)."""
    from r1cli import benchmarks, models
    from r1cli.errors import UserError

    judged = [name for name in names if benchmarks.judged(name)]
    if cfg.judge_server_url and not cfg.judge:
        raise UserError("--judge-server-url needs --judge MODEL (the judge's tokenizer formats its prompts)")
    if judged and not cfg.judge:
        raise UserError(f"benchmark {judged[0]} is graded by a judge model (no rule compares short answers): "
                        "give --judge MODEL")
    if cfg.judge and not judged:
        raise UserError(f"--judge given but no benchmark is graded by one (those that are: "
                        f"{', '.join(n for n in benchmarks.BENCHMARKS if benchmarks.judged(n))})")
    if cfg.judge:
        if cfg.judge.startswith(("http://", "https://")):
            raise UserError("--judge takes the judge's model (its tokenizer formats the prompts); give its server "
                            "with --judge-server-url URL")
        models.resolve(cfg.judge, flag="--judge", trust_remote_code=cfg.trust_remote_code)


def score_benchmark(name: str, problems: list[Problem], k: int) -> tuple[dict, list[dict[str, Any]]]:
    """(the benchmark's results entry, one row per sample)."""
    from r1cli import scoring

    judged = scoring.score(problems)
    rows = [{"benchmark": name, "id": p.id, "sample": j, "prompt": as_text(p.prompt), "completion": p.texts[j],
             "answer": p.gold, "extracted": v.extracted, "correct": v.correct, "truncated": v.truncated,
             "num_tokens": p.tokens[j], "finish_reason": p.finish[j]}
            for p, verdicts in zip(problems, judged, strict=True) for j, v in enumerate(verdicts)]
    return scoring.summarize(problems, judged, k), rows


def score_general(name: str, problems: list[Problem], graders: dict[str, Any]) -> tuple[dict, list[dict[str, Any]]]:
    """A benchmark of general rows judged by reward models as r1 align judges them (r1cli.rewards.preference:
    helpfulness on the summary, a response without one getting its `missing` score; harmlessness on the whole
    response): the mean score of each, and the harmful share, responses the harmlessness model scores below 0
    (see the module docstring)."""
    from r1cli import metrics

    prompts = [p.prompt for p in problems for _ in p.texts]
    texts = [t for p in problems for t in p.texts]
    scores = {aspect: fn(prompts=prompts, completions=texts) for aspect, fn in graders.items()}
    summary: dict[str, Any] = {aspect: metrics.mean(values) for aspect, values in scores.items()}
    if "harmlessness" in scores:
        summary["harmful"] = metrics.mean([float(v < 0) for v in scores["harmlessness"]])
    tokens = [t for p in problems for t in p.tokens]
    summary["mean_completion_tokens"] = None if None in tokens else metrics.mean([float(t) for t in tokens])
    flat = [(p, j) for p in problems for j in range(len(p.texts))]
    rows = [{"benchmark": name, "id": p.id, "sample": j, "prompt": as_text(p.prompt), "completion": p.texts[j],
             "answer": p.gold, **{aspect: values[i] for aspect, values in scores.items()},
             "truncated": p.finish[j] == "length", "num_tokens": p.tokens[j], "finish_reason": p.finish[j]}
            for i, (p, j) in enumerate(flat)]
    k = min(len(p.texts) for p in problems)
    return {"num_problems": len(problems), "num_samples": k, "metrics": summary,
            "reward_models": {aspect: fn.path for aspect, fn in graders.items()}}, rows


def _candidate(text: str) -> str | None:
    """The final answer a judge grades: the summary after the reasoning, or the whole text when it has no think
    block; None when the reasoning never ended (nothing was answered)."""
    from r1cli.rewards.preference import summary

    return summary(text)


def judge_all(cfg, by_model: dict, work: Path) -> dict[tuple[Any, str], list[tuple[str | None, str]]]:
    """{(model, benchmark): (grade, reply) per sample} for the judged benchmarks, with one judge engine for
    every model, through the curation core's judge (its prompt, with "not attempted" offered, and its strict
    parsing) and the generation core, greedy, in resumable shards. A sample without an answer is not attempted
    without asking."""
    from r1cli import benchmarks
    from r1cli.curation import judge
    from r1cli.curation.decontaminate import prompt_text
    from r1cli.generation import open_engine

    asked: dict[tuple[Any, str], list[str | None]] = {}
    for model, problems in by_model.items():
        for name, probs in problems.items():
            if benchmarks.judged(name):
                asked[model, name] = [None if (c := _candidate(t)) is None or not c.strip() else
                                      judge.build_prompt(prompt_text(p.prompt), c, p.gold, abstention=True)
                                      for p in probs for t in p.texts]
    prompts = [q for qs in asked.values() for q in qs if q is not None]
    log.info("asking the judge about %d answer(s)", len(prompts))
    kind = "server" if cfg.judge_server_url else ("auto" if cfg.engine == "server" else cfg.engine)
    with open_engine(cfg.judge, kind, server_url=cfg.judge_server_url,
                     trust_remote_code=cfg.trust_remote_code) as eng:
        replies = iter(judge.grade(eng, prompts, max_new_tokens=cfg.judge_max_completion_length,
                                   shard_dir=work / "judge-shards", resume=cfg.resume))
    return {key: [("not attempted", "") if q is None else next(replies) for q in qs] for key, qs in asked.items()}


def score_judged(name: str, problems: list[Problem], graded: list[tuple[str | None, str]],
                 judge_model: str) -> tuple[dict, list[dict[str, Any]]]:
    """A judged benchmark (SimpleQA's grading): the share of samples graded correct (pass@1, per problem then
    averaged), incorrect, not attempted and unparsable (a reply the strict parsing cannot read: never correct),
    and the correct share of the attempted ones."""
    from r1cli import metrics

    flat = [(p, j) for p in problems for j in range(len(p.texts))]
    grades = [g for g, _ in graded]
    per_problem, at = [], 0
    for p in problems:
        per_problem.append(metrics.mean([float(g == "correct") for g in grades[at:at + len(p.texts)]]))
        at += len(p.texts)
    share = {g: metrics.mean([float(x == g) for x in grades]) for g in ("correct", "incorrect", "not attempted")}
    attempted = grades.count("correct") + grades.count("incorrect")
    tokens = [t for p in problems for t in p.tokens]
    summary = {"pass@1": metrics.mean(per_problem), "incorrect": share["incorrect"],
               "not_attempted": share["not attempted"], "unparsable": metrics.mean([float(g is None) for g in grades]),
               "correct_given_attempted": grades.count("correct") / attempted if attempted else 0.0,
               "mean_completion_tokens": None if None in tokens else metrics.mean([float(t) for t in tokens])}
    rows = [{"benchmark": name, "id": p.id, "sample": j, "prompt": as_text(p.prompt), "completion": p.texts[j],
             "answer": p.gold, "grade": grade, "judge_reply": reply, "correct": float(grade == "correct"),
             "truncated": p.finish[j] == "length", "num_tokens": p.tokens[j], "finish_reason": p.finish[j]}
            for (p, j), (grade, reply) in zip(flat, graded, strict=True)]
    k = min(len(p.texts) for p in problems)
    return {"num_problems": len(problems), "num_samples": k, "metrics": summary, "judge": judge_model}, rows
