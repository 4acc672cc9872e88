import os
import time

import r1cli.rewards as R
from r1cli.rewards.code import extract_code, make_code, run_tests
from r1cli.rewards.sandbox import Limits, run_program

FAST = Limits(cpu_s=1, wall_s=2.0, mem_mb=256, output_kb=64)
IO_TESTS = [{"input": "2 3\n", "output": "5\n"}, {"input": "10 -4\n", "output": "6"}]


def block(code):
    return f"<think>plan</think>\n```python\n{code}\n```\n"


def code_fn():
    return make_code(cpu_s=1, wall_s=2.0, mem_mb=256, output_kb=64)


def test_stdin_stdout_and_asserts_and_chat():
    fn = code_fn()
    good = block("a, b = map(int, input().split())\nprint(a + b)")
    half = block("a, b = map(int, input().split())\nprint(5)")
    chat = [{"role": "assistant", "content": good}]
    asserts = ["assert add(1, 2) == 3", "assert add(2, 2) == 5"]
    add = block("def add(a, b):\n    return a + b")
    out = fn(completions=[good, half, chat, add, "no code", "<think>```python\nprint(5)\n```"],
             tests=[IO_TESTS, IO_TESTS, IO_TESTS, asserts, IO_TESTS, IO_TESTS])
    assert out == [1.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    import json
    assert make_code(binary=True)(completions=[half, good], tests=[json.dumps(IO_TESTS)] * 2) == [0.0, 1.0]


def test_extract_code_last_python_block():
    text = "```python\nprint(1)\n```\nthen\n```\nplain\n```\n```py\nprint(2)\n```"
    assert extract_code(text).strip() == "print(2)"


def test_infinite_loop_scores_zero_and_stops_after_first_timeout():
    t = time.monotonic()
    out = code_fn()(completions=[block("while True:\n    pass")], tests=[IO_TESTS * 3])
    assert out == [0.0] and time.monotonic() - t < 4.0


def test_run_tests_starts_no_program_once_stopped():
    """After Ctrl-C the reward sets `stop`, so a completion with many tests does not keep running them."""
    import threading

    add = "a, b = map(int, input().split())\nprint(a + b)"
    stop = threading.Event()
    assert run_tests(add, IO_TESTS, FAST, stop=stop) == 1.0
    stop.set()
    assert run_tests(add, IO_TESTS, FAST, stop=stop) == 0.0


def test_fork_bomb_is_contained():
    before = len(os.listdir("/proc"))
    out = run_program("import os\nwhile True:\n    os.fork()", limits=FAST)
    assert out.returncode not in (0, None)  # fork failed at once (RLIMIT_NPROC)
    probe = run_program("import os\ntry:\n    os.fork()\n    print('forked')\nexcept OSError:\n    print('blocked')",
                        limits=FAST)
    assert probe.stdout.strip() == "blocked"
    assert len(os.listdir("/proc")) < before + 20
    assert code_fn()(completions=[block("import os\nwhile True:\n    os.fork()")], tests=[IO_TESTS]) == [0.0]


def test_memory_hog_and_big_output_and_environment():
    hog = run_program("a = []\nwhile True:\n    a.append(' ' * 10**7)", limits=FAST)
    assert hog.returncode not in (0, None) and not hog.timed_out
    flood = run_program("import sys\nsys.stdout.write('x' * 100_000_000)\nprint()", limits=FAST)
    assert flood.returncode != 0 and flood.stdout == ""
    env = run_program("import os\nprint(sorted(os.listdir('.')), os.environ.get('HOME'), os.environ.get('PATH'))",
                      limits=FAST)
    assert env.stdout.strip() == "[] None None"
    fn = code_fn()
    assert fn(completions=[block("print('x' * 100_000_000)")], tests=[IO_TESTS]) == [0.0]
    assert R.get("code")(completions=["x"], tests=None) == [0.0]


def test_programs_have_no_network_and_no_shared_tmp():
    """Where unshare is allowed (here), a program sees no network and an empty /tmp of its own; its cwd
    (inside its temporary folder) stays writable, and the run records the isolation it had."""
    from r1cli.rewards import sandbox

    # the interfaces the program sees (it may not import socket: the stdlib it can read is what is preloaded)
    probe = ("import os\n"
             "print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]))\n"
             "open('mine.txt', 'w').write('x')\n"
             "print(os.listdir('/tmp'), os.listdir('.'))\n"
             "open('/tmp/leak', 'w').write('x')\n")
    out = run_program(probe, limits=FAST)
    if sandbox.isolation() != sandbox.NETNS:
        import pytest

        pytest.skip("unshare is not allowed on this machine")
    lines = out.stdout.splitlines()
    assert lines == ["['lo']", "[] ['mine.txt']"] and out.returncode == 0, out
    assert not os.path.exists("/tmp/leak")
    from r1cli import runs

    assert runs._code_isolation() == {"code_isolation": sandbox.NETNS}
