"""r1 eval: metrics on hand-made generations, the benchmark registry, a scripted engine (prompts, shards,
resume), the tiny model end to end (CLI with transformers, and the session's vLLM engine), and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli import benchmarks, templates
from r1cli.cli import app
from r1cli.config import resolve
from r1cli.errors import UserError
from r1cli.generation.base import Completion, Engine
from r1cli.stages import eval as ev


def r1(*args):
    return CliRunner().invoke(app, list(args))


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def evaluate(tmp_path, **options) -> dict:
    engine = options.pop("_engine", None)
    options.setdefault("output", str(tmp_path / "out"))
    return ev.run(resolve(ev.Config, flags=options), engine=engine)


# ------------------------------------------------------------------------------ scoring without a model

HAND = [
    # pass@1 .5; 0.5 and \frac{1}{2} vote together; the unfinished <think> sample does not vote -> right
    {"id": "a", "answer": "1/2", "completions": ["\\boxed{3}", "\\boxed{0.5}", "\\boxed{\\frac{1}{2}}",
                                                 "<think>unfinished \\boxed{3}"]},
    # the 5 cut at the token limit does not vote: 7 wins 2-1 -> right
    {"id": "b", "answer": "7", "completions": ["\\boxed{7}", "\\boxed{5}", "\\boxed{5}", "\\boxed{7}"],
     "finish_reasons": ["stop", "stop", "length", "stop"]},
    # a 2-2 tie goes to the earliest answer, 4 -> wrong
    {"id": "c", "answer": "2", "completions": ["\\boxed{4}", "\\boxed{2}", "\\boxed{2}", "\\boxed{4}"]},
    # every sample truncated: correct for pass@k, but nobody votes -> wrong
    {"id": "d", "answer": "1", "completions": ["\\boxed{1}"] * 4, "finish_reasons": ["length"] * 4},
]


def test_generations_metrics_by_hand(tmp_path):
    rows = [dict(r, num_tokens=[10, 20, 30, 40]) for r in HAND]
    gen = write_jsonl(tmp_path / "gen.jsonl", rows)
    res = evaluate(tmp_path, generations=str(gen))
    bench = res["benchmarks"]["gen"]
    assert bench["num_problems"] == 4 and bench["num_samples"] == 4
    m = bench["metrics"]
    assert m["pass@1"] == pytest.approx(0.625)
    assert m["pass@2"] == pytest.approx((3 * (1 - 1 / 6) + 1) / 4)
    assert m["pass@4"] == 1.0
    assert m["cons@4"] == 0.5
    assert m["truncated_frac"] == pytest.approx(6 / 16)
    assert m["mean_completion_tokens"] == 25.0
    assert m["pass@1_stderr"] == pytest.approx(0.125)

    out = tmp_path / "out"
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(res))
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 16
    first = samples[0]
    assert {"id", "prompt", "completion", "extracted", "correct", "num_tokens", "finish_reason"} <= set(first)
    assert [s["extracted"] for s in samples[:4]] == ["3", "0.5", "\\frac{1}{2}", None]
    assert (out / "dataset").is_dir() and (out / "r1_manifest.json").is_file()

    # generations.jsonl rescored gives the same numbers; --num-samples takes the first K of each row
    again = ev.run(resolve(ev.Config, flags={"generations": str(out / "generations.jsonl"),
                                             "output": str(tmp_path / "again")}))
    assert again["benchmarks"]["gen"]["metrics"] == m
    two = evaluate(tmp_path, generations=str(gen), num_samples=2, output=str(tmp_path / "two"))
    assert two["benchmarks"]["gen"]["metrics"]["cons@2"] == 0.25  # a: 3 vs 0.5 tie -> 3; d: no vote


def test_math500_solutions_score_perfectly(tmp_path, shared_data):
    rows = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").read_text().splitlines()]
    gen = write_jsonl(tmp_path / "gen.jsonl", [
        {"id": r["unique_id"], "answer": r["answer"], "completions": [r["solution"]], "subject": r["subject"],
         "level": r["level"]} for r in rows])
    res = evaluate(tmp_path, generations=str(gen))["benchmarks"]["gen"]
    assert res["num_problems"] == 500
    assert res["metrics"]["pass@1"] == 1.0 and res["metrics"]["cons@1"] == 1.0
    assert set(res["breakdown"]) == {"subject", "level"}
    assert set(res["breakdown"]["level"]) == {"1", "2", "3", "4", "5"}
    assert sum(g["num_problems"] for g in res["breakdown"]["subject"].values()) == 500
    assert all(g["pass@1"] == 1.0 for g in res["breakdown"]["subject"].values())


def reference_results(rows: list[dict]) -> tuple[dict, list[tuple]]:
    """Metrics and per-sample (extracted, correct, truncated) of generations rows, built straight from the
    metric definitions (r1cli.metrics) over the reward primitives, without the scoring core."""
    from r1cli import metrics, rewards
    from r1cli.readability import readable

    per_correct, per_votes, per_trunc, samples = [], [], [], []
    for r in rows:
        texts, finish = r["completions"], r["finish_reasons"]
        answers = [rewards.extract_answer(t) for t in texts]
        trunc = [cut or f == "length" for (_, cut), f in zip(answers, finish, strict=True)]
        correct = rewards.score(texts, [r["answer"]] * len(texts))
        voters = [i for i, (a, _) in enumerate(answers) if not trunc[i] and a and a.strip()]
        labels = dict(zip(voters, rewards.equivalence_classes([answers[i][0] for i in voters]), strict=True))
        per_correct.append(correct)
        per_votes.append([labels.get(i) for i in range(len(texts))])
        per_trunc.append(trunc)
        samples += [(a, c, t) for (a, _), c, t in zip(answers, correct, trunc, strict=True)]
    k = min(len(r["completions"]) for r in rows)
    tokens = [r["num_tokens"] for r in rows]
    out = metrics.summarize(per_correct, per_votes, per_trunc, tokens, k)
    # readable: in the R1 layout with readable reasoning, by the readability filters' own definition
    out["readable_frac"] = metrics.mean([float(readable(t, str(r.get("prompt") or ""))) for r in rows
                                         for t in r["completions"]])
    return out, samples


def test_generations_scored_as_the_metrics_define(tmp_path, shared_data):
    """Pins eval's numbers: right, wrong, equivalent, answerless and truncated variants of MATH-500 answers."""
    lines = (shared_data / "math500" / "test.jsonl").read_text().splitlines()[:40]
    rows = []
    for n, r in enumerate(json.loads(line) for line in lines):
        a = r["answer"]
        comps = [r["solution"], f"<think>\nWe read it off the statement.\n</think>\n\nThe answer is $\\boxed{{{a}}}$.",
                 f"\\boxed{{{a}}}", f"<think>so</think> <answer>{a}</answer>",
                 f"<think>unclosed \\boxed{{{a}}}", f"<answer>{a}", "The answer is 12345.", "", f"$${a}$$"]
        finish = ["stop"] * len(comps)
        finish[n % len(comps)] = "length"
        rows.append({"id": r["unique_id"], "answer": a, "completions": comps[: 3 + n % 6],
                     "finish_reasons": finish[: 3 + n % 6], "num_tokens": list(range(3 + n % 6)),
                     "subject": r["subject"]})
    gen = write_jsonl(tmp_path / "gen.jsonl", rows)
    res = evaluate(tmp_path, generations=str(gen))["benchmarks"]["gen"]
    expected, expected_samples = reference_results(rows)
    assert res["metrics"] == expected
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert [(s["extracted"], s["correct"], s["truncated"]) for s in samples] == expected_samples
    assert 0 < expected["pass@1"] < 1 and 0 < expected["truncated_frac"] < 1  # the variants are mixed


