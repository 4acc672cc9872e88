import pytest

import r1cli.rewards as R
from r1cli.errors import UserError


def test_registry_names_and_contract():
    assert R.names() == sorted(R.REGISTRY)
    for name in ["accuracy", "format", "format_prefilled", "format_r1", "tag_count", "language_consistency", "soft_overlong",
                 "repetition", "cosine", "code", "code_binary", "countdown", "choice"]:
        fn = R.get(name)
        assert fn.__name__ == f"{name}_reward"


def test_only_right_or_wrong_rewards_count_as_accuracy():
    assert sorted(n for n in R.names() if R.measures_correctness(n)) == ["accuracy", "choice", "code_binary", "countdown"]
    right, wrong = "<think>x</think><answer>4</answer>", "<think>x</think><answer>5</answer>"
    assert R.get("accuracy")(completions=[right, wrong], answer=["4", "4"]) == [1.0, 0.0]
    cosine = R.get("cosine")(completions=[right, wrong], answer=["4", "4"])  # correctness-based, but not 1/0
    assert R.measures_correctness("cosine") is False and cosine[0] not in (0.0, 1.0)


def test_parse_specs_weights_and_params():
    specs = R.parse_specs(["accuracy", "format:0.5", "soft_overlong(max_len=20,cache_len=10):2"])
    assert [(n, w) for n, _, w in specs] == [("accuracy", 1.0), ("format", 0.5), ("soft_overlong", 2.0)]
    fn = specs[2][1]
    assert fn(completions=["a"] * 3, completion_ids=[[0] * 5, [0] * 15, [0] * 25]) == [0.0, -0.5, -1.0]


@pytest.mark.parametrize("spec,msg", [("nope", "unknown reward 'nope' (available: accuracy,"),
                                      ("format:abc", "bad weight"), ("format:nan", "bad weight"),
                                      ("format(x=1)", "takes no parameters"),
                                      ("soft_overlong(bogus=1)", "bad parameters"),
                                      ("soft_overlong(max_len=5,cache_len=10)", "bad parameters"),
                                      ("repetition(3)", "key=value")])
def test_parse_specs_errors(spec, msg):
    with pytest.raises(UserError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        R.parse_specs([spec])


def test_register_decorator_adds_name():
    @R.register("test_dummy")
    def test_dummy_reward(completions, **kwargs):
        return [1.0] * len(completions)

    try:
        assert "test_dummy" in R.names() and R.get("test_dummy") is test_dummy_reward
    finally:
        del R.REGISTRY["test_dummy"]


def test_import_is_fast_and_light():
    import subprocess
    import sys

    code = ("import time,sys; t=time.perf_counter(); import r1cli.rewards; d=time.perf_counter()-t; "
            "print(d, 'torch' in sys.modules, 'sympy' in sys.modules, 'math_verify' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) < 0.5 and out[1:] == ["False", "False", "False"]


def test_every_reward_registered_in_the_package_is_found_without_a_list():
    """The registry is the only list of rewards: a reward is registered by its `register("NAME")` in any module
    of r1cli/rewards, and the first lookup (in a fresh process) finds every such name, with no list of modules to
    keep in step."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    declared = set()
    for path in Path(R.__file__).parent.glob("*.py"):
        declared |= set(re.findall(r"\bregister\(\s*\"(\w+)\"", path.read_text()))
    code = "from r1cli.rewards import registry; print(' '.join(sorted(registry.load_all())))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert len(declared) >= 12 and sorted(declared) == found


# One batch that every registered reward can score (math, tags, Chinese, code, countdown columns).
BATCH = {
    "completions": ["<think>这个这个这个这个这个</think><answer>\\boxed{4}</answer>",
                    "<think>2 + 2 = 4, so 4</think><answer>```python\nprint(int(input()) * 2)\n```</answer>",
                    "<think>(1 + 2) * 3</think><answer>(1 + 2) * 3</answer>"],
    "completion_ids": [[0] * 10, [0] * 3000, [0] * 5000],
    "answer": ["4", "4", "forty two"],
    "tests": [[{"input": "2\n", "output": "4\n"}]] * 3,
    "numbers": [[1, 2, 3]] * 3,
    "target": [9] * 3,
    "language": ["zh", "en", "en"],
}
SPECS = ["soft_overlong(max_len=2048,cache_len=256)", "repetition(ngram=2,max_penalty=-0.5)", "accuracy(timeout=2)",
         "cosine(max_len=100)", "language_consistency(target=zh)", "code(wall_s=2)", "code_binary(max_tests=1)"]


def _all_rewards():
    return [(name, R.get(name)) for name in R.names()] + [(spec, fn) for spec, (_, fn, _) in
                                                         zip(SPECS, R.parse_specs(SPECS), strict=True)]


def test_every_reward_survives_pickling_with_the_same_values():
    import pickle

    for label, fn in _all_rewards():
        copy = pickle.loads(pickle.dumps(fn))
        assert copy.__name__ == fn.__name__, label
        assert copy(**BATCH) == fn(**BATCH), label


def test_rewards_score_in_a_spawned_process():
    """TRL's asynchronous GRPO pickles reward functions into a spawned worker process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    picked = [(label, fn) for label, fn in _all_rewards() if label in ("cosine", "repetition") or "(" in label]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        remote = [ex.submit(fn, **BATCH) for _, fn in picked]
        for (label, fn), future in zip(picked, remote, strict=True):
            assert future.result(timeout=120) == fn(**BATCH), label
