"""The registry of named rewards and the parser for CLI reward specs.

A reward is registered under a short name (``accuracy``); the function itself is named
``<name>_reward`` so TRL logs it as ``rewards/<name>_reward``. Parameterised rewards carry a
``factory`` attribute that returns a `Reward` (a module-level function with fixed parameters); a spec
may then pass parameters::

    accuracy                          weight 1.0
    format:0.5                        weight 0.5
    soft_overlong(max_len=2048,cache_len=256):0.5
    my_rewards.py:brevity:0.5         a user's own function (r1cli.rewards.user), weight 0.5

A reward registered with ``correctness=True`` scores each completion 1.0 (right) or 0.0 (wrong), so its
mean is an accuracy; trainers report it as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from r1cli.errors import UserError

RewardFn = Callable[..., list]

REGISTRY: dict[str, RewardFn] = {}


def load_all() -> dict[str, RewardFn]:
    """The registry with every public module of this package imported: a reward registers itself when its
    module is imported, so a new reward module is found without being listed anywhere. The modules are
    imported on the first lookup, not with the package, so that importing a helper such as
    r1cli.rewards.extract (the data core does) registers nothing. Private modules (the verifier worker) are
    entry points of their own, not rewards. Every module here imports only the standard library at the top."""
    import importlib
    import pkgutil
    from pathlib import Path

    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__package__}.{module.name}")
    return REGISTRY


class Reward:
    """A reward function `fn` with parameters fixed to `params`, named `<name>_reward`.

    An instance of a module-level class rather than a closure, so it pickles (TRL's asynchronous GRPO
    sends reward functions to a worker process). The fixed parameters win over a dataset column of the
    same name, which TRL would otherwise pass in as a keyword."""

    def __init__(self, name: str, fn: Callable[..., list], **params):
        self.__name__ = f"{name}_reward"
        self.__doc__ = fn.__doc__
        self.fn = fn
        self.params = params

    def __call__(self, completions, **kwargs) -> list:
        return self.fn(completions, **{**kwargs, **self.params})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"<reward {self.__name__}({args})>"
# Rewards that score right or wrong (1/0): their mean is an accuracy.
CORRECTNESS: set[str] = set()


# Rewards that read a completion's answer their own way: name -> fn(text) -> (answer or None, truncated).
EXTRACTORS: dict[str, Callable] = {}


def register(name: str, factory: Callable[..., RewardFn] | None = None, correctness: bool = False,
             extract: Callable | None = None):
    """Decorator: add a reward to REGISTRY under `name`. `factory` builds variants with other parameters;
    `correctness` marks a 1/0 right-or-wrong reward; `extract` reads the answer it judges, where that is not
    the math answer of r1cli.rewards.extract_answer (the answer reported and voted on in evaluation)."""

    def deco(fn: RewardFn) -> RewardFn:
        if name in REGISTRY and REGISTRY[name] is not fn:
            raise ValueError(f"reward {name!r} registered twice")
        if factory is not None:
            fn.factory = factory
        REGISTRY[name] = fn
        if correctness:
            CORRECTNESS.add(name)
        if extract is not None:
            EXTRACTORS[name] = extract
        return fn

    return deco


def names() -> list[str]:
    return sorted(load_all())


def measures_correctness(name: str) -> bool:
    """True for rewards whose mean is an accuracy (registered with correctness=True)."""
    load_all()
    return name in CORRECTNESS


def get(name: str) -> RewardFn:
    """The reward registered as `name`, or a user's reward for a spec such as `my_rewards.py:fn`."""
    from r1cli.rewards import user

    if user.is_user_spec(name, load_all()):
        return user.load(name)[1]
    try:
        return load_all()[name]
    except KeyError:
        raise UserError(f"unknown reward {name!r} (available: {', '.join(names())})") from None


_SPEC = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*(?:\((.*)\))?\s*(?::\s*(.*?))?\s*$")


def _value(text: str):
    text = text.strip()
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text.strip("'\"")


def _params(name: str, text: str) -> dict:
    params = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, eq, val = part.partition("=")
        if not eq or not key.strip().isidentifier():
            raise UserError(f"bad parameter {part!r} for reward {name!r}: write key=value, e.g. {name}(max_len=1024)")
        params[key.strip()] = _value(val)
    return params


def parse_spec(spec: str) -> tuple[str, RewardFn, float]:
    from r1cli.rewards import user

    if user.is_user_spec(spec, load_all()):
        name, fn, weight_text = user.load(spec)
        return name, fn, _weight(weight_text, spec, name) if weight_text is not None else 1.0
    m = _SPEC.match(spec or "")
    if not m:
        raise UserError(f"bad reward spec {spec!r}: write NAME, NAME:WEIGHT or NAME(key=value,...):WEIGHT")
    name, args, weight_text = m.group(1), m.group(2), m.group(3)
    fn = get(name)
    weight = 1.0 if weight_text is None else _weight(weight_text, spec, name)
    if args is not None and args.strip():
        factory = getattr(fn, "factory", None)
        if factory is None:
            raise UserError(f"reward {name!r} takes no parameters (spec {spec!r})")
        try:
            fn = factory(**_params(name, args))
        except (TypeError, ValueError) as e:
            raise UserError(f"bad parameters for reward {name!r}: {e}") from None
    return name, fn, weight


def _weight(text: str, spec: str, name: str) -> float:
    try:
        weight = float(text)
    except ValueError:
        raise UserError(f"bad weight {text!r} in reward spec {spec!r}: use a number, e.g. {name}:0.5") from None
    if weight != weight or weight in (float("inf"), float("-inf")):
        raise UserError(f"bad weight {text!r} in reward spec {spec!r}: must be finite")
    return weight


def parse_specs(specs: list[str]) -> list[tuple[str, RewardFn, float]]:
    """CLI specs like ["accuracy", "format:0.5"] -> [(name, function, weight)]."""
    return [parse_spec(s) for s in specs]
