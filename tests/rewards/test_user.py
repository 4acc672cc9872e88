"""A user's own reward (r1cli.rewards.user): file and module specs, TRL's contract (None = not applicable), the
function runs in the verifier workers (a hang costs one deadline, a raise one row), bad specs fail in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from r1cli.errors import UserError
from r1cli.rewards import registry, user

REWARDS = textwrap.dedent('''
    import os
    import time

    def has_answer(completions, answer, **kwargs):
        return [None if a is None else float(str(a) in str(c)) for c, a in zip(completions, answer)]

    def troublesome(completions, **kwargs):
        text = str(completions[0])
        if "hang" in text:
            time.sleep(600)
        if "boom" in text:
            raise ValueError("boom")
        return [0.5 for _ in completions]

    def where_am_i(completions, **kwargs):
        return [float(os.getpid()) for _ in completions]

    def no_kwargs(x):
        return [0.0]
''')


@pytest.fixture()
def reward_file(tmp_path, monkeypatch):
    (tmp_path / "my_rewards.py").write_text(REWARDS)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "my_rewards.py"


def test_specs_that_name_a_user_function():
    registered = ("accuracy", "format:0.5", "cosine(min_value=0.5):0.5", "format:abc")
    names = registry.load_all()
    assert [user.is_user_spec(s, names) for s in registered] == [False] * 4
    assert all(user.is_user_spec(s, names) for s in ("a.py:f", "pkg.mod:f:2", "mod:f", "dir/a.py:f:0.5"))


def test_file_and_module_specs_follow_trls_contract(reward_file):
    name, fn, weight = registry.parse_spec(f"{reward_file}:has_answer:0.5")
    assert (name, fn.__name__, weight) == (f"{reward_file}:has_answer", "has_answer", 0.5)
    assert fn(prompts=["p", "q", "r"], completions=["x = 5", "4", "7"], answer=["5", "5", None]) == [1.0, 0.0, None]
    by_module = registry.get("my_rewards:has_answer")  # the working directory is importable, as for `python -m`
    assert by_module(completions=["12"], answer=["12"]) == [1.0]


def test_the_function_runs_in_the_workers_and_a_hang_or_raise_costs_one_row(reward_file, monkeypatch):
    fn = registry.get("my_rewards.py:where_am_i")
    assert all(pid != os.getpid() for pid in fn(completions=["a", "b"]))
    monkeypatch.setattr(user, "TIMEOUT", 2.0)
    troublesome = registry.get("my_rewards.py:troublesome")
    t = time.monotonic()
    assert troublesome(completions=["ok", "hang", "boom", "fine"]) == [0.5, 0.0, 0.0, 0.5]
    assert time.monotonic() - t < 8  # one deadline, not one per row nor the 600 s sleep


@pytest.mark.parametrize("spec,message", [
    ("missing.py:has_answer", "no file missing.py"),
    ("my_rewards.py:nope", "has no function nope"),
    ("my_rewards.py:no_kwargs", "does not take TRL's reward arguments"),
    ("no_such_package.mod:f", "cannot import no_such_package.mod: ModuleNotFoundError"),
    ("my_rewards.py:has_answer:heavy", "bad weight 'heavy'"),
])
def test_bad_specs_are_one_line_user_errors(reward_file, spec, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")) as e:
        registry.parse_spec(spec)
    assert "\n" not in str(e.value)


def test_bad_reward_fails_in_one_line_before_any_model_loads(reward_file):
    """The CLI refuses the spec with exit 2 before the model (which does not exist) is looked at."""
    proc = subprocess.run([sys.executable, "-m", "r1cli", "grpo", "--model", "no/such-model", "--dataset",
                           "task:arith?n=4", "--output", "out", "--reward", "my_rewards.py:no_kwargs"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: --reward my_rewards.py:no_kwargs") and "Traceback" not in proc.stderr
    assert not os.path.exists("out")


def test_trainer_state_reaches_the_worker_without_transformers(reward_file):
    """TRL passes trainer_state; the worker gets its plain fields (global_step, ...) and never imports
    transformers to read them (that import outlasts a row's deadline on a busy machine)."""
    from transformers import TrainerState

    (reward_file.parent / "stepped.py").write_text(
        "import sys\n\n"
        "def stepped(completions, trainer_state, **kwargs):\n"
        "    return [trainer_state.global_step + 0.5 * ('transformers' in sys.modules) for _ in completions]\n")
    fn = registry.get("stepped.py:stepped")
    state = TrainerState(global_step=7, log_history=[{"loss": 1.0}] * 1000)
    assert fn(completions=["a", "b"], trainer_state=state, log_metric=print) == [7.0, 7.0]
