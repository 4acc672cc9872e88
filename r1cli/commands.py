"""A stage's Typer command, built from its Config dataclass: one flag per field, its help and default.

A stage's options are declared once, as `option(...)` fields (r1cli.config); here they become click
parameters, and the parsed values, over a `--config` YAML file, become the Config the stage runs with.

Help is click's plain layout (one option per line, its help wrapped beside or below it), which stays readable
in an 80-column terminal where a table of six columns cuts the option names.
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from typing import Annotated

import typer

from r1cli import config as cfgmod
from r1cli import log
from r1cli.errors import Interrupted


def typer_app(**settings) -> typer.Typer:
    """A Typer app with plain help, no completion commands and no rich tracebacks (r1 reports errors itself)."""
    return typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False, **settings)


VERBOSE_HELP = "Debug logging and full tracebacks."
QUIET_HELP = "Only warnings and errors; no progress bars."


def set_verbosity(verbose: bool, quiet: bool) -> None:
    """--verbose / --quiet, given before the stage name or after it."""
    log.set_verbosity(1 if verbose else -1 if quiet else 0)
    if not verbose:  # per-file "Loading weights" / "Writing model shards" bars; r1 draws its own progress
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _help(f, default) -> str:
    """An option's help: its text, the range it must lie in, its choices, and whether it must be given."""
    text = cfgmod.help_text(f)
    bounds = cfgmod.bounds_text(f)
    if bounds:
        text += f" Must be {bounds}."
    choices = cfgmod.choices(f)
    if choices:
        text += f" [choices: {', '.join(choices)}]"
    if f.metadata.get("required") and not default:
        text += " [required]"
    return text


def _typer_annotation(f, hint, default):
    scalar, is_list, optional = cfgmod.base_type(hint)
    flag = cfgmod.flag(f)
    names = [flag] + ([f.metadata["short"]] if f.metadata.get("short") else [])
    if scalar is bool and not is_list:
        names = [f"{flag}/--no-{flag[2:]}"] + names[1:]
    py_type = list[scalar] if is_list else scalar
    if optional or is_list:
        py_type = py_type | None
    if f.metadata.get("positional"):
        # Optional to click even when required, so that --config may give it; resolve() checks it is set.
        return Annotated[py_type | None, typer.Argument(metavar=flag, help=_help(f, default), show_default=False)]
    # A list shows its items; an off switch needs no "[default: no-resume]".
    show_default = bool(default) if is_list or scalar is bool else True
    return Annotated[py_type, typer.Option(*names, help=_help(f, default), show_default=show_default)]


def _make_command(stage: str, module_name: str):
    module = importlib.import_module(module_name)
    cls = module.Config
    hints = cfgmod._hints(cls)
    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter(
            "config", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[Path | None, typer.Option(
                "--config", "-c", help="YAML file of options (keys = option names); flags override it.")],
        ),
    ]
    for f in cfgmod.fields(cls):
        default = None if f.default is cfgmod.dataclasses.MISSING else f.default
        if f.default_factory is not cfgmod.dataclasses.MISSING:
            default = f.default_factory() or None
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=_typer_annotation(f, hints[f.name], default)))
    # The global flags are accepted after the stage name too (`r1 eval -q ...`).
    for name, flags, text in (("verbose", ("--verbose", "-v"), VERBOSE_HELP), ("quiet", ("--quiet", "-q"), QUIET_HELP)):
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False,
                                        annotation=Annotated[bool, typer.Option(*flags, help=text)]))

    def command(ctx: typer.Context, **kwargs):
        verbose, quiet = kwargs.pop("verbose"), kwargs.pop("quiet")
        if verbose or quiet:
            set_verbosity(verbose, quiet)
        config_file = kwargs.pop("config", None)
        yaml_values = cfgmod.load_recipe(config_file, stage) if config_file else {}
        flags = {}
        for name, value in kwargs.items():
            source = ctx.get_parameter_source(name)
            if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
                flags[name] = value
        cfg = cfgmod.resolve(cls, yaml_values, flags)
        try:
            module.run(cfg)
        except KeyboardInterrupt:  # the framework would turn it into a silent exit 130: say it
            raise Interrupted("interrupted") from None

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = f"{module.HELP}\n\nExample: {module.EXAMPLE}"
    return command


def stage_command(name: str, module_name: str):
    """The click command `r1 NAME`, built from its stage module (imported here, on first use)."""
    sub = typer_app()
    sub.command(name)(_make_command(name, module_name))
    return typer.main.get_command(sub)
