"""task:arith — multi-step integer arithmetic, as a bare expression or as a word problem.

style=expr   prompt "(3+5)*4", solution "3+5=8\\n8*4=32", answer "32"
style=word   prompt "Ann has 3 apples. She gets 5 more. ... How many apples does Ann have now?"

`slip` (0..1, expr style) is the fraction of worked solutions written by a teacher with a systematic
slip: it drops the parentheses and multiplies first, so its steps and final answer are consistently wrong
for that problem. `paren` (expr style, steps >= 2) is the fraction of problems whose last step multiplies a
sum or a difference, the shape where the slip changes the answer. A model fine-tuned on such solutions
carries both behaviours; RL with an accuracy reward
can select the right one — the DeepSeek-R1-Zero story in miniature.

`bare` (0..1, expr style) is the fraction of solutions where the teacher skips the steps: an empty
reasoning, the right answer only. A small model imitating that guesses more often than when it works the
steps, so RL with an accuracy reward favours the longer worked solutions — the paper's growth of response
length during RL, in miniature. A bare row keeps the gold answer (a slip needs written steps to show).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from r1cli.errors import UserError
from r1cli.tasks import Param, task

NAMES = ["Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"]
ITEMS = ["apples", "books", "coins", "cards", "shells", "stamps", "marbles", "pens"]

PARAMS = {
    "steps": Param(int, 2, "number of operations", 1, 50),
    "max": Param(int, 9, "largest operand", 2, 10**9),
    "style": Param(str, "expr", "expr or word"),
    "slip": Param(float, 0.0, "fraction of solutions with the systematic precedence slip (expr style)", 0, 1),
    "paren": Param(float, 0.0, "fraction of problems forced into the '(a+b)*c' shape, where precedence matters "
                   "(expr)", 0, 1),
    "bare": Param(float, 0.0, "fraction of solutions that skip the steps: empty reasoning, the answer only (expr)",
                  0, 1),
}


def capacity(steps: int, max: int, style: str, **_) -> int:
    """Distinct prompts at most: every operand and operator choice (a word problem adds a name and an item)."""
    return max ** (steps + 1) * 3**steps * (len(NAMES) * len(ITEMS) if style == "word" else 1)


def _apply(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def _flat_eval(numbers: list[int], ops: list[str]) -> tuple[int, list[str]]:
    """Evaluate `n0 op0 n1 op1 n2 ...` with usual precedence (the slip: parentheses ignored)."""
    nums, rest_ops, steps = [numbers[0]], [], []
    for op, n in zip(ops, numbers[1:], strict=False):
        if op == "*":
            prod = nums[-1] * n
            steps.append(f"{nums[-1]}*{n}={prod}")
            nums[-1] = prod
        else:
            nums.append(n)
            rest_ops.append(op)
    value = nums[0]
    for op, n in zip(rest_ops, nums[1:], strict=False):
        new = _apply(value, op, n)
        steps.append(f"{value}{op}{n}={new}")
        value = new
    return value, steps


@task("arith", PARAMS, capacity=capacity, widen=("max", "steps"))
def generate(rng: random.Random, steps: int, max: int, style: str, slip: float,
             paren: float = 0.0, bare: float = 0.0) -> Iterator[dict[str, Any]]:
    if style not in ("expr", "word"):
        raise UserError(f"task:arith key 'style' must be expr or word, got {style!r}")
    if (slip or paren or bare) and style != "expr":
        raise UserError("task:arith keys 'slip', 'paren' and 'bare' apply to style=expr only")
    if paren and steps < 2:
        raise UserError("task:arith key 'paren' needs steps >= 2")
    while True:
        numbers = [rng.randint(1, max) for _ in range(steps + 1)]
        ops = [rng.choice("+-*") for _ in range(steps)]
        if paren and rng.random() < paren:  # the last step multiplies a sum or difference: "(...a+b)*c"
            ops[-2], ops[-1] = rng.choice("+-"), "*"
        value, expr, lines = numbers[0], str(numbers[0]), []
        ok = True
        for i, (op, n) in enumerate(zip(ops, numbers[1:], strict=False)):
            new = _apply(value, op, n)
            if new < 0:
                ok = False
                break
            lines.append(f"{value}{op}{n}={new}")
            expr = f"({expr}){op}{n}" if i > 0 and op == "*" and ops[i - 1] != "*" else f"{expr}{op}{n}"
            value = new
        if not ok:
            continue
        if style == "expr":
            row = {"prompt": expr, "answer": str(value), "solution": "\n".join(lines)}
            # Draws only when the key is set, so the problems of a spec without it stay as they were.
            if bare and rng.random() < bare:
                row["solution"] = ""
            elif slip and rng.random() < slip:
                slipped, slip_lines = _flat_eval(numbers, ops)
                if slipped != value:
                    row["solution"] = "\n".join(slip_lines)
                    row["response_answer"] = str(slipped)
            row.setdefault("response_answer", row["answer"])
            yield row
        else:
            yield _word(rng, numbers, ops, lines, value)


def _word(rng: random.Random, numbers: list[int], ops: list[str], lines: list[str], value: int) -> dict[str, Any]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    sentences = [f"{name} has {numbers[0]} {item}."]
    for op, n in zip(ops, numbers[1:], strict=False):
        if op == "+":
            sentences.append(f"{name} gets {n} more.")
        elif op == "-":
            sentences.append(f"{name} gives away {n}.")
        else:
            sentences.append(f"Then the number of {item} becomes {n} times as many.")
    sentences.append(f"How many {item} does {name} have now?")
    return {"prompt": " ".join(sentences), "answer": str(value), "solution": "\n".join(lines),
            "response_answer": str(value)}