def test_generations_group_by_their_benchmark_column(tmp_path):
    rows = [dict(HAND[0], benchmark="first"), dict(HAND[1], benchmark="second"), dict(HAND[2]),
            dict(HAND[3], benchmark="first")]
    gen = write_jsonl(tmp_path / "mixed.jsonl", rows)
    res = evaluate(tmp_path, generations=str(gen))["benchmarks"]
    assert list(res) == ["first", "second", "mixed"]  # first appearance; no column: the file's stem
    assert [b["num_problems"] for b in res.values()] == [2, 1, 1]
    assert res["first"]["metrics"]["cons@4"] == 0.5  # a right, d unvoted
    limited = evaluate(tmp_path, generations=str(gen), limit=1, output=str(tmp_path / "limited"))["benchmarks"]
    assert [b["num_problems"] for b in limited.values()] == [1, 1, 1]  # --limit counts per benchmark


def test_countdown_rows_use_their_own_reward(tmp_path):
    gen = write_jsonl(tmp_path / "gen.jsonl", [
        {"id": 0, "answer": "32", "reward": "countdown", "numbers": [3, 5, 4], "target": 32,
         "completions": ["<answer>(3+5)*4</answer>", "<answer>32</answer>"]}])
    m = evaluate(tmp_path, generations=str(gen))["benchmarks"]["gen"]["metrics"]
    assert m["pass@1"] == 0.5  # "32" alone does not use the numbers


