"""The `r1` command: wiring only. Each stage lives in its own module under r1cli/stages/.

The layout rule: a stage is `r1cli/stages/NAME.py`, or the package `r1cli/stages/NAME/` once it needs
several files, and nothing of a stage lives anywhere else; a stage never imports another stage. Whatever
two stages share is a top-level core module (data, generation, rewards, runs, training, ...).

A stage module defines `Config` (a dataclass of `option(...)` fields), `run(cfg) -> dict` (imports torch,
TRL and vLLM inside), and the strings `HELP` and `EXAMPLE`. Importing a stage module must stay cheap, so
that `r1 --help` never loads torch; a stage's command is built only when that stage is named, so `r1 sft`
never pays for listing grpo's rewards.

Help is click's plain layout (one option per line, its help wrapped beside or below it), which stays readable
in an 80-column terminal where a table of six columns cuts the option names.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from typer._click import exceptions as click_errors  # Typer vendors its own click

from r1cli import config as cfgmod
from r1cli import errors, log
from r1cli.errors import Interrupted, UserError

# The one list of registered stages: (command name, module). Only stages that work are listed.
STAGES: list[tuple[str, str]] = [
    ("sft", "r1cli.stages.sft"),
    ("grpo", "r1cli.stages.grpo"),
    ("reward-model", "r1cli.stages.reward_model"),
    ("align", "r1cli.stages.align"),
    ("eval", "r1cli.stages.eval"),
    ("reject-sample", "r1cli.stages.reject_sample"),
    ("coldstart", "r1cli.stages.coldstart"),
    ("distill", "r1cli.stages.distill"),
    ("report", "r1cli.stages.report"),
    ("data", "r1cli.stages.data"),
    ("tiny-model", "r1cli.stages.tiny_model"),
]


class _StageCommands(Mapping):
    """The group's commands, each built from its stage module on first use."""

    def __init__(self):
        self._built: dict = {}

    def __getitem__(self, name):
        if name not in self._built:
            self._built[name] = _stage_command(name, dict(STAGES)[name])
        return self._built[name]

    def __iter__(self):
        return (name for name, _ in STAGES)

    def __len__(self):
        return len(STAGES)


class R1Group(typer.core.TyperGroup):
    """Turns every failure into one line on stderr: exit 2 for bad input, 1 for a failure, 130 for Ctrl-C."""

    def __init__(self, **attrs):
        super().__init__(**attrs)
        self.commands = _StageCommands()

    def list_commands(self, ctx):  # keep the registration order in --help
        return list(self.commands)

    def format_commands(self, ctx, formatter):
        # Each stage's one-line HELP, without building its command (which may list registries).
        rows = [(name, importlib.import_module(module).HELP) for name, module in STAGES]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_help_option(self, ctx):
        # Typer coerces every option value through pydantic; for the group's unused --help (value None) that
        # costs ~0.1 s of schema building on each `r1 STAGE ...`. An absent flag is simply False.
        option = super().get_help_option(ctx)
        if option is not None and not getattr(option, "_r1_fast", False):
            coerce = option.process_value
            option.process_value = lambda c, value: False if value is None else coerce(c, value)
            option._r1_fast = True
        return option

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args=args, prog_name=prog_name or "r1", complete_var=complete_var,
                              standalone_mode=False, **extra)
        except click_errors.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx else ""
            _fail(f"{e.format_message()}{hint}", 2)
        except click_errors.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except (UserError, Interrupted) as e:
            _fail(str(e), e.exit_code, tb=True)
        except (typer.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except SystemExit:
            raise
        except Exception as e:  # a bug or an environment failure: one line unless --verbose
            if errors.interrupted(e):
                _fail("interrupted", 130, tb=True)
            _fail(f"{type(e).__name__}: {e}", 1, tb=True)
        code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(msg: str, code: int, tb: bool = False) -> None:
    if tb and log.verbosity() > 0:
        log.console.print_exception()
    log.close_progress_bars()
    first = msg.strip().splitlines()[0] if msg.strip() else "failed"
    print(f"error: {first}", file=sys.stderr)
    sys.exit(code)


def _typer_app(**settings) -> typer.Typer:
    return typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False, **settings)


app = _typer_app(
    cls=R1Group,
    name="r1",
    help="The DeepSeek-R1 recipe, one stage per command. Stages read and write folders, so they chain.\n\n"
    "Example: r1 eval --model tiny --benchmark task:arith --num-samples 4 --output runs/eval",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

VERBOSE_HELP = "Debug logging and full tracebacks."
QUIET_HELP = "Only warnings and errors; no progress bars."


def _set_verbosity(verbose: bool, quiet: bool) -> None:
    log.set_verbosity(1 if verbose else -1 if quiet else 0)
    if not verbose:  # per-file "Loading weights" / "Writing model shards" bars; r1 draws its own progress
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=VERBOSE_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)] = False,
):
    _set_verbosity(verbose, quiet)
    errors.check_environment()


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
            _set_verbosity(verbose, quiet)
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


def _stage_command(name: str, module_name: str):
    sub = _typer_app()
    sub.command(name)(_make_command(name, module_name))
    return typer.main.get_command(sub)


def main() -> None:
    errors.watch_interrupts()
    typer.main.get_command(app).main(prog_name="r1")


if __name__ == "__main__":
    main()
