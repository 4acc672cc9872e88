"""Console and logging through rich. Logs and progress go to stderr; stdout carries only results (tables, --json)."""

from __future__ import annotations

import logging

from rich.console import Console

console = Console(stderr=True, highlight=False)
stdout = Console(highlight=False, soft_wrap=True)

_state = {"verbosity": 0}
logger = logging.getLogger("r1cli")


def set_verbosity(level: int) -> None:
    """-1 quiet, 0 normal, 1 verbose."""
    from rich.logging import RichHandler

    _state["verbosity"] = level
    logger.handlers[:] = [RichHandler(console=console, show_path=level > 0, rich_tracebacks=True)]
    logger.setLevel({-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[level])
    logger.propagate = False


def verbosity() -> int:
    return _state["verbosity"]


def info(msg: str, *args) -> None:
    if not logger.handlers:
        set_verbosity(_state["verbosity"])
    logger.info(msg, *args)


def warn(msg: str, *args) -> None:
    if not logger.handlers:
        set_verbosity(_state["verbosity"])
    logger.warning(msg, *args)


def debug(msg: str, *args) -> None:
    if not logger.handlers:
        set_verbosity(_state["verbosity"])
    logger.debug(msg, *args)


def progress(**kwargs):
    """A rich progress bar for long loops (hidden with --quiet)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=_state["verbosity"] < 0,
        **kwargs,
    )


def close_progress_bars() -> None:
    """Close the tqdm bars still open (the trainers' bars stay open when a run stops on an error or Ctrl-C), so
    that a final message starts on a line of its own and no bar is redrawn after it at exit."""
    import sys

    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        try:
            bar.close()
        except Exception:  # noqa: BLE001 - a bar that cannot redraw must not hide the message
            pass
