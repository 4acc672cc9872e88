"""Run folders: manifests, atomic publication, resume and overwrite rules."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from r1cli import runs
from r1cli.errors import UserError


@dataclass
class Opts:
    lr: float = 0.1


def test_manifest_records_options_inputs_versions_and_metrics(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "a", "answer": "1"}\n')
    upstream = tmp_path / "up"
    with runs.run_dir("data", upstream, Opts()) as run:
        run.metrics = {"rows": 1}
    with runs.run_dir("sft", tmp_path / "out", Opts(lr=0.5)) as run:
        run.add_input("dataset", str(src))
        run.add_input("dataset", str(upstream))
        run.add_input("model", "tiny")
        run.metrics = {"loss": 0.25}
    m = json.loads((tmp_path / "out" / runs.MANIFEST).read_text())
    assert m["stage"] == "sft" and m["options"] == {"lr": 0.5} and m["metrics"] == {"loss": 0.25}
    assert m["inputs"][0]["sha256"] and m["inputs"][0]["kind"] == "dataset"
    assert m["inputs"][1]["upstream_manifest"]["stage"] == "data"
    assert {"torch", "transformers", "trl", "r1cli"} <= set(m["versions"])
    assert m["started"] <= m["finished"] and m["host"]


def test_crash_leaves_no_output_folder(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with runs.run_dir("x", out, Opts()) as run:
            (run.path / "half.txt").write_text("partial")
            raise RuntimeError("killed mid-write")
    assert not out.exists()
    assert (tmp_path / "out.partial" / "half.txt").exists()  # kept for --resume only
    with runs.run_dir("x", out, Opts(), resume=True) as run:
        assert (run.path / "half.txt").exists()
    assert (out / "half.txt").exists() and not (tmp_path / "out.partial").exists()


def test_stale_partial_is_cleared_without_resume(tmp_path):
    (tmp_path / "o.partial").mkdir()
    (tmp_path / "o.partial" / "stale").write_text("x")
    with runs.run_dir("x", tmp_path / "o", Opts()) as run:
        assert not (run.path / "stale").exists()


def test_existing_output_needs_overwrite(tmp_path):
    with runs.run_dir("x", tmp_path / "o", Opts()):
        pass
    with pytest.raises(UserError, match="already exists"):
        with runs.run_dir("x", tmp_path / "o", Opts()):
            pass
    with runs.run_dir("x", tmp_path / "o", Opts(lr=2.0), overwrite=True):
        pass
    assert runs.read_manifest(tmp_path / "o")["options"]["lr"] == 2.0
