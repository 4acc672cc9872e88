"""One config dataclass per stage is the single source of its options.

A stage declares its options as dataclass fields made with `option(...)`. From that one declaration come
the Typer flags (`--group-size`), the YAML keys of `--config FILE.yaml` (`group_size` or `group-size`),
the help text and the manifest. Precedence: dataclass default < YAML file < explicit command-line flag.

What a value may be is declared on the option too (`required=True`, `choices=[...]`, `min=1`,
`max=1, min_open=True`, ...) and checked once, in `resolve`, so that every stage refuses bad input with the
flag's own name before it loads a model or creates a folder. Float options must also be finite, and
integers must fit in 64 bits (torch, Arrow and the samplers index with int64).

Options a mode does not use are declared on the Config class, as `UNUSED_WHEN = {MODE: (OPTION, ...)}`: MODE
is an option's name (the mode is on when it differs from its default) or `NAME=VALUE`; each OPTION is a name,
or a dataclass of options (all of its fields). Giving such an option in that mode is refused, rather than
silently ignored. Base classes may declare theirs; all of them apply.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1cli.errors import UserError


def option(default: Any = None, help: str | Callable[[], str] = "", *,
           choices: list[str] | Callable[[], list[str]] | None = None, short: str | None = None, factory=None,
           required: bool = False, min: float | None = None, max: float | None = None,
           min_open: bool = False, max_open: bool = False, max_reason: str | None = None,
           check: Callable[[Any], str | None] | None = None, positional: bool = False) -> Any:
    """A stage option: its default, its help text, and what a value may be.

    `help` and `choices` may be functions, called only when a stage's command or config is built, so that
    listing names kept elsewhere (the reward registry, the generation engines) costs nothing at `r1 --help`.
    `required`: the option must be given (a list: at least one item). `min`/`max` bound a number,
    inclusively unless `min_open`/`max_open`; `max_reason` says why larger values are refused. `check` is
    for what a range cannot say: it returns what is wrong with a value (the message after the flag), or None.
    `positional`: given on the command line without a flag (`r1 report RUNS_DIR`), named by its upper-case
    name in help and errors; a YAML file still sets it by its option name.
    """
    meta = {"help": help, "choices": choices, "short": short, "required": required, "min": min, "max": max,
            "min_open": min_open, "max_open": max_open, "max_reason": max_reason, "check": check,
            "positional": positional}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    if isinstance(default, list):
        value = list(default)
        return dataclasses.field(default_factory=lambda: list(value), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def help_text(f: dataclasses.Field) -> str:
    value = f.metadata.get("help", "")
    return value() if callable(value) else value


def choices(f: dataclasses.Field) -> list[str] | None:
    value = f.metadata.get("choices")
    return list(value()) if callable(value) else value


def flag(f: dataclasses.Field) -> str:
    """How help and errors name an option: `--group-size`, or `RUNS_DIR` for a positional one."""
    if f.metadata.get("positional"):
        return f.name.upper()
    return "--" + f.name.replace("_", "-")


def bounds_text(f: dataclasses.Field) -> str | None:
    """The allowed range of a number option as written in help and errors: 'in (0, 1]', 'at least 1', ..."""
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    lo_open, hi_open = f.metadata.get("min_open"), f.metadata.get("max_open")
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'greater than' if lo_open else 'at least'} {_num(lo)}"
    if hi is not None:
        return f"{'less than' if hi_open else 'at most'} {_num(hi)}"
    return None


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def fields(cls) -> list[dataclasses.Field]:
    return list(dataclasses.fields(cls))


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def base_type(tp) -> tuple[type, bool, bool]:
    """(scalar type, is_list, is_optional) of a field annotation such as `list[str]` or `int | None`."""
    optional = False
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        tp = args[0]
        origin = typing.get_origin(tp)
    if origin is list:
        return typing.get_args(tp)[0], True, optional
    return tp, False, optional


def _coerce(name: str, value: Any, tp) -> Any:
    """`value` as the type `tp`; `name` is the option as errors name it (`--limit`, `RUNS_DIR`)."""
    scalar, is_list, optional = base_type(tp)
    if value is None:
        if optional:
            return None
        raise UserError(f"{name} cannot be empty")
    if is_list:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v] if scalar is not str or "," in value else [value]
        if not isinstance(value, list):
            value = [value]
        return [_coerce_scalar(name, v, scalar) for v in value]
    return _coerce_scalar(name, value, scalar)


def _coerce_scalar(name: str, value: Any, scalar: type) -> Any:
    try:
        if scalar is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "yes", "1", "on"):
                return True
            if str(value).lower() in ("false", "no", "0", "off"):
                return False
            raise ValueError
        if scalar in (int, float) and isinstance(value, bool):  # YAML `true` is no count: int(True) is 1
            raise ValueError
        if scalar is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if scalar is str and isinstance(value, (dict, list)):
            raise ValueError
        return scalar(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} expects {_KINDS.get(scalar, scalar.__name__)}, got {value!r}") from None


_KINDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def load_yaml(path: str | Path) -> dict[str, Any]:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise UserError(f"config file not found: {p} (give the path of an existing YAML file)")
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_loader()) or {}
    except UnicodeDecodeError as e:
        raise UserError(f"config file {p} is not UTF-8 text (byte {e.start}): give a YAML file") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"malformed YAML in {p}{where}: {getattr(e, 'problem', e)} (fix the file's syntax)") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {p} must be a mapping of option: value, not {type(data).__name__}")
    return data


def _loader():
    """A safe YAML loader that refuses a key given twice in one mapping (plain YAML keeps the last silently,
    so the first of two `learning_rate:` lines would be ignored without a word)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"key '{key}' is given twice (keep one)",
                                                            key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

    return Loader


