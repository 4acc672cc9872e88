"""The Curator on fixed completions: every reason, in pipeline order, through the real scoring core and
verifier pool; counts add up; planted duplicates go; the cap; the judge hand-off."""

from __future__ import annotations

import threading

import pytest

from r1cli.curation import REASONS, Curator, Settings
from r1cli.generation import Completion
from r1cli.readability import Readability
from r1cli.rewards import extract_answer

STEPS = " ".join(f"step {i}: we add {i} and {i + 1} to get {2 * i + 1}, then" for i in range(12))


def good(reasoning: str, answer: str = "32") -> str:
    return f"<think>\n{reasoning}\n</think>\n<answer>{answer}</answer>"


PLANTED = {  # completion text -> the reason it must get (row 0, gold 32)
    good(STEPS): "kept",
    good(STEPS.upper().replace(", ", ",\n  ")): "duplicate",
    good(STEPS.replace("step 11", "stage 11")): "near_duplicate",
    "<think>\nhm, let me": "unfinished_think",
    good("3+5=8, 8*4=31", "31"): "wrong",
    "<think>\n3+5=8\n</think>\n": "no_answer",
    "<answer>32</answer>": "no_think",
    "<think>\n3+5=1\n1<think>\n8*4=3</answer>\n</think>\n<answer>32</answer>": "bad_layout",  # right by luck
    good("First 3 plus 5 is 8, 然后乘以四得到三十二所以答案是三十二"): "mixed_language",
    good("Compute it:\n```python\nprint((3 + 5) * 4)\n```"): "code_block",
    good("so it is eight " * 20): "repetition",
    good("Add first.\n\n" + "x" * 900): "long_paragraph",
}


