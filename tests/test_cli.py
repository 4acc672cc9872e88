"""The CLI: help is instant (no heavy imports) and readable at 80 columns, --verbose shows tracebacks, every
declared bound is enforced under the flag's own name before the stage starts. Bad input end to end, in a real
process: tests/test_bad_input.py."""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from r1cli import config as cfgmod
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
    cfg.write_text(f"stage: data\ndataset: task:countdown?n=20\noutput: {tmp_path / 'out'}\nlimit: 10\njsonl: true\n")
    res = r1("data", "--config", str(cfg), "--limit", "4")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "out" / "r1_manifest.json").read_text())
    assert manifest["metrics"]["rows"] == 4 and manifest["options"]["jsonl"] is True
    assert len((tmp_path / "out" / "data.jsonl").read_text().splitlines()) == 4


def test_verbose_shows_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "r1cli", "--verbose", "data", "-d", str(tmp_path / "x.jsonl"),
                           "-o", str(tmp_path / "o")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" in proc.stderr and "error: data file not found" in proc.stderr


def test_verbose_and_quiet_work_after_the_stage_name(tmp_path):
    def run(*argv):
        return subprocess.run([sys.executable, "-m", "r1cli", *argv], capture_output=True, text=True, timeout=60)

    loud = run("data", "-d", "task:countdown?n=5", "-o", str(tmp_path / "a"))
    quiet = run("data", "-q", "-d", "task:countdown?n=5", "-o", str(tmp_path / "b"))
    assert loud.returncode == quiet.returncode == 0, (loud.stderr, quiet.stderr)
    assert "wrote 5 rows" in loud.stderr and "wrote" not in quiet.stderr
    verbose = run("data", "-d", str(tmp_path / "x.jsonl"), "-o", str(tmp_path / "c"), "--verbose")
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr


# ---------------------------------------------------------------------------------------------------- help


def _stage_fields():
    for name, module in STAGES:
        for f in cfgmod.fields(importlib.import_module(module).Config):
            yield name, f


def _flat(text: str) -> str:
    return "".join(text.split())  # help wraps lines anywhere, hyphens included


