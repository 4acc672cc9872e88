"""r1 reject-sample end to end on real engines: a tiny checkpoint fine-tuned on arithmetic (r1 sft, 400 steps,
~30 s) is sampled on problems of its training set; every kept sample is re-verified here by evaluating the problem in Python; counts add up;
duplicate prompts yield no duplicate responses; planted benchmark problems are never sampled; the mix fraction
is exact to one row; the output trains with r1 sft; a judge whose replies cannot be parsed keeps nothing; a
run killed with SIGKILL or SIGINT resumes to the uninterrupted run's dataset; bad input is one line, exit 2,
before anything is sampled."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli import config, data
from r1cli.cli import app
from r1cli.curation import REASONS
from r1cli.stages import reject_sample as rs

LAYOUT = re.compile(r"<think>\n(.+)\n</think>\n\n(.+)", re.S)
REPO = Path(__file__).resolve().parents[2]
SMOLLM2 = REPO / "models" / "smollm2-135m-instruct"


def make_cfg(**overrides) -> rs.Config:
    base = dict(template="plain", num_samples=4, temperature=0.7, top_p=1.0, max_completion_length=48,
                engine="hf", shard_size=4)
    return config.resolve(rs.Config, {}, {**base, **overrides})


def arith_rows(n: int, seed: int = 0) -> list[dict]:
    """Problems of the checkpoint's training set (seed 0) or like them: 150 steps of SFT leave the model right on
    about half of the problems it saw and few it did not, and these tests need kept samples."""
    ds = data.load(f"task:arith?n={n}&max=5&seed={seed}")
    return [{"id": r["id"], "prompt": r["prompt"], "answer": r["answer"]} for r in ds]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    from r1cli.stages import sft

    out = tmp_path_factory.mktemp("rs-ckpt") / "sft"
    sft.run(config.resolve(sft.Config, {}, dict(
        model="tiny", dataset=["task:arith?n=700&max=5"], output=str(out), learning_rate=3e-3,
        per_device_train_batch_size=16, max_steps=400, warmup_steps=8, max_length=128, save_steps=0, seed=0)))
    return str(out)


@pytest.fixture(scope="module")
def curated(tmp_path_factory, checkpoint, shared_data):
    """One run: 16 test problems, each twice (exact duplicates arise), 3 of them planted in a benchmark file
    and one MATH-500 problem planted among the prompts; a chat set mixed in at 0.25."""
    tmp = tmp_path_factory.mktemp("rs")
    rows = arith_rows(16)
    math500 = json.loads((shared_data / "math500" / "test.jsonl").open().readline())
    prompts = rows + [{**r, "id": r["id"] + "-again"} for r in rows]
    prompts.append({"id": "planted-math500", "prompt": math500["problem"], "answer": math500["answer"]})
    data.write_jsonl(prompts, tmp / "prompts.jsonl")
    data.write_jsonl(rows[:3], tmp / "bench.jsonl")
    chat = [{"messages": [{"role": "user", "content": f"hello {i}"}, {"role": "assistant", "content": "Hi!"}]}
            for i in range(5)]
    data.write_jsonl(chat, tmp / "chat.jsonl")
    out = tmp / "out"
    stats = rs.run(make_cfg(model=checkpoint, dataset=str(tmp / "prompts.jsonl"), output=str(out),
                            decontaminate=[f"math500,{tmp / 'bench.jsonl'}"], data_dir=str(shared_data),
                            mix=[f"{tmp / 'chat.jsonl'}:0.25"], temperature=0.3))
    return out, stats, rows, str(tmp / "chat.jsonl")


def test_kept_samples_are_correct_and_in_the_r1_layout(curated):
    out, stats, _, chat = curated
    ds = data.load_pairs(str(out))[0]
    reasoning_rows = [r for r in ds if r["source"] != chat]
    assert len(reasoning_rows) == stats["counts"]["kept"] > 0
    for r in reasoning_rows:
        m = LAYOUT.fullmatch(r["completion"])  # --template plain: a text pair, the problem as it is
        assert m, r["completion"]
        value = eval(r["prompt"])  # noqa: S307 - our own arithmetic problems, re-checked without the reward code
        assert int(m.group(2)) == value == int(r["answer"])
        assert r["verified_by"] == "rule" and 0 < r["num_tokens"] <= 48


def test_a_user_reward_from_a_file_decides_what_is_kept(checkpoint, tmp_path):
    """--reward FILE.py:FUNCTION checks every row: this one calls an answer right when it differs from the gold,
    so every kept sample is wrong by Python's own arithmetic."""
    (tmp_path / "contrary.py").write_text(
        "from r1cli.rewards import extract_answer\n\n"
        "def contrary(completions, answer, **kwargs):\n"
        "    return [float(extract_answer(c)[0] not in (None, str(a))) for c, a in zip(completions, answer)]\n")
    data.write_jsonl(arith_rows(12), tmp_path / "prompts.jsonl")
    stats = rs.run(make_cfg(model=checkpoint, dataset=str(tmp_path / "prompts.jsonl"), output=str(tmp_path / "out"),
                            reward=f"{tmp_path / 'contrary.py'}:contrary", temperature=1.0))
    kept = data.load_pairs(str(tmp_path / "out"))[0]
    assert len(kept) == stats["counts"]["kept"] > 0
    for r in kept:
        assert int(LAYOUT.fullmatch(r["completion"]).group(2)) != eval(r["prompt"])  # noqa: S307 - our own problems


