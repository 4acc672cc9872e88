"""One config dataclass per stage is the single source of its options.

A stage declares its options as dataclass fields made with `option(...)`. From that one declaration come
the Typer flags (`--group-size`), the YAML keys of `--config FILE.yaml` (`group_size` or `group-size`),
the help text and the manifest. Precedence: dataclass default < YAML file < explicit command-line flag.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

from r1cli.errors import UserError


def option(default: Any = None, help: str = "", *, choices: list[str] | None = None,
           short: str | None = None, factory=None) -> Any:
    """A stage option: its default, its help text, and optionally its allowed values and a short flag."""
    meta = {"help": help, "choices": choices, "short": short}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    if isinstance(default, list):
        value = list(default)
        return dataclasses.field(default_factory=lambda: list(value), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


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
    scalar, is_list, optional = base_type(tp)
    if value is None:
        if optional:
            return None
        raise UserError(f"option '{name}' cannot be empty")
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
        if scalar is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if scalar is str and isinstance(value, (dict, list)):
            raise ValueError
        return scalar(value)
    except (TypeError, ValueError):
        raise UserError(f"option '{name}' expects {scalar.__name__}, got {value!r}") from None


def load_yaml(path: str | Path) -> dict[str, Any]:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise UserError(f"config file not found: {p} (give the path of an existing YAML file)")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"malformed YAML in {p}{where}: {getattr(e, 'problem', e)} (fix the file's syntax)") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {p} must be a mapping of option: value, not {type(data).__name__}")
    return data


def resolve(cls, yaml_values: dict[str, Any] | None = None, flags: dict[str, Any] | None = None):
    """Build a config: defaults, then YAML values, then explicit flags. Unknown keys and bad values raise UserError."""
    hints = _hints(cls)
    names = {f.name for f in fields(cls)}
    merged: dict[str, Any] = {}
    for source in (yaml_values or {}, flags or {}):
        for key, value in source.items():
            name = key.replace("-", "_")
            if name not in names:
                valid = ", ".join(sorted(n.replace("_", "-") for n in names))
                raise UserError(f"unknown option '{key}' (valid options: {valid})")
            merged[name] = _coerce(name.replace("_", "-"), value, hints[name])
    cfg = cls(**merged)
    validate(cfg)
    return cfg


def validate(cfg) -> None:
    for f in fields(type(cfg)):
        choices = f.metadata.get("choices")
        if not choices:
            continue
        value = getattr(cfg, f.name)
        for v in value if isinstance(value, list) else [value]:
            if v is not None and v not in choices:
                flag = f.name.replace("_", "-")
                raise UserError(f"invalid value {v!r} for --{flag} (choose from: {', '.join(choices)})")


def to_dict(cfg) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