@pytest.mark.parametrize("stage", [name for name, _ in STAGES])
def test_help_fits_80_columns_with_every_option_name_whole(stage):
    res = CliRunner().invoke(app, [stage, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    words = set(res.output.replace(",", " ").split())
    for name, f in _stage_fields():
        if name == stage:
            assert cfgmod.flag(f) in words, (stage, cfgmod.flag(f))
            choices = cfgmod.choices(f)
            if choices:
                assert _flat(f"[choices: {', '.join(choices)}]") in _flat(res.output), (stage, f.name)
    assert {"-q", "-v"} <= words


def test_reward_help_lists_the_registry_and_the_default():
    from r1cli import rewards
    from r1cli.stages import grpo

    res = r1("grpo", "--help")
    flat = _flat(res.output)
    assert all(_flat(name) in flat for name in rewards.names())
    default = grpo.Config().reward
    assert _flat(f"[default: {', '.join(default)}]") in flat


def test_helps_that_name_benchmarks_follow_the_benchmark_table(monkeypatch):
    """An option's help that names the benchmarks reads r1cli.benchmarks.BENCHMARKS, so one added there shows up
    in `r1 eval --help` and in every curation stage's --decontaminate without editing a help text."""
    from r1cli import benchmarks

    monkeypatch.setitem(benchmarks.BENCHMARKS, "newbench", benchmarks.Benchmark(hub="o/n", file="newbench/t.jsonl"))
    naming = set()
    for stage, f in _stage_fields():
        text = cfgmod.help_text(f)
        if any(name in text for name in benchmarks.BENCHMARKS):
            naming.add((stage, f.name))
            assert all(name in text for name in benchmarks.BENCHMARKS), (stage, f.name, text)
    assert {("eval", "benchmark"), ("coldstart", "decontaminate"), ("distill", "decontaminate"),
            ("reject-sample", "decontaminate")} <= naming
    assert "newbench" in _flat(r1("eval", "--help").output)


# ---------------------------------------------------------------------------------------------- bounds

# The smallest valid command line of each stage; a bound's case adds one bad flag to it.
BASE = {
    "sft": ["-m", "tiny", "-d", "task:arith", "-o", "{out}"],
    "grpo": ["-m", "tiny", "-d", "task:arith", "-o", "{out}"],
    "reward-model": ["-m", "tiny", "-d", "task:prefs", "-o", "{out}"],
    "align": ["-m", "tiny", "-d", "task:arith", "-o", "{out}"],
    "eval": ["-m", "tiny", "-b", "task:arith", "-o", "{out}"],
    "reject-sample": ["-m", "tiny", "-d", "task:arith", "-o", "{out}"],
    "coldstart": ["-m", "tiny", "-d", "task:arith", "-o", "{out}"],
    "distill": ["--teacher", "tiny", "--student", "tiny", "-d", "task:arith", "-o", "{out}"],
    "report": ["runs", "-o", "{out}"],  # a positional option comes first
    "data": ["-d", "task:arith", "-o", "{out}"],
    "tiny-model": ["-o", "{out}"],
}


def _outside(f, scalar):
    """Values just outside each declared bound of a number option, and non-finite ones for floats."""
    meta = f.metadata
    step = 1 if scalar is int else 0.5
    values = []
    if meta.get("min") is not None:
        values.append(meta["min"] if meta.get("min_open") else meta["min"] - step)
    if meta.get("max") is not None:
        values.append(meta["max"] if meta.get("max_open") else meta["max"] + step)
    if scalar is float:
        values += [math.nan, math.inf]
    return values


def _bound_cases():
    cases = []
    for stage, f in _stage_fields():
        scalar, _, _ = cfgmod.base_type(_hint(stage, f))
        for value in _outside(f, scalar):
            cases.append(pytest.param(stage, [cfgmod.flag(f), str(value)], cfgmod.flag(f),
                                      id=f"{stage} {cfgmod.flag(f)} {value}"))
        if f.metadata.get("required"):
            cases.append(pytest.param(stage, None, cfgmod.flag(f), id=f"{stage} without {cfgmod.flag(f)}"))
    return cases


def _hint(stage, f):
    return cfgmod._hints(importlib.import_module(dict(STAGES)[stage]).Config)[f.name]


def _without(argv, flag, short):
    if flag.isupper():  # a positional option: BASE gives it first
        return argv[1:]
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in (flag, short):
            skip = True
        else:
            out.append(arg)
    return out


@pytest.mark.parametrize("stage,extra,flag", _bound_cases())
def test_every_declared_bound_is_one_line_exit_2_naming_the_flag_and_nothing_is_written(tmp_path, monkeypatch,
                                                                                        stage, extra, flag):
    monkeypatch.chdir(tmp_path)
    assert stage in BASE, f"add the smallest valid command line of '{stage}' to BASE"
    argv = [a.format(out=tmp_path / "out") for a in BASE[stage]]
    if extra is None:  # a required option left out, or emptied in a YAML file where it has a default
        f = next(f for s, f in _stage_fields() if s == stage and cfgmod.flag(f) == flag)
        argv = _without(argv, flag, f.metadata.get("short"))
        if f.default_factory is not cfgmod.dataclasses.MISSING or f.default is not None:
            yaml_file = tmp_path.parent / f"{tmp_path.name}.yaml"  # outside the folder that must stay empty
            yaml_file.write_text(f"{f.name}: []\n")
            argv += ["--config", str(yaml_file)]
        message = f"error: {flag} is required"
    else:
        argv += extra
        message = f"error: {flag} must be"
    def reached_run(cfg):  # the config must be refused before the stage starts any work
        raise AssertionError(f"{stage} started with {cfg}")

    monkeypatch.setattr(importlib.import_module(dict(STAGES)[stage]), "run", reached_run)
    res = r1(stage, *argv)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert lines[0].startswith(message), lines[0]
    assert "Traceback" not in res.output and list(tmp_path.iterdir()) == []


# Every stage has a seed (what it seeds is the stage's own) and a --trust-remote-code, whose one declaration is
# models.remote_code_option; sft's --template leaves out boxed (its completions answer in <answer> tags).
_OWN_IN_EACH_STAGE = {"seed", "trust_remote_code", "template"}


def test_each_training_and_sampling_option_is_declared_once():
    """No stage (nor a core class it builds on) declares a training or sampling option again: each is declared by
    TrainingOptions, DecodingOptions or SamplingOptions alone, and a stage's other default goes through
    config.defaults, which keeps the declaration."""
    from r1cli.generation.options import DecodingOptions, SamplingOptions
    from r1cli.training import TrainingOptions

    bases = (TrainingOptions, DecodingOptions, SamplingOptions)
    shared = {f.name for base in bases for f in cfgmod.fields(base)} - _OWN_IN_EACH_STAGE
    declared_by: dict[str, set[str]] = {name: set() for name in shared}
    for _, module in STAGES:
        for cls in importlib.import_module(module).Config.__mro__:
            if "defaults_of" in vars(cls):  # a config.defaults subclass: new defaults, the base's declaration
                continue
            for name in set(vars(cls).get("__annotations__", {})) & shared:
                declared_by[name].add(f"{cls.__module__}.{cls.__qualname__}")
    owners = {f"{b.__module__}.{b.__qualname__}" for b in bases}
    assert {name: where for name, where in declared_by.items() if len(where) != 1 or not where <= owners} == {}
    assert all(declared_by.values())  # each is offered by some stage
