"""Every recipe in every subfolder of recipes/ loads into its stage's config (keys = option names).

A recipe's stage is its file name (`recipes/tiny/sft.yaml`) or, for variants, its folder
(`recipes/eval/aime-64.yaml`). recipes/accelerate/ holds accelerate configs, not stage recipes. A recipe may
leave required options (the model, the output) to the command line, as its usage comment shows.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from r1cli.cli import STAGES
from r1cli.config import fields, load_yaml, resolve

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
MODULES = {name: module for name, module in STAGES}


def stage_of(path: Path) -> str | None:
    for candidate in (path.stem, path.stem.split("-")[0], path.parent.name):
        if candidate in MODULES:
            return candidate
    return None


def recipe_files() -> list[Path]:
    return sorted(p for p in RECIPES.rglob("*.yaml") if "accelerate" not in p.parts)


@pytest.mark.parametrize("path", recipe_files(), ids=lambda p: str(p.relative_to(RECIPES)))
def test_recipe_loads(path):
    stage = stage_of(path)
    assert stage, f"{path} names no registered stage (file or folder name must be one of {sorted(MODULES)})"
    cls = importlib.import_module(MODULES[stage]).Config
    recipe = load_yaml(path)
    given = {key.replace("-", "_") for key in recipe}
    on_command_line = {f.name: "x" for f in fields(cls) if f.metadata.get("required") and f.name not in given}
    cfg = resolve(cls, recipe, on_command_line)
    for key, value in recipe.items():
        got = getattr(cfg, key.replace("-", "_"))
        assert got in (value, [value]), (key, value, got)


def test_accelerate_configs_are_yaml_mappings():
    for path in sorted((RECIPES / "accelerate").glob("*.yaml")):
        data = load_yaml(path)
        assert "distributed_type" in data, path
