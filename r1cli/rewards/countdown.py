"""Countdown: the answer region (same rules as accuracy) must hold an arithmetic expression over the
row's `numbers`, each used exactly once (as a multiset), with + - * / and parentheses only, whose exact
value (fractions) is the row's `target`. '(25 - 5) * 4 = 80' is read as its left side.
Parsed with ast; nothing is eval'd."""

from __future__ import annotations

import ast
import re
from fractions import Fraction

from r1cli.rewards.extract import answer_region, completion_text, last_boxed
from r1cli.rewards.registry import register

_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b}
_LATEX = [("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("×", "*"), ("÷", "/"), ("−", "-"),
          ("\\left", ""), ("\\right", ""), ("$", ""), ("\\(", ""), ("\\)", ""), ("{", "("), ("}", ")")]
_ALLOWED = re.compile(r"[\d\s+\-*/().]*")


def _evaluate(node, used: list[int]) -> Fraction:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, used)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left, used), _evaluate(node.right, used)
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        used.append(node.value)
        return Fraction(node.value)
    raise ValueError("not allowed")


def expression_of(text: str) -> str | None:
    region, truncated = answer_region(text)
    if truncated or region is None:
        return None
    expr = last_boxed(region) or region
    for a, b in _LATEX:
        expr = expr.replace(a, b)
    parts = [p.strip() for p in expr.split("=")]
    parts = [p for p in parts if re.search(r"\d\s*[-+*/]\s*[\d(]|\)\s*[-+*/]", p)] or parts
    expr = parts[0].strip().rstrip(".")
    if len(expr) > 300 or not _ALLOWED.fullmatch(expr):
        return None
    return expr


def check(text: str, numbers, target) -> float:
    expr = expression_of(text)
    if not expr:
        return 0.0
    try:
        used: list[int] = []
        value = _evaluate(ast.parse(expr, mode="eval"), used)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError, TypeError):
        return 0.0
    if sorted(used) != sorted(int(n) for n in numbers):
        return 0.0
    return float(value == Fraction(int(target)))


@register("countdown", correctness=True)
def countdown_reward(completions, numbers=None, target=None, **kwargs) -> list[float]:
    """1.0 when the answer is an expression using each of `numbers` once that equals `target`."""
    if numbers is None or target is None:
        return [0.0] * len(completions)
    return [check(completion_text(c), nums, t) for c, nums, t in zip(completions, numbers, target, strict=False)]