# ------------------------------------------------------------------------------------- benchmark registry


def test_benchmark_sources(shared_data):
    assert benchmarks.source("gsm8k") == "openai/gsm8k?config=main&split=test"
    assert benchmarks.source("math500", data_dir=str(shared_data)) == str(shared_data / "math500/test.jsonl")
    assert benchmarks.source("task:arith?n=5") == "task:arith?n=5"
    assert benchmarks.source("gsm8k", data_file="x.jsonl") == "x.jsonl"
    with pytest.raises(UserError, match="unknown benchmark 'nope'"):
        benchmarks.source("nope")
    with pytest.raises(UserError, match="aime24/test.jsonl"):
        benchmarks.source("aime24", data_dir="/nonexistent")
    assert benchmarks.template_hint("task:arith") == "plain" and benchmarks.template_hint("aime24") == "math"
    assert benchmarks.folder_name("gsm8k") == "gsm8k"
    assert "/" not in benchmarks.folder_name("task:arith?split=test&n=5")


# ---------------------------------------------------------------------------------------- scripted engine


class ByteTokenizer:
    chat_template = None

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": list(text.encode())}


class ScriptedEngine(Engine):
    """Answers every prompt with `reply(prompt_text, j)`; records the prompts; can fail after some calls."""

    name = "scripted"

    def __init__(self, reply, fail_after: int | None = None):
        super().__init__("scripted-model", ByteTokenizer(), None)
        self.reply, self.fail_after, self.calls, self.prompts = reply, fail_after, 0, []

    def _run(self, requests, sampling, done):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise RuntimeError("engine died")
        self.calls += 1
        for pos, req in enumerate(requests):
            text = bytes(req.ids).decode()
            self.prompts.append(text)
            done(pos, [Completion(*self.reply(text, j)) for j in range(sampling.n)])


def arith_reply(prompt, j):
    """Right on even samples, with the stop string cut off as vLLM does; wrong and cut short on odd ones."""
    value = eval(prompt.split("User: ")[1].split(". Assistant:")[0])  # noqa: S307 - our own arithmetic
    if j % 2 == 0:
        return "<think>sum</think> <answer>" + str(value), 5, "stop"
    return "<think>hm", 8, "length"


def test_scripted_engine_r1_zero_shards_and_resume(tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "SHARD_SIZE", 2)
    spec = "task:arith?split=test&n=5"
    opts = dict(model="scripted", benchmark=[spec], num_samples=2, template="r1-zero")
    full = evaluate(tmp_path, **opts, output=str(tmp_path / "full"), _engine=ScriptedEngine(arith_reply))
    m = full["benchmarks"][spec]["metrics"]
    assert m == {"pass@1": 0.5, "pass@2": 1.0, "cons@2": 1.0, "truncated_frac": 0.5,
                 "mean_completion_tokens": 6.5, "pass@1_stderr": 0.0, "readable_frac": 0.0}
    assert full["benchmarks"][spec]["template"] == "r1-zero"

    # a run that dies after its first shard resumes from it and ends with the same results
    out = str(tmp_path / "resumed")
    with pytest.raises(RuntimeError, match="engine died"):
        evaluate(tmp_path, **opts, output=out, _engine=ScriptedEngine(arith_reply, fail_after=1))
    assert (tmp_path / "resumed.partial" / "shards").is_dir()
    second = ScriptedEngine(arith_reply)
    resumed = evaluate(tmp_path, **opts, output=out, resume=True, _engine=second)
    assert second.calls == 2  # shards 2 and 3 of 3
    assert resumed["benchmarks"] == full["benchmarks"]