def completions(texts, finish="stop"):
    return [Completion(t, len(t) // 4 + 1, finish) for t in texts]


def run(rows, results, **settings):
    cur = Curator(rows, Settings(readability=Readability(max_paragraph_chars=800), **settings))
    cur.on_shard(0, results)
    cur.wait()
    return cur


def test_every_reason_once_and_counts_add_up():
    rows = [{"id": "a", "prompt": "(3+5)*4", "answer": "32"}]
    texts = list(PLANTED) + ["<think>\n3+5=8\n8*4=32"]
    comps = completions(texts)
    comps[-1] = Completion(texts[-1], 64, "length")
    cur = run(rows, [comps])
    kept = cur.finish()
    assert [s.reason for s in cur.samples[0]] == [*PLANTED.values(), "truncated"]
    counts = cur.counts()
    assert counts["generated"] == len(texts) == sum(counts[r] for r in REASONS)
    assert [s.response for s in kept] == [f"<think>\n{STEPS}\n</think>\n\n32"]
    assert kept[0].verified_by == "rule" and extract_answer(kept[0].response)[0] == "32"
    assert {s.reason for s in cur.rejected()} == set(PLANTED.values()) - {"kept"} | {"truncated"}


def test_verification_runs_off_the_generating_thread():
    seen = []

    class Watching(Curator):
        def verify(self, first, results):
            seen.append(threading.current_thread() is threading.main_thread())
            super().verify(first, results)

    cur = Watching([{"id": str(i), "prompt": f"{i}+0", "answer": str(i)} for i in range(4)], Settings())
    cur.on_shard(0, [completions([good("add 0", "0")]), completions([good("add 0", "1")])])
    cur.on_shard(2, [completions([good("add 0", "2")]), completions([good("add 0", "0")])])
    cur.wait()
    assert seen == [False, False]
    assert [s.reason for ss in cur.samples for s in ss] == [None, None, None, "wrong"]


def test_identical_prompts_share_dedupe_and_cap():
    rows = [{"id": "a", "prompt": "(1+1)*2", "answer": "4"}, {"id": "b", "prompt": "(1+1)*2", "answer": "4"}]
    variants = [good(f"1+1=2, 2*2=4 {'checked ' * k}", "4") for k in range(4)]
    cur = run(rows, [completions(variants[:2] + variants[:1]), completions(variants[2:])],
              max_per_prompt=2, select="shortest", near_duplicate_threshold=0)
    kept = cur.finish()
    assert [s.reason for ss in cur.samples for s in ss] == ["kept", "kept", "duplicate", "over_cap", "over_cap"]
    assert [(s.row, s.j) for s in kept] == [(0, 0), (0, 1)]


def test_reward_column_and_flag():
    """4*4-2 is 14 (accuracy) but uses 4 twice (countdown): the reward that checks a row decides."""
    row = {"id": "c", "prompt": "Use 2 3 4 to make 14", "answer": "14", "numbers": [2, 3, 4], "target": 14}
    texts = [good("3*4=12, 12+2=14", "3*4+2"), good("4*4=16, 16-2=14", "4*4-2")]
    assert [s.reason for s in run([row], [completions(texts)]).samples[0]] == [None, None]
    by_column = run([{**row, "reward": "countdown"}], [completions(texts)])
    assert [s.reason for s in by_column.samples[0]] == [None, "wrong"]
    by_flag = run([row], [completions(texts)], reward="countdown")
    assert [s.reason for s in by_flag.samples[0]] == [None, "wrong"]


def test_judge_hand_off():
    rows = [{"id": "q", "prompt": "Name an even prime.", "answer": ""},
            {"id": "r", "prompt": "(3+5)*4", "answer": "32"}]
    q = [good("2 is even and prime", "two"), good("2 again", "The number two"), good("4", "four")]
    r = [good("3+5=8, 8*4=32"), good("3+5=8, 8*4=31", "31")]
    without = run(rows, [completions(q), completions(r)])
    assert [s.reason for ss in without.samples for s in ss] == ["no_reference"] * 3 + [None, "wrong"]

    cur = run(rows, [completions(q), completions(r)], judge_when="unparsable")
    assert [(s.row, s.j) for s in cur.pending()] == [(0, 0), (0, 1), (0, 2)]  # rule verdicts stand for row r
    prompts = cur.judge_prompts()
    assert "Name an even prime." in prompts[0] and "two" in prompts[0] and "Reference answer" not in prompts[0]
    with pytest.raises(RuntimeError):
        cur.finish()
    cur.apply_verdicts([(True, "correct"), (None, "hmm"), (False, "incorrect")])
    kept = cur.finish()
    assert [s.reason for ss in cur.samples for s in ss] == ["kept", "judge_unparsable", "judged_wrong", "kept",
                                                            "wrong"]
    assert [s.verified_by for s in kept] == ["judge", "rule"]

    always = run(rows, [completions(q), completions(r)], judge_when="always")
    assert len(always.pending()) == 5  # the judge decides every finished sample
    assert "Reference answer:\n32" in always.judge_prompts()[3]


def test_reasoning_length_bounds_and_the_summary_hook():
    """Words stand in for tokens here: the bounds count whatever count_tokens counts."""
    rows = [{"id": "a", "prompt": "(3+5)*4", "answer": "32"}]
    texts = [good("3+5=8 8*4=32"), good("first 3+5=8 then 8*4=32 so"), good(" ".join(["add"] * 9) + " 32")]
    settings = Settings(min_reasoning_tokens=3, max_reasoning_tokens=8)
    cur = Curator(rows, settings, count_tokens=lambda t: len(t.split()),
                  summarize=lambda s: f"so {s.extracted}")
    cur.on_shard(0, [completions(texts)])
    cur.wait()
    kept = cur.finish()
    assert [s.reason for s in cur.samples[0]] == ["short_reasoning", "kept", "long_reasoning"]
    assert [s.response for s in kept] == ["<think>\nfirst 3+5=8 then 8*4=32 so\n</think>\n\nso 32"]
    with pytest.raises(ValueError, match="count_tokens"):
        Curator(rows, settings)


def test_a_summary_without_the_verified_answer_is_rejected():
    rows = [{"id": "a", "prompt": "(3+5)*4", "answer": "32"}]
    texts = [good("3+5=8, 8*4=32"), good("3+5=8 so 8*4=32"), good("8*4=32")]
    cur = Curator(rows, Settings(near_duplicate_threshold=0))
    cur.on_shard(0, [completions(texts)])
    cur.wait()
    assert [s.reasoning for s in cur.candidates()] == ["3+5=8, 8*4=32", "3+5=8 so 8*4=32", "8*4=32"]
    cur.apply_summaries(["Adding, then multiplying: \\boxed{32}", "So the answer is \\boxed{31}", None])
    kept = cur.finish()
    assert [s.reason for s in cur.samples[0]] == ["kept", "bad_summary", "bad_summary"]
    assert kept[0].response == "<think>\n3+5=8, 8*4=32\n</think>\n\nAdding, then multiplying: \\boxed{32}"


def test_code_rows_keep_only_programs_that_pass_every_test():
    """A code row needs no answer: its tests are its gold. A program passing 1 of 2 tests is failed_tests."""
    rows = [{"id": "echo", "prompt": "Print the line you read.",
             "tests": [{"input": "a\n", "output": "a\n"}, {"input": "b\n", "output": "b\n"}]}]

    def program(code: str) -> str:
        return f"<think>\nRead the line and print it back unchanged, {STEPS}\n</think>\n```python\n{code}\n```"

    texts = [program("print(input())"), program("print('a')"), "<think>\nno idea\n</think>\nsorry"]
    cur = run(rows, [completions(texts)])
    kept = cur.finish()
    assert [s.reason for s in cur.samples[0]] == ["kept", "failed_tests", "no_answer"]
    assert cur.counts()["failed_tests"] == 1 and len(kept) == 1 and "print(input())" in kept[0].response


def test_kept_as_sampled_an_instruct_reply_needs_no_think_block():
    """An ordinary instruct model's correct answer is kept with --layout sampled (it was "no_think"); the
    R1 layout still needs the think block it re-writes, and the readability filters still read the reply."""
    from r1cli.layout import split_sampled

    rows = [{"id": "a", "prompt": "(3+5)*4", "answer": "32"}]
    texts = ["First, 3 + 5 = 8. Then 8 * 4 = 32. The answer is 32.", "The answer is 31.",
             "3 + 5 = 8, 然后乘以四得到三十二所以答案是三十二. The answer is 32."]
    sampled = Curator(rows, Settings(), split=split_sampled)
    sampled.on_shard(0, [completions(texts)])
    sampled.wait()
    assert [s.text for s in sampled.finish()] == texts[:1]
    assert [s.reason for s in sampled.samples[0]] == ["kept", "wrong", "mixed_language"]
    r1 = run(rows, [completions(texts)])
    assert [s.reason for s in r1.samples[0]] == ["no_think", "wrong", "no_think"]
