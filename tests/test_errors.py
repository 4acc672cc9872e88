"""r1cli.errors: a failure that follows a Ctrl-C is reported as the Ctrl-C."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, signal
from r1cli import errors

print(errors.interrupted(ValueError("before")))
errors.watch_interrupts()
try:
    try:
        os.kill(os.getpid(), signal.SIGINT)  # lands here, as a Ctrl-C lands in library code
    except KeyboardInterrupt:
        raise ValueError("a side effect of the interrupt")  # the library fails in its own way
except ValueError as e:
    print(errors.interrupted(e))
"""


def test_an_error_after_a_ctrl_c_counts_as_the_interrupt():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "True"], out.stderr
