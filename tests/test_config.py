"""Config merging: defaults < YAML < flags; dashes or underscores; unknown keys and bad values refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

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