STAGE_KEY = "stage"


def load_recipe(path: str | Path, stage: str) -> dict[str, Any]:
    """A `--config` file's options for `stage`. A recipe may name the stage it is for (`stage: grpo`, for a
    file whose name does not say it); it is then refused by any other stage, and the key is no option."""
    values = load_yaml(path)
    named = values.pop(STAGE_KEY, None)
    if named is not None and named != stage:
        raise UserError(f"{path} is a recipe for 'r1 {named}' (its stage: key), not for 'r1 {stage}'")
    return values


def resolve(cls, yaml_values: dict[str, Any] | None = None, flags: dict[str, Any] | None = None):
    """Build a config: defaults, then YAML values, then explicit flags. Unknown keys and bad values raise UserError."""
    hints = _hints(cls)
    by_name = {f.name: f for f in fields(cls)}
    names = set(by_name)
    merged: dict[str, Any] = {}
    for source in (yaml_values or {}, flags or {}):
        for key, value in source.items():
            name = key.replace("-", "_")
            if name not in names:
                valid = ", ".join(sorted(n.replace("_", "-") for n in names))
                raise UserError(f"unknown option '{key}' (valid options: {valid})")
            merged[name] = _coerce(flag(by_name[name]), value, hints[name])
    cfg = cls(**merged)
    validate(cfg)
    return cfg


def validate(cfg) -> None:
    """Check every option of a config against its declaration; the first violation raises UserError."""
    hints = _hints(type(cfg))
    for f in fields(type(cfg)):
        value = getattr(cfg, f.name)
        if f.metadata.get("required") and (value is None or value == "" or value == []):
            raise UserError(f"{flag(f)} is required")
        allowed = choices(f)
        scalar = base_type(hints[f.name])[0]
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            if allowed and v not in allowed:
                raise UserError(f"invalid value {v!r} for {flag(f)} (choose from: {', '.join(allowed)})")
            if scalar in (int, float) and not isinstance(v, bool):
                _check_number(f, v)
            problem = f.metadata.get("check") and f.metadata["check"](v)
            if problem:
                raise UserError(f"{flag(f)} {problem}, got {_num(v)}")
    check_unused(cfg)


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def check_unused(cfg) -> None:
    """Refuse an option given in a mode that does not use it (the Config's UNUSED_WHEN, see the module doc)."""
    by_name = {f.name: f for f in fields(type(cfg))}
    for klass in type(cfg).__mro__:
        for mode, unused in vars(klass).get("UNUSED_WHEN", {}).items():
            name, _, value = mode.partition("=")
            current = getattr(cfg, name)
            if (str(current) != value) if value else current == _default(by_name[name]):
                continue
            shown = f"{flag(by_name[name])} {value}" if value else flag(by_name[name])
            names = [n for item in unused for n in ([g.name for g in dataclasses.fields(item)]
                                                   if dataclasses.is_dataclass(item) else [item])]
            for other in names:
                if other != name and other in by_name and getattr(cfg, other) != _default(by_name[other]):
                    raise UserError(f"{flag(by_name[other])} is not used with {shown}: leave it out")


def tracker_installed(value: str) -> str | None:
    """A `check` for --report-to: the tracker's package must be installed (else the run fails once the model
    has loaded and the output folder exists)."""
    import importlib.util

    if value != "none" and importlib.util.find_spec(value) is None:
        return f"needs the {value} package, which is not installed (pip install {value}, or leave it out)"
    return None


_INT64 = 2**63 - 1

# The bound of every token count option (completion and context lengths): a million tokens is past any
# model's context, and a larger value would only fail later, in the engine, after the model loaded.
TOKENS = {"max": 2**20, "max_reason": "longer than any model's context"}


def _check_number(f: dataclasses.Field, v: float) -> None:
    if isinstance(v, float) and not math.isfinite(v):
        raise UserError(f"{flag(f)} must be a finite number, got {v}")
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    too_low = lo is not None and (v <= lo if f.metadata.get("min_open") else v < lo)
    too_high = hi is not None and (v >= hi if f.metadata.get("max_open") else v > hi)
    if too_low or too_high:
        reason = f" ({f.metadata['max_reason']})" if too_high and f.metadata.get("max_reason") else ""
        raise UserError(f"{flag(f)} must be {bounds_text(f)}{reason}, got {_num(v)}")
    if isinstance(v, int) and abs(v) > _INT64:
        raise UserError(f"{flag(f)} does not fit in a 64-bit integer, got {v}")


def defaults(base, **values):
    """A subclass of the options dataclass `base` whose named options have other defaults, their help, bounds
    and choices unchanged: a stage that trains at another learning rate takes the shared declaration instead of
    writing its own (whose help and bounds would then drift from the other stages')."""
    by_name = {f.name: f for f in fields(base)}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise TypeError(f"{base.__name__} has no option {', '.join(unknown)}")
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": base.__module__, "__doc__": base.__doc__,
                                 "defaults_of": base}
    for name, value in values.items():
        f = by_name[name]
        namespace["__annotations__"][name] = _hints(base)[name]
        namespace[name] = option(value, **{k: v for k, v in f.metadata.items()})
    return dataclasses.dataclass(type(base.__name__, (base,), namespace))