def test_counts_add_up_and_are_written(curated):
    out, stats, rows, _ = curated
    counts = stats["counts"]
    assert list(counts) == ["generated", *REASONS]
    assert counts["generated"] == sum(counts[r] for r in REASONS) == (len(rows) * 2 - 3 * 2) * 4
    assert json.loads((out / "stats.json").read_text()) == stats
    assert json.loads((out / "r1_manifest.json").read_text())["metrics"] == stats
    rejected = data.read_jsonl(out / "rejected.jsonl")
    assert len(rejected) == counts["generated"] - counts["kept"]
    assert {r["reason"] for r in rejected} <= set(REASONS) - {"kept"}
    for reason in {r["reason"] for r in rejected}:
        assert sum(r["reason"] == reason for r in rejected) == counts[reason]
    assert not Path(str(out) + ".partial").exists()


def test_duplicate_prompts_give_no_duplicate_responses(curated):
    out, stats, _, chat = curated
    ds = data.load_pairs(str(out))[0]
    seen = {}
    for r in ds:
        if r["source"] != chat:
            key = (r["prompt"], " ".join(r["completion"].lower().split()))
            assert key not in seen
            seen[key] = r["id"]
    assert stats["counts"]["duplicate"] > 0  # each prompt was asked twice; the model repeats its right answers


def test_planted_benchmark_problems_are_not_sampled(curated):
    out, stats, rows, _ = curated
    assert stats["contaminated_prompts"] == 3 * 2 + 1 and stats["prompts"] == len(rows) * 2 + 1
    planted = {r["prompt"] for r in rows[:3]}
    ds = data.load_pairs(str(out))[0]
    rejected = data.read_jsonl(out / "rejected.jsonl")
    assert not planted & ({r["prompt"] for r in ds} | {r["prompt"] for r in rejected})
    assert not any(r["id"] == "planted-math500" for r in [*ds, *rejected])
    shards = [json.loads(line) for p in sorted((out / "shards").glob("shard-*.jsonl")) for line in p.open()]
    assert len(shards) == len(rows) * 2 - 6  # the planted problems were never generated


def test_mix_fraction_is_exact_to_one_row(curated):
    out, stats, _, chat = curated
    ds = data.load_pairs(str(out))[0]
    mixed = [r for r in ds if r["source"] == chat]
    assert stats["mixed_in"] == {chat: len(mixed)} and stats["rows"] == len(ds)
    assert abs(len(mixed) - 0.25 * len(ds)) <= 1
    # beside text rows the chat rows mixed in are text too, and a reply without reasoning gets no think block
    assert all(r["prompt"].startswith("hello") and r["completion"] == "Hi!" for r in mixed)