def same_results(a: dict, b: dict) -> None:
    """What rescoring must reproduce: every benchmark's name, sizes, metrics and breakdowns."""
    keys = ("num_problems", "num_samples", "metrics", "breakdown")
    assert {n: {k: r[k] for k in keys} for n, r in a["benchmarks"].items()} == \
        {n: {k: r[k] for k in keys} for n, r in b["benchmarks"].items()}


def test_rescoring_a_runs_generations_reproduces_its_results(tmp_path, shared_data):
    """Two benchmarks (one with subject/level breakdowns), r1-zero's stop string put back, right, wrong and cut
    samples: `--generations` on the run's own generations.jsonl gives back its results.json."""
    from r1cli import data

    specs = ["task:arith?split=test&n=5", "math500"]
    golds = {**{r["prompt"]: r["answer"] for r in data.load(specs[0])},
             **{r["prompt"]: r["answer"] for r in data.load(str(shared_data / "math500/test.jsonl"), limit=4)}}

    def reply(prompt, j):
        gold = next(a for q, a in golds.items() if q in prompt)
        return [(f"<think>ok</think> <answer>{gold}", 4, "stop"), ("<think>no</think> <answer>0", 4, "stop"),
                (f"<think>{gold} is", 9, "length")][(j + len(prompt)) % 3]

    out = tmp_path / "run"
    first = evaluate(tmp_path, model="scripted", benchmark=[",".join(specs)], data_dir=str(shared_data), limit=4,
                     num_samples=3, template="r1-zero", output=str(out), _engine=ScriptedEngine(reply))
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(first))
    assert 0 < first["benchmarks"]["math500"]["metrics"]["pass@1"] < 1
    assert "level" in first["benchmarks"]["math500"]["breakdown"]
    assert not (out / "shards").exists()  # only a .partial run keeps its shards, for --resume
    again = evaluate(tmp_path, generations=str(out / "generations.jsonl"), output=str(tmp_path / "again"))
    same_results(first, again)


def test_table_headers_name_files_not_specs(tmp_path):
    (tmp_path / "a").mkdir()
    assert ev.headers(["task:arith?n=5", "data/test.jsonl?limit=3", "gsm8k", "owner/name?split=test"]) == {
        "task:arith?n=5": "task:arith?n=5", "data/test.jsonl?limit=3": "test.jsonl", "gsm8k": "gsm8k",
        "owner/name?split=test": "owner/name?split=test"}
    # a local dataset folder goes by its name; two files of the same name keep their whole specs
    assert ev.headers([str(tmp_path / "a"), "x/test.jsonl", "y/test.jsonl"]) == {
        str(tmp_path / "a"): "a", "x/test.jsonl": "x/test.jsonl", "y/test.jsonl": "y/test.jsonl"}


def test_prefill_is_part_of_the_scored_answer(tmp_path):
    def reply(prompt, j):  # the prefill opened <think>: closing it gives an answer, not closing it truncates
        value = eval(prompt.removesuffix("<think>\n"))  # noqa: S307 - our own arithmetic
        return (f"ok</think> \\boxed{{{value}}}", 3, "stop") if j == 0 else (f"still thinking {value}", 3, "stop")

    eng = ScriptedEngine(reply)
    spec = "task:arith?split=test&n=3"
    res = evaluate(tmp_path, model="scripted", benchmark=[spec], num_samples=2, prefill="<think>\\n", _engine=eng)
    assert all(p.endswith("<think>\n") for p in eng.prompts)
    m = res["benchmarks"][spec]["metrics"]
    assert m["pass@1"] == 0.5 and m["cons@2"] == 1.0 and m["truncated_frac"] == 0.5


def test_named_benchmarks_from_a_data_dir_share_one_engine(tmp_path, shared_data):
    eng = ScriptedEngine(lambda prompt, j: ("The answer is \\boxed{27}.", 9, "stop"))
    res = evaluate(tmp_path, model="scripted", benchmark=["aime24,amc23"], data_dir=str(shared_data), limit=2,
                   num_samples=1, _engine=eng)
    assert list(res["benchmarks"]) == ["aime24", "amc23"]
    assert res["benchmarks"]["amc23"]["metrics"]["pass@1"] == 0.5  # amc23's first answer is 27
    assert res["benchmarks"]["aime24"]["template"] == "boxed"  # no chat template on this tokenizer
    assert len(eng.prompts) == 4 and all(p.endswith(templates.BOXED_INSTRUCTION) for p in eng.prompts)
    assert res["benchmarks"]["aime24"]["source"] == str(shared_data / "aime24" / "test.jsonl")


