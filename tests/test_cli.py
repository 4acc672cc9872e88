"""The CLI: help is instant (no heavy imports), bad input is one line with exit 2 and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from r1cli.cli import STAGES, app

HEAVY = ("torch", "transformers", "vllm", "datasets", "trl")


def r1(*args):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("argv", [["--help"]] + [[name, "--help"] for name, _ in STAGES])
def test_help_imports_nothing_heavy(argv):
    code = (
        "import sys\nfrom r1cli.cli import main\nsys.argv = ['r1'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True).stdout
    assert "Example" in out or argv == ["--help"]
    assert out.strip().endswith("HEAVY=")


def test_every_stage_help_has_an_example():
    for name, _ in STAGES:
        res = r1(name, "--help")
        assert res.exit_code == 0 and "Example" in res.output and "--config" in res.output


def test_data_stage_end_to_end_with_yaml_and_flag_override(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"dataset: task:countdown?n=20\noutput: {tmp_path / 'out'}\nlimit: 10\njsonl: true\n")
    res = r1("data", "--config", str(cfg), "--limit", "4")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "out" / "r1_manifest.json").read_text())
    assert manifest["metrics"]["rows"] == 4 and manifest["options"]["jsonl"] is True
    assert len((tmp_path / "out" / "data.jsonl").read_text().splitlines()) == 4


def _bad_inputs(tmp_path):
    (tmp_path / "bad.yaml").write_text("dataset: [\n")
    (tmp_path / "unknown.yaml").write_text("datset: x\n")
    (tmp_path / "nocol.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "empty.jsonl").write_text("")
    out = str(tmp_path / "out")
    return {
        "missing file": ["data", "-d", str(tmp_path / "nope.jsonl"), "-o", out],
        "missing folder": ["data", "-d", str(tmp_path / "nodir") + "/", "-o", out],
        "hub offline": ["data", "-d", "no-org/no-dataset-r1cli", "-o", out],
        "missing column": ["data", "-d", str(tmp_path / "nocol.jsonl"), "-o", out],
        "empty dataset": ["data", "-d", str(tmp_path / "empty.jsonl"), "-o", out],
        "malformed yaml": ["data", "-c", str(tmp_path / "bad.yaml"), "-o", out],
        "unknown yaml key": ["data", "-c", str(tmp_path / "unknown.yaml"), "-o", out],
        "unknown option": ["data", "--datasett", "x", "-o", out],
        "invalid value": ["data", "-d", "task:arith", "-o", out, "--limit", "many"],
        "invalid task value": ["data", "-d", "task:arith?steps=x", "-o", out],
        "unknown command": ["nosuch"],
    }


def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path):
    for what, argv in _bad_inputs(tmp_path).items():
        proc = subprocess.run([sys.executable, "-m", "r1cli", *argv], capture_output=True, text=True,
                              env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}, timeout=60)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2, (what, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), (what, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists(), what


def test_verbose_shows_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "r1cli", "--verbose", "data", "-d", str(tmp_path / "x.jsonl"),
                           "-o", str(tmp_path / "o")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" in proc.stderr and "error: data file not found" in proc.stderr
