"""r1 distill end to end on tiny models: the arithmetic checkpoint of the session (`sft_arith`) is the teacher,
a narrower two-layer tiny model the student. Its traces, in either layout, equal reject-sample's with the same
options (one code path) and train the student; `--traces` reuses them without opening an engine; on-policy distillation runs two
real steps; a vocabulary mismatch is one line before any training; a run killed during generation resumes to
the same traces."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli import config, data, runs
from r1cli.cli import app
from r1cli.stages import distill
from r1cli.stages import reject_sample as rs

REPO = Path(__file__).resolve().parents[2]
STUDENT = "tiny?layers=2&hidden=64&intermediate=256"
# Problems like the teacher's training set (operands up to 5), where it is right often enough to keep traces.
PROMPTS = "task:arith?n=12&max=5&seed=0"
SAMPLING = dict(template="plain", num_samples=4, temperature=0.7, top_p=1.0, max_completion_length=48,
                engine="hf", shard_size=4, seed=0)
TRAINING = dict(max_steps=6, per_device_train_batch_size=4, learning_rate=1e-3, warmup_steps=0, max_length=128,
                save_steps=0)


def make_cfg(**overrides) -> distill.Config:
    return config.resolve(distill.Config, {}, {**SAMPLING, **TRAINING, "student": STUDENT, **overrides})


@pytest.fixture(scope="module", params=["r1", "sampled"])
def distilled(request, tmp_path_factory, sft_arith):
    out = tmp_path_factory.mktemp("distill") / "run"
    result = distill.run(make_cfg(teacher=str(sft_arith.path), dataset=PROMPTS, layout=request.param,
                                  output=str(out)))
    return out, result, request.param


def _sampled_texts(traces: Path) -> set[tuple[str, str]]:
    """(prompt, response) of every sample in a traces folder's generation shards, exactly as sampled."""
    prompts = data.load(PROMPTS)["prompt"]
    records = [json.loads(line) for shard in (traces / "shards").glob("shard-*.jsonl")
               for line in shard.read_text().splitlines()]
    return {(prompts[rec["index"]], c["text"]) for rec in records for c in rec["completions"]}


def test_traces_train_the_student(distilled, sft_arith):
    from transformers import AutoConfig

    out, result, layout = distilled
    traces = runs.read_manifest(out / "traces")
    student = runs.read_manifest(out / "student")
    assert traces["stage"] == student["stage"] == "distill"
    rows, schema = data.load_pairs(str(out / "traces"))
    assert result["traces"]["rows"] == len(rows) > 0
    # plain prompts: text rows, the prompt as it is and the response as the teacher wrote it or re-written
    assert schema == "prompt-completion" and result["student"]["format"] == "text"
    if layout == "sampled":
        assert {(r["prompt"], r["completion"]) for r in rows} <= _sampled_texts(out / "traces")
    else:  # the R1 layout: the answer as a summary
        assert all(r["completion"].startswith("<think>\n") for r in rows)
        assert not any("<answer>" in r["completion"] for r in rows)
    assert result["student"]["steps"] == TRAINING["max_steps"]
    assert result["student"]["stop_token_trained"]
    assert [i["spec"] for i in student["inputs"] if i["kind"] == "model"] == [STUDENT, str(sft_arith.path)]
    assert AutoConfig.from_pretrained(out / "student").num_hidden_layers == 2  # the student, not the teacher


def test_traces_equal_reject_sample_with_the_same_options(distilled, sft_arith, tmp_path):
    out, result, layout = distilled
    stats = rs.run(config.resolve(rs.Config, {}, {**SAMPLING, "model": str(sft_arith.path), "dataset": PROMPTS,
                                                   "layout": layout, "output": str(tmp_path / "rs")}))
    assert stats == result["traces"]
    assert data.load_pairs(str(tmp_path / "rs"))[0].to_list() == data.load_pairs(str(out / "traces"))[0].to_list()