# ------------------------------------------------------------------------------------------- tiny model


def test_cli_tiny_model_results_on_stdout_and_rescored(tmp_path):
    """A real two-benchmark run in a subprocess: the table alone on stdout (logs and progress on stderr), the
    file benchmark headed by its file name, no shards left, and its generations.jsonl rescored to the same
    results."""
    import subprocess
    import sys

    data_file = write_jsonl(tmp_path / "sums.jsonl", [{"question": f"{a}+{a}", "answer": str(2 * a)} for a in range(3)])
    specs = ["task:countdown?n=3", str(data_file)]
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, "-m", "r1cli", "eval", "--model", "tiny", "--benchmark", ",".join(specs),
                           "-k", "3", "--max-completion-length", "8", "--engine", "hf", "--template", "plain",
                           "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    assert table.startswith("r1 eval (metrics in %)") and "sums.jsonl" in table and str(data_file) not in table
    assert "cons@3" in table and "wrote" not in table and "wrote" in proc.stderr and "cons@3" not in proc.stderr
    assert not (out / "shards").exists() and not (tmp_path / "eval.partial").exists()
    first = json.loads((out / "results.json").read_text())
    assert list(first["benchmarks"]) == specs
    for bench in first["benchmarks"].values():
        assert bench["num_problems"] == 3 and bench["num_samples"] == 3
        assert set(bench["metrics"]) == {"pass@1", "pass@2", "pass@3", "cons@3", "truncated_frac",
                                         "mean_completion_tokens", "pass@1_stderr", "readable_frac"}
        assert 0 < bench["metrics"]["mean_completion_tokens"] <= 8
    assert first["sampling"]["temperature"] == 0.6 and first["sampling"]["top_p"] == 0.95
    assert len((out / "samples.jsonl").read_text().splitlines()) == 18
    manifest = json.loads((out / "r1_manifest.json").read_text())
    assert manifest["stage"] == "eval" and set(manifest["metrics"]) == set(specs)
    assert [json.loads(line)["benchmark"] for line in (out / "generations.jsonl").read_text().splitlines()] == \
        [specs[0]] * 3 + [specs[1]] * 3
    res = r1("eval", "--generations", str(out / "generations.jsonl"), "--output", str(tmp_path / "again"), "--json")
    assert res.exit_code == 0, res.output
    same_results(first, json.loads(res.stdout))  # --json: stdout is the JSON alone
    assert "r1 eval (metrics in %)" in res.stderr


def test_trust_remote_code_reaches_the_engine(tmp_path, remote_code_model):
    res = evaluate(tmp_path, model=remote_code_model, benchmark=["task:arith?n=2"], num_samples=1,
                   max_completion_length=4, engine="hf", trust_remote_code=True)
    assert res["benchmarks"]["task:arith?n=2"]["num_problems"] == 2


def test_tiny_model_on_the_session_vllm_engine(tmp_path, request):
    try:
        engine = request.getfixturevalue("vllm_engine")
    except pytest.FixtureLookupError:
        pytest.skip("no vllm_engine fixture")
    names = "task:arith?split=test&n=4,task:countdown?split=test&n=3"
    res = evaluate(tmp_path, model="tiny", benchmark=[names], num_samples=4, max_completion_length=16, _engine=engine)
    assert [b["num_problems"] for b in res["benchmarks"].values()] == [4, 3]
    for bench in res["benchmarks"].values():
        assert set(bench["metrics"]) >= {"pass@1", "pass@2", "pass@4", "cons@4"}
        assert bench["template"] == "plain"
    assert not engine.closed  # a borrowed engine stays open


# ----------------------------------------------------------------------------------------------- errors


def test_bad_generations_rows(tmp_path):
    gen = write_jsonl(tmp_path / "gen.jsonl", [{"id": 0, "answer": "1", "completions": []}])
    with pytest.raises(UserError, match="non-empty list"):
        evaluate(tmp_path, generations=str(gen))
    gen = write_jsonl(tmp_path / "gen.jsonl", [{"id": 0, "answer": "1", "completions": ["1"]}])
    with pytest.raises(UserError, match="fewer than --num-samples 2"):
        evaluate(tmp_path, generations=str(gen), num_samples=2)