def test_output_trains_with_sft(curated, checkpoint, tmp_path):
    from r1cli.stages import sft

    out = curated[0]
    metrics = sft.run(config.resolve(sft.Config, {}, dict(
        model=checkpoint, dataset=[str(out)], output=str(tmp_path / "sft"), template="plain", max_steps=3, per_device_train_batch_size=4,
        learning_rate=1e-3, save_steps=0)))
    assert metrics["steps"] == 3 and metrics["format"] == "text" and metrics["stop_token_trained"]


def test_unparsable_judge_keeps_nothing(checkpoint, tiny_model, tmp_path):
    """Prompts without answers go to the judge; the untrained tiny model writes no verdict."""
    rows = [{"id": r["id"], "prompt": r["prompt"]} for r in arith_rows(4)]
    data.write_jsonl(rows, tmp_path / "q.jsonl")
    stats = rs.run(make_cfg(model=checkpoint, dataset=str(tmp_path / "q.jsonl"), output=str(tmp_path / "out"),
                            num_samples=2, judge=tiny_model, judge_max_completion_length=16))
    counts = stats["counts"]
    assert counts["kept"] == 0 and counts["judge_unparsable"] > 0
    assert counts["judge_unparsable"] + counts["no_think"] + counts["truncated"] + counts["unfinished_think"] \
        + sum(counts[r] for r in ("mixed_language", "long_paragraph", "code_block", "repetition")) == 8
    judged = [r for r in data.read_jsonl(tmp_path / "out" / "rejected.jsonl") if r["reason"] == "judge_unparsable"]
    assert len(judged) == counts["judge_unparsable"] and all("judge_reply" in r for r in judged)
    assert (tmp_path / "out" / "judge-shards").is_dir()


# ------------------------------------------------------------------------------------------ kill + resume


def _resume_args(model: str, prompts: Path, output: Path) -> list[str]:
    return ["reject-sample", "--model", model, "--dataset", str(prompts), "--output", str(output), "--template",
            "plain", "--num-samples", "2", "--temperature", "1.0", "--max-completion-length", "48",
            "--engine", "hf", "--shard-size", "2", "--max-per-prompt", "1"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, pytest.param(signal.SIGINT, marks=pytest.mark.slow)])