def test_traces_reuse_skips_generation(distilled, tmp_path, monkeypatch):
    from r1cli import generation

    def never(*a, **k):
        raise AssertionError("--traces must not sample")

    monkeypatch.setattr(generation, "open_engine", never)
    out = tmp_path / "again"
    result = distill.run(make_cfg(teacher="tiny", traces=str(distilled[0] / "traces"), layout=distilled[2],
                                  output=str(out)))
    assert result["traces"] is None and not (out / "traces").exists()
    assert result["student"]["rows"] == distilled[1]["traces"]["rows"]
    assert result["student"]["format"] == distilled[1]["student"]["format"]
    assert runs.read_manifest(out / "student")["metrics"]["steps"] == TRAINING["max_steps"]


def test_on_policy_runs_two_steps(sft_arith, tmp_path):
    out = tmp_path / "on-policy"
    result = distill.run(make_cfg(method="on-policy", teacher=str(sft_arith.path), dataset="task:arith?n=8&max=5",
                                  output=str(out), max_steps=2, per_device_train_batch_size=2,
                                  max_completion_length=16, jsd_beta=0.5))
    metrics = result["student"]
    assert metrics["steps"] == 2 and metrics["final_loss"] is not None and metrics["final_loss"] >= 0
    assert (out / "student" / "model.safetensors").exists() and not (out / "traces").exists()


def test_vocabulary_mismatch_is_one_line_before_training(tiny_model, tmp_path, monkeypatch):
    import shutil

    from transformers import AutoTokenizer

    from r1cli import training

    other = tmp_path / "other-vocab"
    shutil.copytree(tiny_model, other)
    tok = AutoTokenizer.from_pretrained(other)
    tok.add_tokens(["<extra>"])
    tok.save_pretrained(other)

    def never(*a, **k):
        raise AssertionError("no model may be loaded for training")

    monkeypatch.setattr(training, "load_model", never)
    res = CliRunner().invoke(app, ["distill", "--method", "on-policy", "--teacher", str(other), "--student",
                                   tiny_model, "--dataset", "task:arith?n=4", "--output", str(tmp_path / "X")])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --method on-policy needs one vocabulary"), lines
    assert not (tmp_path / "X").exists()


def _kill_args(teacher: str, output: Path) -> list[str]:
    return ["distill", "--teacher", teacher, "--student", STUDENT, "--dataset", "task:arith?n=16&max=5&seed=5",
            "--output", str(output), "--template", "plain", "--num-samples", "2", "--temperature", "1.0",
            "--max-completion-length", "48", "--engine", "hf", "--shard-size", "2", "--max-steps", "2",
            "--per-device-train-batch-size", "2", "--save-steps", "0"]


def test_killed_generation_resumes_to_the_same_traces(sft_arith, tmp_path):
    args = _kill_args(str(sft_arith.path), tmp_path / "killed")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "r1cli", "-q", *args], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shards = tmp_path / "killed" / "traces.partial" / "shards"
    try:
        deadline = time.monotonic() + 240
        while len(list(shards.glob("shard-*.jsonl"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0, proc.stderr.read().decode()
    assert not (tmp_path / "killed" / "traces").exists()  # nothing published
    done = {p.name: p.stat().st_mtime_ns for p in shards.glob("shard-*.jsonl")}
    assert 2 <= len(done) < 8
    res = CliRunner().invoke(app, [*args, "--resume"])
    assert res.exit_code == 0, res.output
    published = tmp_path / "killed" / "traces" / "shards"
    assert all((published / name).stat().st_mtime_ns == t for name, t in done.items())  # not redone
    assert (tmp_path / "killed" / "student" / "model.safetensors").exists()
    whole = CliRunner().invoke(app, _kill_args(str(sft_arith.path), tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    assert (data.load_pairs(str(tmp_path / "killed" / "traces"))[0].to_list()
            == data.load_pairs(str(tmp_path / "whole" / "traces"))[0].to_list())
