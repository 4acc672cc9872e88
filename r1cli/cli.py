"""The `r1` command: wiring only. Each stage lives in its own module under r1cli/stages/.

The layout rule: a stage is `r1cli/stages/NAME.py`, or the package `r1cli/stages/NAME/` once it needs
several files, and nothing of a stage lives anywhere else; a stage never imports another stage. Whatever
two stages share is a top-level core module (data, generation, rewards, runs, training, ...).

A stage module defines `Config` (a dataclass of `option(...)` fields), `run(cfg) -> dict` (imports torch,
TRL and vLLM inside), and the strings `HELP` and `EXAMPLE`. Importing a stage module must stay cheap, so
that `r1 --help` never loads torch; a stage's command is built only when that stage is named, so `r1 sft`
never pays for listing grpo's rewards. r1cli.commands builds that command from the stage's Config.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Annotated

import typer
import typer.core
from typer._click import exceptions as click_errors  # Typer vendors its own click

from r1cli import errors, log
from r1cli.commands import QUIET_HELP, VERBOSE_HELP, set_verbosity, stage_command, typer_app
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
            self._built[name] = stage_command(name, dict(STAGES)[name])
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


app = typer_app(
    cls=R1Group,
    name="r1",
    help="The DeepSeek-R1 recipe, one stage per command. Stages read and write folders, so they chain.\n\n"
    "Example: r1 eval --model tiny --benchmark task:arith --num-samples 4 --output runs/eval",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=VERBOSE_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)] = False,
):
    set_verbosity(verbose, quiet)
    errors.check_environment()


def main() -> None:
    errors.watch_interrupts()
    typer.main.get_command(app).main(prog_name="r1")


if __name__ == "__main__":
    main()
