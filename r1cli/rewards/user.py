"""A user's own reward: `--reward path/to/file.py:function[:WEIGHT]` or `--reward package.module:function[:WEIGHT]`.

The function follows TRL's reward contract, `function(completions, **kwargs) -> list[float | None]` (prompts,
completion_ids, trainer_state and the dataset's columns come as keywords; None: the reward does not apply to
that row; TRL's in-process hooks log_extra and log_metric are not available). It never runs in the caller: it is imported and called inside the reward verifier's worker processes
(r1cli.rewards.pool), one row per item, so a call that hangs costs that row one deadline (and scores 0.0) and a
call that raises scores its row 0.0 with a warning, while the run goes on. `load` imports the function in a
worker once, before any model loads, so a bad path or a function that cannot take TRL's arguments fails there
in one line.

A spec is a user reward when the part before its first ':' is a file path or a module path and what follows is
a function name, and that part is not a registered reward's name (NAME:WEIGHT).
"""

from __future__ import annotations

import os
import re
from functools import cache

from r1cli import log
from r1cli.errors import UserError

# TRL's reward keywords that live in the trainer's process (its logging hooks, tool environments): not sent.
PARENT_ONLY = ("log_extra", "log_metric", "environments")
# Deadline of one row's call, seconds: user rewards may do more than a parse (R1_USER_REWARD_TIMEOUT).
TIMEOUT = float(os.environ.get("R1_USER_REWARD_TIMEOUT", "30"))
# Deadline of importing the function once before training (a module that imports torch takes seconds).
LOAD_TIMEOUT = 120.0


def is_user_spec(spec: str, registered) -> bool:
    """Whether `spec` names a user's function; `registered`: the registered reward names."""
    head, colon, rest = (spec or "").partition(":")
    if not colon or not re.fullmatch(r"[\w./~-]+", head.strip()):  # NAME(key=value,...) is a registered reward's
        return False
    if "/" in head or "." in head:
        return True
    # a top-level module `mod:function`, unless `mod` is a registered reward (format:abc is a bad weight)
    return head.strip() not in registered and rest.split(":")[0].strip().isidentifier()


def split_spec(spec: str) -> tuple[str, str, str | None]:
    """(source, function, weight text or None) of a user reward spec."""
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) not in (2, 3) or not parts[1].isidentifier():
        raise UserError(f"bad reward spec {spec!r}: write path/to/file.py:function[:WEIGHT] or "
                        "package.module:function[:WEIGHT]")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


class UserReward:
    """The reward function handed to TRL and the scoring core: calls `function` of `source` in the workers.
    It holds only strings, so it pickles (TRL's asynchronous GRPO sends rewards to a process)."""

    def __init__(self, source: str, function: str):
        self.source, self.function = source, function
        self.cwd = os.getcwd()  # the workers import and call it from here, as the caller would
        self.__name__ = function  # TRL logs rewards/<function>/mean, as `trl grpo --reward_funcs` does

    def __call__(self, completions, **kwargs) -> list[float | None]:
        from r1cli.rewards.pool import get_pool

        n = len(completions)
        for name in PARENT_ONLY:
            kwargs.pop(name, None)
        state = kwargs.pop("trainer_state", None)
        if state is not None:
            state = plain_state(state)
        per_row = [{k: [v[i]] if isinstance(v, (list, tuple)) and len(v) == n else v for k, v in kwargs.items()}
                   for i in range(n)]
        items = [(self.source, self.function, self.cwd, {**row, "completions": [c], "trainer_state": state})
                 for row, c in zip(per_row, completions, strict=True)]
        results = get_pool().run("user_reward", items, TIMEOUT, default=0.0)
        out: list[float | None] = []
        for value in results:
            if isinstance(value, str):  # the worker's account of a call that raised or returned a bad value
                _warn_once(f"reward {self.source}:{self.function}: {value} (the row scores 0.0)")
                value = 0.0
            out.append(value)
        return out

    def __repr__(self) -> str:
        return f"<user reward {self.source}:{self.function}>"


def plain_state(state):
    """TRL's trainer_state as a namespace of its plain fields: unpickling a TrainerState would make each worker
    import transformers (and torch), which takes longer than a row's deadline on a busy machine; its log history
    grows every step and would be pickled once per row."""
    import dataclasses
    from types import SimpleNamespace

    return SimpleNamespace(**{f.name: getattr(state, f.name) for f in dataclasses.fields(state)
                              if f.name not in ("log_history", "stateful_callbacks")})


@cache
def _warn_once(message: str) -> None:
    log.warn(message)


@cache
def load(spec: str) -> tuple[str, UserReward, str | None]:
    """(name, reward, weight text or None) of a user spec, its function imported and checked in a worker."""
    from r1cli.rewards.pool import get_pool

    source, function, weight = split_spec(spec)
    name = f"{source}:{function}"
    if source.endswith(".py") or "/" in source:
        path = os.path.abspath(os.path.expanduser(source))
        if not os.path.isfile(path):
            raise UserError(f"--reward {spec}: no file {source}")
        source = path
    problem = get_pool().run("user_reward_check", [(source, function, os.getcwd())], LOAD_TIMEOUT,
                             default=f"importing it took over {LOAD_TIMEOUT:g} s")[0]
    if problem:
        raise UserError(f"--reward {spec}: {problem}")
    return name, UserReward(source, function), weight
