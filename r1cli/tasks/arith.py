"""task:arith — multi-step integer arithmetic, as a bare expression or as a word problem.

style=expr   prompt "(3+5)*4", solution "3+5=8\\n8*4=32", answer "32"
style=word   prompt "Ann has 3 apples. She gets 5 more. ... How many apples does Ann have now?"

`slip` (0..1, expr style) is the fraction of worked solutions written by a teacher with a systematic
slip: it drops the parentheses and multiplies first, so its steps and final answer are consistently wrong
for that problem. `paren` (expr style, steps >= 2) is the fraction of problems whose last step multiplies a
sum or a difference, the shape where the slip changes the answer; `flat=1` leaves that shape out (no
parentheses: problems the slip cannot get wrong). A model fine-tuned on such solutions
carries both behaviours; RL with an accuracy reward
can select the right one — the DeepSeek-R1-Zero story in miniature.

`bare` (0..1, expr style) is the fraction of solutions where the teacher skips the steps: an empty
reasoning, the right answer only. A small model imitating that guesses more often than when it works the
steps, so RL with an accuracy reward favours the longer worked solutions — the paper's growth of response
length during RL, in miniature. A bare row keeps the gold answer (a slip needs written steps to show).

`prose` (0..1, expr style) is the fraction of solutions whose steps the teacher writes in words ("First we
add both: 3+5=8."), so that the reasoning has a language; `mix` (0..1) is the fraction of those
whose steps alternate between English and French words, each step in one language, the language mixing of
DeepSeek-R1-Zero in miniature (a solution of one step has nothing to alternate and stays English). Numbers
stay digits: the language-consistency reward counts the words only.
"""

from __future__ import annotations

import random
import re
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
    "flat": Param(int, 0, "1: no problem in the '(a+b)*c' shape, none the slip gets wrong (expr)", 0, 1),
    "bare": Param(float, 0.0, "fraction of solutions that skip the steps: empty reasoning, the answer only (expr)",
                  0, 1),
    "prose": Param(float, 0.0, "fraction of solutions whose steps are written in words, in English (expr)", 0, 1),
    "mix": Param(float, 0.0, "fraction of the worded solutions whose steps alternate between English and French "
                 "(expr)", 0, 1),
}
# A worded step per language: the connective of the first and later steps and each operation's words, then the
# step itself, "First we add both: 3+5=8.": the digits stay side by side as a bare step writes them, so the
# words add ~25 characters a step and nothing to the arithmetic the character model has to learn (a sentence
# that carries the operands, "we add 3 and 5, which makes 8", spreads them ~15 characters apart and is ~1.2x
# longer). "both"/"les deux" give py3langid enough words to tell the languages apart (with two words a step, a
# third of the mixed solutions read as all English).
# English is the language of the prompts here, French the one mixed in.
PROSE = {
    "en": (("First", "Then"), {"+": "we add both", "-": "we subtract both", "*": "we multiply both"}),
    "fr": (("D'abord", "Ensuite"), {"+": "on additionne les deux", "-": "on soustrait les deux",
                                    "*": "on multiplie les deux"}),
}
STEP = re.compile(r"(-?\d+)([+\-*])(\d+)=(-?\d+)")  # a slipped step may start below zero


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
             paren: float = 0.0, flat: int = 0, bare: float = 0.0, prose: float = 0.0,
             mix: float = 0.0) -> Iterator[dict[str, Any]]:
    if style not in ("expr", "word"):
        raise UserError(f"task:arith key 'style' must be expr or word, got {style!r}")
    if (slip or paren or flat or bare or prose or mix) and style != "expr":
        raise UserError("task:arith keys 'slip', 'paren', 'flat', 'bare', 'prose' and 'mix' apply to style=expr "
                        "only")
    if paren and flat:
        raise UserError("task:arith keys 'paren' and 'flat' contradict each other: 'flat' leaves out the shape "
                        "'paren' forces")
    if mix and not prose:
        raise UserError("task:arith key 'mix' mixes languages in worded solutions: it needs 'prose'")
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
        if not ok or (flat and "(" in expr):
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
            if prose and row["solution"] and rng.random() < prose:
                mixed = mix and rng.random() < mix
                first = rng.choice(("en", "fr")) if mixed else "en"
                row["solution"] = _worded(row["solution"].split("\n"), first, alternate=bool(mixed))
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


def _worded(lines: list[str], first: str, alternate: bool) -> str:
    """Steps "a op b=c" written as sentences, all in language `first` or alternating from it with the other."""
    other = {"en": "fr", "fr": "en"}
    out, lang = [], first
    for i, line in enumerate(lines):
        op = STEP.fullmatch(line).group(2)
        connectives, verbs = PROSE[lang]
        out.append(f"{connectives[min(i, 1)]} {verbs[op]}: {line}.")
        lang = other[lang] if alternate else lang
    return "\n".join(out)
