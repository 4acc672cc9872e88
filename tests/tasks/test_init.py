"""r1cli.tasks: the task registry is the only list of tasks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_every_task_defined_in_the_package_is_found_without_a_list():
    """A task is registered by its `@task("NAME", ...)` in any module of r1cli/tasks; loading one task (in a
    fresh process) finds every such name, with no import line to keep in step."""
    import r1cli.tasks

    declared = set()
    for path in Path(r1cli.tasks.__file__).parent.glob("*.py"):
        declared |= set(re.findall(r"^@task\(\s*\"([\w-]+)\"", path.read_text(), re.M))
    code = ("from r1cli import data, tasks; data.load('task:arith?n=2'); print(' '.join(sorted(tasks.TASKS)))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert len(declared) >= 4 and sorted(declared) == found
