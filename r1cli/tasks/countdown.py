"""task:countdown — combine the given numbers with + - * and parentheses to reach the target.

prompt "Use 3 5 4 to make 32", answer "32" (the target), response_answer "(3+5)*4", numbers [3, 5, 4],
target 32, reward "countdown": rows are checked by the countdown reward (each number used exactly once,
the expression evaluates to the target), not by comparing with the gold number.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from r1cli.tasks import Param, task

PARAMS = {
    "count": Param(int, 3, "how many numbers are given", 2, 12),
    "max": Param(int, 9, "largest given number", 2, 10**6),
}


def capacity(count: int, max: int) -> int:
    """Distinct prompts at most: the numbers times the targets, each below the product of (number + 1)."""
    return max**count * (max + 1) ** count


@task("countdown", PARAMS, capacity=capacity, widen=("max", "count"))
def generate(rng: random.Random, count: int, max: int) -> Iterator[dict[str, Any]]:
    while True:
        numbers = [rng.randint(1, max) for _ in range(count)]
        order = numbers[:]
        rng.shuffle(order)
        value, expr, lines = order[0], str(order[0]), []
        for i, n in enumerate(order[1:]):
            op = rng.choice("+-*")
            new = value + n if op == "+" else value - n if op == "-" else value * n
            if new < 0:
                op, new = "+", value + n
            lines.append(f"{value}{op}{n}={new}")
            expr = f"({expr}){op}{n}" if i > 0 and op == "*" else f"{expr}{op}{n}"
            value = new
        if value <= 0:
            continue
        prompt = f"Use {' '.join(map(str, numbers))} to make {value}"
        yield {"prompt": prompt, "answer": str(value), "solution": "\n".join(lines), "response_answer": expr,
               "numbers": numbers, "target": value, "reward": "countdown"}
