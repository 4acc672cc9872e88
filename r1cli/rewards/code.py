"""Code reward (LeetCode-style problems): run the completion's last fenced ```python block against the
row's tests in the sandbox (sandbox.py) and score the fraction passed (`code`) or all-or-nothing
(`code_binary`).

Test schema, row column `tests` (a JSON string of the same is accepted):
  * stdin/stdout: [{"input": "1 2\\n", "output": "3\\n"}, ...]  -- the program reads stdin, prints;
    outputs are compared line by line, ignoring trailing whitespace and trailing blank lines;
  * asserts: ["assert add(1, 2) == 3", ...]  -- each runs after the program's code, passes if it exits 0;
  * {"inputs": [...], "outputs": [...]} (APPS style) is read as the stdin/stdout form.
Each test runs in its own process. Once a test hits a deadline (wall clock or CPU), the completion's remaining tests count as
failed (a looping program costs one deadline, not one per test). Completions run in parallel, one
thread per CPU. A completion without a code block, or a truncated one, scores 0.

Parameters (make_code / spec "code(cpu_s=1,wall_s=3)"): cpu_s (2), wall_s (4), mem_mb (512),
output_kb (1024), max_tests (None = all), binary (False).
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from r1cli.rewards.extract import answer_region, completion_text
from r1cli.rewards.registry import Reward, register
from r1cli.rewards.sandbox import Limits, run_program, same_output

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


def normalise_tests(tests) -> list:
    if tests is None:
        return []
    if isinstance(tests, str):
        try:
            tests = json.loads(tests)
        except json.JSONDecodeError:
            return [tests]  # a single assert block
    if isinstance(tests, dict) and "inputs" in tests:
        return [{"input": i, "output": o} for i, o in zip(tests["inputs"], tests.get("outputs", []), strict=False)]
    return list(tests)


def run_tests(code: str, tests: list, limits: Limits, max_tests: int | None = None,
              stop: threading.Event | None = None) -> float:
    """The fraction of `tests` passed; once `stop` is set, no further test is started."""
    tests = tests[:max_tests] if max_tests else tests
    if not tests:
        return 0.0
    passed = 0
    for case in tests:
        if stop is not None and stop.is_set():
            break
        if isinstance(case, dict):
            out = run_program(code, stdin=str(case.get("input", "")), limits=limits)
            ok = out.returncode == 0 and same_output(out.stdout, case.get("output", ""))
        else:
            out = run_program(code, test=str(case), limits=limits)
            ok = out.returncode == 0
        passed += ok
        if out.over_time:
            break
    return passed / len(tests)


def _score_one(completion, tests, limits: Limits, max_tests: int | None, binary: bool, stop) -> float:
    code = extract_code(completion_text(completion))
    if code is None:
        return 0.0
    frac = run_tests(code, normalise_tests(tests), limits, max_tests, stop)
    return float(frac == 1.0) if binary else frac


def _code(completions, tests=None, *, limits: Limits, max_tests: int | None, binary: bool, **kwargs) -> list[float]:
    if tests is None:
        return [0.0] * len(completions)
    n = len(completions)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, min(n, os.cpu_count() or 1))) as ex:
        try:
            return list(ex.map(_score_one, completions, tests, [limits] * n, [max_tests] * n, [binary] * n,
                               [stop] * n))
        except BaseException:  # Ctrl-C: start no new program; the running ones end within their wall_s
            stop.set()
            ex.shutdown(wait=False, cancel_futures=True)
            raise


def make_code(cpu_s: int = 2, wall_s: float = 4.0, mem_mb: int = 512, output_kb: int = 1024,
              max_tests: int | None = None, binary: bool = False) -> Reward:
    limits = Limits(cpu_s=cpu_s, wall_s=wall_s, mem_mb=mem_mb, output_kb=output_kb)
    return Reward("code_binary" if binary else "code", _code, limits=limits, max_tests=max_tests, binary=binary)


def make_code_binary(**params) -> Reward:
    """code scored all-or-nothing (spec "code_binary(wall_s=2)")."""
    return make_code(**{**params, "binary": True})


code_reward = register("code", factory=make_code)(make_code())
code_binary_reward = register("code_binary", factory=make_code_binary, correctness=True)(make_code_binary())
