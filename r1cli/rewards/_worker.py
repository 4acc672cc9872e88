"""Code that runs inside verifier worker processes (see pool.py). Imports math-verify lazily, so the
caller can import this module for free. math-verify's own SIGALRM timeouts are disabled here: the
pool's hard deadline (kill the process) protects the caller instead."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from functools import cache, lru_cache

_MAX_EXACT_EXP = 10_000  # evaluate a**b exactly only for |b| up to this (and small bases)


def main(rx, tx) -> None:
    """Worker loop: receive (key, kind, args) on rx, answer (key, result) on tx; exit on None or EOF."""
    _watch_parent()
    logging.getLogger("math_verify").setLevel(logging.ERROR)  # no "timeout disabled" warnings
    try:
        import math_verify  # noqa: F401  (warm the import before saying ready)

        _parse_wrapped("1")
    except Exception:
        pass
    tx.send("ready")
    while True:
        try:
            msg = rx.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        key, kind, args = msg
        try:
            result = HANDLERS[kind](*args)
        except Exception:
            result = 0.0
        try:
            tx.send((key, result))
        except (OSError, ValueError):
            return


def _watch_parent() -> None:
    """Exit when re-parented (the process that started us died without closing our pipe)."""
    parent = os.getppid()

    def loop():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=loop, daemon=True, name="r1-parent-watch").start()


_DOLLAR = re.compile(r"(?<!\\)\$")


def _wrap(s: str) -> str:
    if "\\boxed" in s or _DOLLAR.search(s) or "\n" in s or len(s) > 300:
        return s
    return "\\boxed{" + s + "}"


@lru_cache(maxsize=8192)
def _parse_wrapped(s: str):
    from math_verify import parse

    parsed = parse(_wrap(s), parsing_timeout=None)
    if not parsed and _wrap(s) != s:
        parsed = parse(s, parsing_timeout=None)
    return parsed


def exact_value(expr):
    """The exact sympy Rational of a purely numeric expression built from + * and integer powers, else None."""
    import sympy

    if isinstance(expr, sympy.Rational):
        return expr
    if not isinstance(expr, sympy.Expr) or expr.free_symbols:
        return None
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Rational):
            continue
        if isinstance(node, sympy.Pow):
            base, exp = node.args
            if not isinstance(exp, sympy.Integer) or abs(int(exp)) > _MAX_EXACT_EXP:
                return None
            if isinstance(base, sympy.Rational) and max(abs(base.p), base.q).bit_length() * abs(int(exp)) > 100_000:
                return None
            continue
        if isinstance(node, (sympy.Add, sympy.Mul)):
            continue
        return None
    value = expr.doit()
    return value if isinstance(value, sympy.Rational) else None


def _expressions(s: str) -> list:
    """What math-verify reads in `s`, less its raw-string fallbacks."""
    return [p for p in _parse_wrapped(s) if not isinstance(p, str)]


def gold_is_math(gold: str) -> bool:
    """Whether a gold that holds prose words (extract.prose_words) still reads as mathematics: it parses to
    an expression, and no variable of it is spelled from the prose words' letters. "5 inches" -> 5 and
    "infinity" -> oo are mathematics; "forty two" -> f*o*r*t*y*t*w*o is not."""
    from r1cli.rewards.extract import prose_words

    exprs = _expressions(gold)
    if not exprs:
        return False
    letters = set("".join(prose_words(gold)).lower())
    return not any(set(str(s).lower()) <= letters for s in getattr(exprs[0], "free_symbols", ()))


def verify_pair(gold: str, answer: str) -> float | None:
    """1.0 / 0.0, or None when the gold does not parse to an expression."""
    from math_verify import verify

    g = _parse_wrapped(gold)
    if not _expressions(gold):
        return None
    a = _parse_wrapped(answer)
    if not a:
        return 0.0
    gx = ax = None
    if "%" not in gold and "%" not in answer:  # percentages: leave 50% vs 50 to math-verify
        gx, ax = exact_value(g[0]), exact_value(a[0])
    if gx is not None and ax is not None:  # exact rationals: compare exactly (math-verify rounds)
        return float(gx == ax)
    return float(bool(verify(g, a, timeout_seconds=None)))


def _sleep(seconds: float, value=1.0):
    time.sleep(seconds)
    return value


def _crash(code: int = 3):
    os._exit(code)


@cache
def _user_function(source: str, function: str):
    """A user reward (r1cli.rewards.user): `function` of a .py file (by its absolute path) or of a module."""
    import importlib
    import importlib.util

    if source.endswith(".py") or os.sep in source:
        spec = importlib.util.spec_from_file_location(f"r1_user_reward_{abs(hash(source))}", source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        import sys

        if os.getcwd() not in sys.path:  # the module path is read from where the run started, as `python -m` does
            sys.path.insert(0, os.getcwd())
        module = importlib.import_module(source)
    return getattr(module, function)


def check_user_reward(source: str, function: str, cwd: str) -> str | None:
    """What keeps a user reward from running (one line), or None. `cwd`: the caller's working directory, which
    module paths are found from (a pool started elsewhere has workers in another one)."""
    import inspect

    os.chdir(cwd)
    try:
        fn = _user_function(source, function)
    except AttributeError:
        return f"{source} has no function {function}"
    except Exception as e:  # whatever importing the user's code raised
        return f"cannot import {source}: {type(e).__name__}: {e}".splitlines()[0]
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return f"{function} is not a function"
    kinds = {p.kind for p in params}
    names = {p.name for p in params}
    if inspect.Parameter.VAR_KEYWORD not in kinds or not ("completions" in names or len(names) == 1):
        return (f"{function}{inspect.signature(fn)} does not take TRL's reward arguments: write "
                f"def {function}(completions, **kwargs) -> list[float | None]")
    return None


def user_reward(source: str, function: str, cwd: str, kwargs: dict):
    """One row's value of a user reward: a float, None (not applicable), or a string saying what went wrong."""
    os.chdir(cwd)
    try:
        values = _user_function(source, function)(**kwargs)
    except Exception as e:
        return f"raised {type(e).__name__}: {e}".splitlines()[0]
    if not isinstance(values, (list, tuple)) or len(values) != 1:
        return f"returned {type(values).__name__} instead of a list with one value per completion"
    value = values[0]
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return f"returned {value!r}, not a number or None"


HANDLERS = {"verify": verify_pair, "gold": gold_is_math, "sleep": _sleep, "crash": _crash,
            "user_reward": user_reward, "user_reward_check": check_user_reward}


if __name__ == "__main__":
    from multiprocessing.connection import Connection

    _rx, _tx = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints go to stderr, not into the protocol pipe
    _null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(_null, 0)
    main(_rx, _tx)
