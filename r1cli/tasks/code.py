"""task:code — write a one-line Python function from a short spec; hidden tests decide (reward code_binary).

kind=affine  prompt "f(x)=3(x+2)"           solution "f(1)=3*(1+2)=9"
             response "```python\\ndef f(x):\\n    return 3*(x+2)\\n```"
kind=count   prompt "f(xs)=count 4<=x<=9"   solution "f([4, 9])=2"
             response "```python\\ndef f(xs):\\n    return sum(4<=x<=9 for x in xs)\\n```"

Half the problems of each kind have a trap: a factor in front of parentheses (affine), inclusive bounds
(count); the other half ("f(x)=3x+2", "count 4<x<9") have none. `slip` (0..1) is the fraction of trap
problems whose teacher writes a plausible but wrong program, consistently in its worked check and its code:
it drops the parentheses ("3*x+2") or makes the bounds strict ("4<x<9"). A model fine-tuned on those
solutions writes both programs; RL with the all-or-nothing test reward selects the one that passes —
R1-Zero's story, on code.

Each row's `tests` is one block of asserts that the right program passes and the slipped one fails (one
block, not one test per assert: the sandbox starts a process per test, and GRPO scores dozens of completions a
step). `answer` is the expected value of the first assert, `reward` is "code_binary".
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from r1cli.errors import UserError
from r1cli.tasks import Param, task

KINDS = ("affine", "count", "mix")
PARAMS = {
    "kind": Param(str, "mix", "affine, count, or mix (each problem draws one of the two)"),
    "max": Param(int, 30, "largest constant", 3, 10**6),
    "asserts": Param(int, 4, "hidden asserts per problem", 1, 50),
    "slip": Param(float, 0.0, "fraction of trap problems whose teacher writes the plausible wrong program", 0, 1),
}


def capacity(kind: str, max: int, **_) -> int:
    """Distinct prompts at most: affine draws a in 2..max, b in 1..max, a sign and a shape; count draws
    0 <= lo < hi <= max and a shape."""
    affine = 4 * (max - 1) * max
    count = 2 * (max + 1) * max // 2
    return {"affine": affine, "count": count}.get(kind, affine + count)


def _program(arg: str, body: str) -> str:
    return f"```python\ndef f({arg}):\n    return {body}\n```"


def _affine(rng: random.Random, max: int, asserts: int, slip: bool) -> dict[str, Any]:
    a, b, sign, trap = rng.randint(2, max), rng.randint(1, max), rng.choice("+-"), rng.random() < 0.5
    s = 1 if sign == "+" else -1
    prompt = f"f(x)={a}(x{sign}{b})" if trap else f"f(x)={a}x{sign}{b}"
    right = f"{a}*(x{sign}{b})" if trap else f"{a}*x{sign}{b}"
    if trap and slip:  # the slip: the parentheses dropped
        written, value = f"{a}*x{sign}{b}", lambda x: a * x + s * b
    else:
        written, value = right, (lambda x: a * (x + s * b)) if trap else (lambda x: a * x + s * b)
    xs = rng.sample(range(-5, 11), asserts)
    expected = [a * (x + s * b) if trap else a * x + s * b for x in xs]
    return _row(prompt, "x", written, f"f(1)={written.replace('x', '1')}={value(1)}", xs, expected)


def _count(rng: random.Random, max: int, asserts: int, slip: bool) -> dict[str, Any]:
    lo, hi = sorted(rng.sample(range(max + 1), 2))
    trap = rng.random() < 0.5
    cond = f"{lo}<=x<={hi}" if trap else f"{lo}<x<{hi}"
    written = f"{lo}<x<{hi}" if trap and slip else cond  # the slip: the bounds made strict
    lists = [sorted(rng.randint(lo - 3, hi + 3) for _ in range(rng.randint(1, 5))) for _ in range(asserts)]
    lists[0] = sorted(lists[0] + [lo, hi])  # an input with both bounds, where the slip is wrong
    expected = [sum(lo <= x <= hi if trap else lo < x < hi for x in xs) for xs in lists]
    check = f"f([{lo}, {hi}])={2 if written == cond and trap else 0}"
    return _row(f"f(xs)=count {cond}", "xs", f"sum({written} for x in xs)", check, lists, expected)


def _row(prompt: str, arg: str, written: str, check: str, inputs: list, expected: list[int]) -> dict[str, Any]:
    tests = "\n".join(f"assert f({i!r}) == {e!r}" for i, e in zip(inputs, expected, strict=True))
    return {"prompt": prompt, "answer": str(expected[0]), "solution": check,
            "response_answer": _program(arg, written), "tests": [tests], "reward": "code_binary"}


@task("code", PARAMS, capacity=capacity, widen=("max",))
def generate(rng: random.Random, kind: str, max: int, asserts: int, slip: float) -> Iterator[dict[str, Any]]:
    if kind not in KINDS:
        raise UserError(f"task:code key 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind != "count" and asserts > 16:
        raise UserError(f"task:code key 'asserts' is at most 16 with kind={kind} (affine draws x from -5..10)")
    while True:
        pick = kind if kind != "mix" else rng.choice(("affine", "count"))
        make = _affine if pick == "affine" else _count
        yield make(rng, max, asserts, rng.random() < slip)
