"""Config merging: defaults < YAML < flags; dashes or underscores; unknown keys and bad values refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from r1cli import config
from r1cli.config import load_yaml, option, resolve
from r1cli.errors import UserError


@dataclass
class Demo:
    group_size: int = option(8, "G")
    beta: float = option(0.001, "KL weight")
    reward: list[str] = option(["accuracy"], "rewards")
    use_vllm: str = option("auto", "engine", choices=["auto", "true", "false"])
    resume: bool = option(False, "resume")
    system_prompt: str | None = option(None, "system")


def test_defaults_then_yaml_then_flags():
    cfg = resolve(Demo, {"group-size": 4, "beta": 0.1}, {"beta": 0.5})
    assert cfg.group_size == 4  # from YAML (dash spelling)
    assert cfg.beta == 0.5  # flag beats YAML
    assert cfg.reward == ["accuracy"]  # default


def test_yaml_underscores_lists_and_bools(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("group_size: 16\nreward: [accuracy, 'format:0.5']\nresume: yes\nsystem_prompt: be brief\n")
    cfg = resolve(Demo, load_yaml(f))
    assert (cfg.group_size, cfg.reward, cfg.resume, cfg.system_prompt) == (16, ["accuracy", "format:0.5"], True,
                                                                            "be brief")


def test_unknown_key_lists_valid_ones():
    with pytest.raises(UserError, match=r"unknown option 'groupsize'.*group-size"):
        resolve(Demo, {"groupsize": 3})


@pytest.mark.parametrize("values", [{"group_size": "many"}, {"beta": [1]}, {"use_vllm": "maybe"},
                                    {"group_size": 2.5}, {"resume": "perhaps"}])
def test_bad_values_are_user_errors(values):
    with pytest.raises(UserError):
        resolve(Demo, values)


def test_malformed_and_missing_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(UserError, match="malformed YAML"):
        load_yaml(bad)
    with pytest.raises(UserError, match="not found"):
        load_yaml(tmp_path / "none.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(UserError, match="mapping"):
        load_yaml(tmp_path / "list.yaml")


# ------------------------------------------------------------------------------ declared requirements and ranges

calls = []


def _lazy_names():
    calls.append("choices")
    return ["a", "b"]


def _lazy_help():
    calls.append("help")
    return "built late"


@dataclass
class Bounded:
    output: str | None = option(None, "out", required=True)
    items: list[str] = option([], "items", required=True)
    top_p: float = option(1.0, "p", min=0, max=1, min_open=True)
    warmup: float = option(0.0, "ratio", min=0, max=1, max_open=True)
    size: int = option(2, "G", min=2)
    count: int | None = option(None, "K", min=1, max=100, max_reason="they are kept in memory")
    steps: int = option(5, "N")
    pick: str = option("a", _lazy_help, choices=_lazy_names)


def ok(**values):
    return resolve(Bounded, {}, {"output": "o", "items": ["x"], **values})


def test_required_options_must_be_given():
    with pytest.raises(UserError, match=r"^--output is required$"):
        resolve(Bounded, {}, {"items": ["x"]})
    with pytest.raises(UserError, match=r"^--items is required$"):  # a list needs at least one item
        resolve(Bounded, {"items": []}, {"output": "o"})
    assert ok().output == "o"


@pytest.mark.parametrize("values,message", [
    ({"top_p": 0}, r"^--top-p must be in \(0, 1\], got 0$"),
    ({"top_p": 2}, r"^--top-p must be in \(0, 1\], got 2$"),
    ({"warmup": 1}, r"^--warmup must be in \[0, 1\), got 1$"),
    ({"warmup": -0.5}, r"^--warmup must be in \[0, 1\), got -0.5$"),
    ({"size": 1}, r"^--size must be at least 2, got 1$"),
    ({"count": 0}, r"^--count must be in \[1, 100\], got 0$"),
    ({"count": 101}, r"^--count must be in \[1, 100\] \(they are kept in memory\), got 101$"),
    ({"top_p": float("nan")}, r"^--top-p must be a finite number, got nan$"),
    ({"steps": 2**64}, r"^--steps does not fit in a 64-bit integer"),
    ({"pick": "c"}, r"^invalid value 'c' for --pick \(choose from: a, b\)$"),
])
def test_values_outside_their_declared_range_name_the_flag(values, message):
    with pytest.raises(UserError, match=message):
        ok(**values)


def test_range_edges_are_inclusive_or_exclusive_as_declared():
    cfg = ok(top_p=1, warmup=0, size=2, count=100)
    assert (cfg.top_p, cfg.warmup, cfg.size, cfg.count) == (1.0, 0.0, 2, 100)
    assert ok(count=None).count is None  # an optional bound applies only when the option is given


def test_yaml_values_are_checked_like_flags():
    with pytest.raises(UserError, match="--top-p must be"):
        resolve(Bounded, {"top-p": 1.5, "output": "o", "items": "x"})


def test_help_and_choices_given_as_functions_are_called_only_when_needed():
    from r1cli.config import choices, fields, help_text

    calls.clear()
    field = {f.name: f for f in fields(Bounded)}["pick"]
    assert calls == []  # declaring the option listed nothing
    assert help_text(field) == "built late" and choices(field) == ["a", "b"]
    assert calls == ["help", "choices"]


def test_a_check_says_what_a_range_cannot():
    from r1cli.stages import sft

    base = {"model": "tiny", "dataset": ["task:arith"], "output": "o"}
    assert resolve(sft.Config, {}, {**base, "warmup_steps": 0.03}).warmup_steps == 0.03  # a ratio
    assert resolve(sft.Config, {}, {**base, "warmup_steps": 10}).warmup_steps == 10  # steps
    with pytest.raises(UserError, match=r"^--warmup-steps must be a fraction below 1 or a whole number of steps, "
                                        r"got 2.5$"):
        resolve(sft.Config, {}, {**base, "warmup_steps": 2.5})


def test_defaults_changes_only_the_defaults_of_the_named_options():
    @dataclass
    class Base:
        rate: float = option(1.0, "Peak rate.", min=0, min_open=True)
        mode: str = option("a", "Mode.", choices=["a", "b"])

    Other = config.defaults(Base, rate=3.0)
    assert Other().rate == 3.0 and Other().mode == "a" and Base().rate == 1.0
    kept, base = {f.name: f for f in config.fields(Other)}["rate"], {f.name: f for f in config.fields(Base)}["rate"]
    assert kept.metadata == base.metadata  # help, bounds and choices are the base's
    with pytest.raises(UserError, match="--rate must be greater than 0"):
        config.resolve(Other, flags={"rate": 0})
    with pytest.raises(TypeError, match="no option speed"):
        config.defaults(Base, speed=2)


def test_a_tracker_must_be_installed():
    assert config.tracker_installed("none") is None
    assert "r1cli_no_such_tracker package, which is not installed" in config.tracker_installed("r1cli_no_such_tracker")
    assert config.tracker_installed("json") is None  # any importable package passes
