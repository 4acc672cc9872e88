"""The `r1` command: wiring only. Each stage lives in its own module under r1cli/stages/.

The layout rule: a stage is `r1cli/stages/NAME.py`, or the package `r1cli/stages/NAME/` once it needs
several files, and nothing of a stage lives anywhere else; a stage never imports another stage. Whatever
two stages share is a top-level core module (data, generation, rewards, runs, training, ...).

A stage module defines `Config` (a dataclass of `option(...)` fields), `run(cfg) -> dict` (imports torch,
TRL and vLLM inside), and the strings `HELP` and `EXAMPLE`. Importing a stage module must stay cheap, so
that `r1 --help` never loads torch.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from typer._click import exceptions as click_errors  # Typer vendors its own click

from r1cli import config as cfgmod
from r1cli import log
from r1cli.errors import Interrupted, UserError

# The one list of registered stages: (command name, module). Only stages that work are listed.
STAGES: list[tuple[str, str]] = [
    ("sft", "r1cli.stages.sft"),
    ("grpo", "r1cli.stages.grpo"),
    ("eval", "r1cli.stages.eval"),
    ("data", "r1cli.stages.data"),
    ("tiny-model", "r1cli.stages.tiny_model"),
]


class R1Group(typer.core.TyperGroup):
    """Turns every failure into one line on stderr: exit 2 for bad input, 1 for a failure, 130 for Ctrl-C."""

    def list_commands(self, ctx):  # keep the registration order in --help
        return list(self.commands)

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


app = typer.Typer(
    cls=R1Group,
    name="r1",
    help="The DeepSeek-R1 recipe, one stage per command. Stages read and write folders, so they chain.\n\n"
    "Example: r1 eval --model tiny --benchmark task:arith --num-samples 4 --output runs/eval",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging and full tracebacks.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars.")] = False,
):
    log.set_verbosity(1 if verbose else -1 if quiet else 0)
    if not verbose:  # per-file "Loading weights" / "Writing model shards" bars; r1 draws its own progress
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _typer_annotation(f, hint):
    scalar, is_list, optional = cfgmod.base_type(hint)
    flag = "--" + f.name.replace("_", "-")
    names = [flag] + ([f.metadata["short"]] if f.metadata.get("short") else [])
    help_text = f.metadata.get("help", "")
    if f.metadata.get("choices"):
        help_text += f" [choices: {'|'.join(f.metadata['choices'])}]"
    if scalar is bool and not is_list:
        names = [f"{flag}/--no-{flag[2:]}"] + names[1:]
    py_type = list[scalar] if is_list else scalar
    if optional or is_list:
        py_type = py_type | None
    return Annotated[py_type, typer.Option(*names, help=help_text, show_default=not is_list)]


def _make_command(module_name: str):
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
                                        annotation=_typer_annotation(f, hints[f.name])))

    def command(ctx: typer.Context, **kwargs):
        config_file = kwargs.pop("config", None)
        yaml_values = cfgmod.load_yaml(config_file) if config_file else {}
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
    command.__doc__ = f"{module.HELP}\n\n[bold]Example[/bold]: {module.EXAMPLE}"
    return command


for _name, _module in STAGES:
    app.command(_name, help=None)(_make_command(_module))


def main() -> None:
    typer.main.get_command(app).main(prog_name="r1")


if __name__ == "__main__":
    main()
