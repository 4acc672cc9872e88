import base64
import json
import pickle
import zlib

import pytest

from r1cli.errors import UserError
from r1cli.rewards.code import judge, make_code
from r1cli.rewards.code_tests import Case, decode_private, has_tests, suite
from r1cli.rewards.sandbox import Limits

FAST = Limits(cpu_s=1, wall_s=3.0, mem_mb=256, output_kb=64)


def block(code):
    return f"<think>try\n```python\nprint('draft')\n```\n</think>\n```python\n{code}\n```\n"


def packed(obj) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


def lcb_row(private, testtype="functional", func="twoSum"):
    public = [{"input": "[2, 7, 11, 15]\n9", "output": "[0, 1]", "testtype": testtype}]
    return {"public_test_cases": json.dumps(public), "private_test_cases": private,
            "metadata": json.dumps({"func_name": func})}


def test_formats_read_as_published():
    assert suite({"tests": [{"input": "1\n", "output": "2\n"}]}).cases == [Case("stdin", "1\n", "2\n")]
    assert suite({"tests": json.dumps(["assert f() == 1"])}).cases == [Case("script", "assert f() == 1")]
    assert suite({"tests": "assert f() == 1\nassert f() != 2"}).cases[0].kind == "script"
    apps = suite({"tests": {"inputs": ["1\n"], "outputs": ["2\n"]}}).cases
    assert apps == [Case("stdin", "1\n", "2\n")]
    call = suite({"tests": {"fn_name": "add", "inputs": [[1, 2]], "outputs": [[3]]}}).cases
    assert call == [Case("call", "1\n2", "3", "add")]
    he = suite({"test": "def check(candidate):\n    assert candidate(1) == 2\n", "entry_point": "inc"},
               prompt="def inc(x):\n")
    assert he.prefix == "def inc(x):\n" and he.cases == [Case("program", "")] and he.suffix.endswith("check(inc)")
    private = [{"input": "[3, 3]\n6", "output": "[0, 1]", "testtype": "functional"}]
    for form in (json.dumps(private), packed(json.dumps(private))):
        cases = suite(lcb_row(form)).cases
        assert [c.kind for c in cases] == ["call", "call"] and cases[1].input == "[3, 3]\n6"
    assert has_tests({"tests": "assert 1"}) and not has_tests({"answer": "3", "tests": None})
    assert has_tests(["prompt", "public_test_cases"]) and not has_tests(["prompt", "answer"])
    assert not has_tests({"test": "a math column", "answer": "3"}) and not has_tests(["test", "answer"])


def test_private_tests_refuse_pickled_globals():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(UserError, match="names builtins.print"):
        decode_private(packed(Evil()))
    with pytest.raises(UserError, match="not a JSON string"):
        decode_private(packed([1, 2]))
    with pytest.raises(UserError, match="neither JSON nor base64"):
        decode_private("not base64 at all!")


def test_functional_tests_call_function_or_solution_method():
    two_sum = ("def twoSum(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n"
               "        if target - x in seen:\n            return [seen[target - x], i]\n        seen[x] = i\n")
    method = "class Solution:\n    " + two_sum.replace("\n    ", "\n        ").replace("twoSum(nums", "twoSum(self, nums")
    private = json.dumps([{"input": "[3, 2, 4]\n6", "output": "[1, 2]", "testtype": "functional"}])
    row = lcb_row(packed(private))
    wrong = "def twoSum(nums, target):\n    return [0, 1]"
    got = judge([block(two_sum), block(method), block(wrong)], [row] * 3, FAST)
    assert [j.correct for j in got] == [True, True, False]
    assert got[2].passed == 0.5 and got[0].behaviour == ("[0, 1]", "[1, 2]")


def test_humaneval_program_is_prompt_code_test_check():
    row = {"prompt": 'def inc(x):\n    """x + 1"""\n', "entry_point": "inc",
           "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n"}
    body, wrong = "    return x + 1", "    return 2"
    got = judge([block(body), block(wrong), "no code"], [row] * 3, FAST)
    assert [j.correct for j in got] == [True, False, False] and got[2].code is None


def test_graded_reward_and_binary_agree_on_all_or_nothing():
    tests = [{"input": "1\n", "output": "1\n"}, {"input": "2\n", "output": "2\n"}]
    half = block("print(1)")
    fn = make_code(cpu_s=1, wall_s=3.0)
    assert fn(completions=[half], tests=[tests]) == [0.5]
    assert make_code(cpu_s=1, wall_s=3.0, binary=True)(completions=[half], tests=[tests]) == [0.0]
    stdin_lcb = lcb_row(json.dumps([{"input": "5\n", "output": "5\n", "testtype": "stdin"}]), "stdin")
    stdin_lcb["public_test_cases"] = json.dumps([{"input": "4\n", "output": "4\n", "testtype": "stdin"}])
    assert fn(completions=[block("print(input())")], **{k: [v] for k, v in stdin_lcb.items()}) == [1.0]
