"""Code reward (LeetCode-style problems): run the completion's last fenced ```python block against the
row's tests in the sandbox (sandbox.py) and score the fraction passed (`code`) or all-or-nothing
(`code_binary`). A program is *correct* only when it passes all its tests (`judge`, used by the scoring core):
the graded `code` shapes RL rewards and never decides correctness.

The tests come from the row's columns in any format of code_tests.py (stdin/stdout pairs, asserts, APPS,
HumanEval's `test` + `entry_point`, LiveCodeBench's public/private test cases). A HumanEval program starts
with the row's `prompt` where one is given (the scoring core gives it); as a GRPO reward there is none (TRL
passes rendered prompts), so the completion must hold the whole function. Each test runs in its own
process. Once a test hits a deadline (wall clock or CPU), the completion's remaining tests count as failed (a
looping program costs one deadline, not one per test). Completions run in parallel, one thread per CPU. A
completion without a code block, or a truncated one, scores 0.

Parameters (make_code / spec "code(cpu_s=1,wall_s=3)"): cpu_s (2), wall_s (4), mem_mb (512),
output_kb (1024), max_tests (None = all), binary (False).
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from r1cli.rewards.code_tests import TEST_COLUMNS, Suite, call_script, suite
from r1cli.rewards.extract import answer_region, completion_text
from r1cli.rewards.registry import Reward, register
from r1cli.rewards.sandbox import Limits, output_lines, run_program, same_output

ROW_KEYS = ("entry_point", "metadata", "prompt")  # columns besides the tests that a format reads
_FENCE = re.compile(r"```[ \t]*(python3?|py)?[ \t]*\n(.*?)```", re.S | re.I)


def extract_code(text: str) -> str | None:
    """The last ```python block of the answer region (the last untagged ``` block if none is tagged)."""
    region, truncated = answer_region(text)
    if truncated or region is None:
        return None
    blocks = _FENCE.findall(region)
    tagged = [body for lang, body in blocks if lang]
    chosen = tagged or [body for _, body in blocks]
    return chosen[-1] if chosen else None


def run_suite(code: str, tests: Suite, limits: Limits, max_tests: int | None = None,
              stop: threading.Event | None = None) -> list[tuple[bool, str]]:
    """(passed, behaviour) per test: behaviour is what the program showed (its output lines without trailing
    whitespace, a call's result as JSON, "" for a script that held; or how it failed: "exit N", "timeout");
    tests after a deadline, or started after `stop` is set, are "not run" and fail."""
    cases = tests.cases[:max_tests] if max_tests else tests.cases
    program = f"{tests.prefix}{code}{tests.suffix}"
    out: list[tuple[bool, str]] = []
    late = False  # a deadline was hit: a looping program costs one deadline, not one per test
    for case in cases:
        if late or stop is not None and stop.is_set():
            out.append((False, "not run"))
            continue
        if case.kind == "stdin":
            run = run_program(program, stdin=case.input, limits=limits)
            ok = run.returncode == 0 and same_output(run.stdout, case.output)
            seen = "\n".join(output_lines(run.stdout))
        else:
            # a script runs after the program; a call runs the generated call; a whole program needs nothing
            test = call_script(case) if case.kind == "call" else case.input if case.kind == "script" else None
            run = run_program(program, test=test, limits=limits)
            ok = run.returncode == 0 and (case.kind != "call" or _same_json(run.stdout, case.output))
            seen = _result(run.stdout) if case.kind == "call" else ""  # a script shows only that it held
        late = run.over_time
        out.append((ok, "timeout" if late else seen if run.returncode == 0 else f"exit {run.returncode}"))
    return out


def _same_json(stdout: str, expected: str) -> bool:
    """A call's result (the last line printed) equals the expected JSON value."""
    lines = stdout.strip().splitlines()
    try:
        return bool(lines) and json.loads(lines[-1]) == json.loads(expected)
    except json.JSONDecodeError:
        return False


def _result(stdout: str) -> str:
    """A call's result as canonical JSON (so equal values are equal behaviour, however printed)."""
    lines = stdout.strip().splitlines()
    try:
        return json.dumps(json.loads(lines[-1]), sort_keys=True) if lines else ""
    except json.JSONDecodeError:
        return lines[-1]


def run_tests(code: str, tests, limits: Limits, max_tests: int | None = None,
              stop: threading.Event | None = None) -> float:
    """The fraction of `tests` (a `tests` column value or a Suite) passed."""
    tests = tests if isinstance(tests, Suite) else suite({"tests": tests})
    results = run_suite(code, tests, limits, max_tests, stop)
    return sum(ok for ok, _ in results) / len(results) if results else 0.0


@dataclass(frozen=True)
class Judgement:
    """One completion against its tests: `code` (None when there is no complete code block), the fraction of
    tests passed, and its behaviour (one entry per test) for cons@K's vote."""

    code: str | None
    passed: float
    behaviour: tuple[str, ...] | None

    @property
    def correct(self) -> bool:
        return self.passed == 1.0


def _judge_one(completion, columns: dict, limits: Limits, max_tests: int | None, stop) -> Judgement:
    code = extract_code(completion_text(completion))
    tests = suite(columns, columns.get("prompt"))
    if code is None or not tests.cases:
        return Judgement(code, 0.0, None)
    results = run_suite(code, tests, limits, max_tests, stop)
    return Judgement(code, sum(ok for ok, _ in results) / len(results), tuple(b for _, b in results))


def judge(completions, rows: list[dict], limits: Limits | None = None, max_tests: int | None = None
          ) -> list[Judgement]:
    """A Judgement per completion, against the tests in its row's columns (`prompt` included for HumanEval)."""
    limits = limits or Limits()
    n = len(completions)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, min(n, os.cpu_count() or 1))) as ex:
        try:
            return list(ex.map(_judge_one, completions, rows, [limits] * n, [max_tests] * n, [stop] * n))
        except BaseException:  # Ctrl-C: start no new program; the running ones end within their wall_s
            stop.set()
            ex.shutdown(wait=False, cancel_futures=True)
            raise


def _code(completions, *, limits: Limits, max_tests: int | None, binary: bool, **columns) -> list[float]:
    # TRL's `prompts` are rendered (chat template, instructions): never a HumanEval header, so not read here
    n = len(completions)
    rows = [{k: v[i] for k, v in columns.items() if k in TEST_COLUMNS + ROW_KEYS and isinstance(v, (list, tuple))}
            for i in range(n)]
    judged = judge(completions, rows, limits, max_tests)
    return [float(j.correct) if binary else j.passed for j in judged]


def make_code(cpu_s: int = 2, wall_s: float = 4.0, mem_mb: int = 512, output_kb: int = 1024,
              max_tests: int | None = None, binary: bool = False) -> Reward:
    limits = Limits(cpu_s=cpu_s, wall_s=wall_s, mem_mb=mem_mb, output_kb=output_kb)
    return Reward("code_binary" if binary else "code", _code, limits=limits, max_tests=max_tests, binary=binary)


def make_code_binary(**params) -> Reward:
    """code scored all-or-nothing (spec "code_binary(wall_s=2)")."""
    return make_code(**{**params, "binary": True})


code_reward = register("code", factory=make_code)(make_code())
code_binary_reward = register("code_binary", factory=make_code_binary, correctness=True)(make_code_binary())
