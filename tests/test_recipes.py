"""Every recipe in every subfolder of recipes/ loads into its stage's config (keys = option names), without a
GPU: at-scale recipes are checked here as much as the tiny ones.

A recipe's stage is its `stage:` key when it has one, else its file name (`recipes/tiny/sft.yaml`), the part
of the name before the first dash (`recipes/qwen2.5-math-7b/grpo-zero.yaml`), or its folder
(`recipes/eval/aime-64.yaml`). recipes/accelerate/ holds accelerate configs, not stage recipes. A recipe may
leave required options (the model, the output) to the command line, as its usage comment shows. A recipe for a
stage that is not registered fails, naming the stage it asked for: no command could run it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from r1cli.cli import STAGES
from r1cli.config import STAGE_KEY, fields, load_recipe, load_yaml, resolve
from r1cli.errors import UserError

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
MODULES = {name: module for name, module in STAGES}


def stage_of(path: Path) -> tuple[str | None, list[str]]:
    """(the recipe's registered stage or None, the names it was looked up by, each with where it came from)."""
    hint = (yaml.safe_load(path.read_text()) or {}).get(STAGE_KEY)
    if hint is not None:
        return (hint, []) if hint in MODULES else (None, [f"'{hint}' (its {STAGE_KEY}: key)"])
    candidates = [(path.stem, "file name"), (path.stem.split("-")[0], "file name before '-'"),
                  (path.parent.name, "folder")]
    for candidate, _ in candidates:
        if candidate in MODULES:
            return candidate, []
    tried: dict[str, str] = {}
    for candidate, where in candidates:
        tried.setdefault(candidate, where)
    return None, [f"'{c}' ({where})" for c, where in tried.items()]


def recipe_files() -> list[Path]:
    return sorted(p for p in RECIPES.rglob("*.yaml") if "accelerate" not in p.parts)


@pytest.mark.parametrize("path", recipe_files(), ids=lambda p: str(p.relative_to(RECIPES)))
def test_recipe_loads(path):
    stage, tried = stage_of(path)
    assert stage, (f"{path.relative_to(RECIPES.parent)} is a recipe for no registered stage: looked up "
                   f"{', '.join(tried)}; registered stages: {', '.join(sorted(MODULES))}. Register the stage in "
                   f"r1cli/cli.py, or name the file STAGE.yaml / STAGE-VARIANT.yaml, or add '{STAGE_KEY}: STAGE'")
    cls = importlib.import_module(MODULES[stage]).Config
    recipe = load_recipe(path, stage)
    given = {key.replace("-", "_") for key in recipe}
    on_command_line = {f.name: "x" for f in fields(cls) if f.metadata.get("required") and f.name not in given}
    cfg = resolve(cls, recipe, on_command_line)
    for key, value in recipe.items():
        got = getattr(cfg, key.replace("-", "_"))
        assert got in (value, [value]), (key, value, got)


def test_a_stage_key_binds_a_recipe_to_its_stage(tmp_path):
    recipe = tmp_path / "r1-zero.yaml"
    recipe.write_text(f"{STAGE_KEY}: grpo\ngroup_size: 8\n")
    assert load_recipe(recipe, "grpo") == {"group_size": 8}
    with pytest.raises(UserError, match=r"recipe for 'r1 grpo'.*not for 'r1 sft'"):
        load_recipe(recipe, "sft")
    assert stage_of(recipe) == ("grpo", [])
    recipe.write_text(f"{STAGE_KEY}: nosuch\n")
    assert stage_of(recipe) == (None, [f"'nosuch' (its {STAGE_KEY}: key)"])


def test_accelerate_configs_are_yaml_mappings():
    for path in sorted((RECIPES / "accelerate").glob("*.yaml")):
        data = load_yaml(path)
        assert "distributed_type" in data, path