def test_killed_run_resumes_to_the_same_dataset(checkpoint, tmp_path, sig):
    data.write_jsonl(arith_rows(16, seed=5), tmp_path / "p.jsonl")
    args = _resume_args(checkpoint, tmp_path / "p.jsonl", tmp_path / "killed")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "r1cli", "-q", *args], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shards = tmp_path / "killed.partial" / "shards"
    try:
        deadline = time.monotonic() + 240
        while len(list(shards.glob("shard-*.jsonl"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, sig)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0, proc.stderr.read().decode()
    assert not (tmp_path / "killed").exists()  # nothing published
    done = {p.name: p.stat().st_mtime_ns for p in shards.glob("shard-*.jsonl")}
    assert 2 <= len(done) < 8
    assert CliRunner().invoke(app, [*args, "--resume"]).exit_code == 0
    published = tmp_path / "killed" / "shards"
    assert all((published / name).stat().st_mtime_ns == t for name, t in done.items())  # not redone
    assert CliRunner().invoke(app, _resume_args(checkpoint, tmp_path / "p.jsonl", tmp_path / "whole")).exit_code == 0
    assert data.load_pairs(str(tmp_path / "killed"))[0].to_list() == data.load_pairs(str(tmp_path / "whole"))[0].to_list()
    for name in ("stats.json", "rejected.jsonl"):
        assert (tmp_path / "killed" / name).read_text() == (tmp_path / "whole" / name).read_text()


# ------------------------------------------------------------------------------------------- bad input


# Bad input: the reject-sample rows of tests/test_bad_input.py's table.


# ------------------------------------------------------------------------------------------------ slow


@pytest.mark.slow
def test_vllm_engine(checkpoint, tmp_path):
    pytest.importorskip("vllm")
    data.write_jsonl(arith_rows(8, seed=2), tmp_path / "p.jsonl")
    stats = rs.run(make_cfg(model=checkpoint, dataset=str(tmp_path / "p.jsonl"), output=str(tmp_path / "out"),
                            engine="vllm"))
    counts = stats["counts"]
    assert counts["generated"] == 32 == sum(counts[r] for r in REASONS) and counts["kept"] > 0
    for r in data.load_pairs(str(tmp_path / "out"))[0]:
        assert int(LAYOUT.fullmatch(r["completion"]).group(2)) == eval(r["prompt"])  # noqa: S307


@pytest.mark.slow
@pytest.mark.skipif(not SMOLLM2.is_dir(), reason="run 'make smollm2' to build models/smollm2-135m-instruct")
def test_smollm2_judge(checkpoint, tmp_path):
    rows = [{"id": r["id"], "prompt": r["prompt"]} for r in arith_rows(6, seed=3)]
    data.write_jsonl(rows, tmp_path / "q.jsonl")
    stats = rs.run(make_cfg(model=checkpoint, dataset=str(tmp_path / "q.jsonl"), output=str(tmp_path / "out"),
                            judge=str(SMOLLM2), judge_max_completion_length=64))
    counts = stats["counts"]
    judged = counts["kept"] + counts["judged_wrong"] + counts["judge_unparsable"] + counts["duplicate"] \
        + counts["near_duplicate"]
    assert judged > 0 and counts["generated"] == sum(counts[r] for r in REASONS)
    for r in data.load_pairs(str(tmp_path / "out"))[0]:
        assert r["verified_by"] == "judge"


def test_default_template_on_a_model_without_a_chat_template_is_boxed(base_model, tmp_path):
    """--template auto (the default) on text prompts that are not a task: boxed, recorded in the manifest."""
    data.write_jsonl([{"id": f"p{i}", "prompt": f"{i}+{i}", "answer": str(2 * i)} for i in range(3)],
                     tmp_path / "prompts.jsonl")
    cfg = config.resolve(rs.Config, {}, dict(model=base_model, dataset=str(tmp_path / "prompts.jsonl"),
                                             output=str(tmp_path / "out"), num_samples=1, max_completion_length=4,
                                             engine="hf"))
    assert cfg.template == "auto"
    rs.run(cfg)
    assert json.loads((tmp_path / "out" / "r1_manifest.json").read_text())["options"]["template"] == "boxed"


def test_code_prompts_keep_only_passing_programs(tiny_model, tmp_path):
    """A code set (tests, no answer column) in one command: the prompt asks for a fenced Python block, only
    programs passing every test are kept, the stats count the others, and the manifest names the isolation."""
    from r1cli.benchmarks import CODE_INSTRUCTION
    from r1cli.generation.base import Completion, Engine

    class Programs(Engine):
        """Sample 0 echoes its input (right); sample 1 prints a constant (passes one test of two)."""

        name = "programs"

        def __init__(self, tokenizer):
            super().__init__("programs", tokenizer, None)
            self.prompts = []

        def _run(self, requests, sampling, done):
            for pos, req in enumerate(requests):
                self.prompts.append(self.tokenizer.decode(req.ids))
                codes = ["print(input())", "print('a')"]
                done(pos, [Completion(f"<think>\nI read one line and print it back as it is, nothing else "
                                      f"to do here.\n</think>\n```python\n{codes[j % 2]}\n```", 30, "stop")
                           for j in range(sampling.n)])

    rows = [{"id": f"echo{i}", "prompt": f"Print the line you read ({i}).",
             "tests": json.dumps([{"input": "a\n", "output": "a\n"}, {"input": "b\n", "output": "b\n"}])}
            for i in range(3)]
    data.write_jsonl(rows, tmp_path / "code.jsonl")
    from transformers import AutoTokenizer

    engine = Programs(AutoTokenizer.from_pretrained(tiny_model))
    out = tmp_path / "out"
    stats = rs.run(make_cfg(model=tiny_model, dataset=str(tmp_path / "code.jsonl"), output=str(out),
                            template="boxed", num_samples=2), engine=engine)
    assert stats["counts"]["kept"] == 3 and stats["counts"]["failed_tests"] == 3
    kept = data.load(str(out), require_answer=False)
    assert all("print(input())" in m[-1]["content"] for m in kept["messages"])
    assert CODE_INSTRUCTION in engine.prompts[0] and "boxed" not in engine.prompts[0]
    assert json.loads((out / "r1_manifest.json").read_text()).get("code_isolation")
