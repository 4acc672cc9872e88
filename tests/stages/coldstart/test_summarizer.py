"""The summarizer's prompts: one per verified candidate of a Curator, the question and that candidate's
reasoning after the instruction."""

from __future__ import annotations

from r1cli.curation import Curator, Settings
from r1cli.generation import Completion
from r1cli.stages.coldstart.summarizer import INSTRUCTION, build_prompt, prompts


def test_one_prompt_per_verified_candidate_with_its_reasoning():
    rows = [{"id": "a", "prompt": "(3+5)*4", "answer": "32"}]
    reasonings = ("3+5=8, 8*4=32", "3+5=8 so 8*4=32", "8*4=31")
    answers = ("32", "32", "31")  # the last is wrong: no candidate, so no summary asked for
    texts = [f"<think>\n{r}\n</think>\n<answer>{a}</answer>" for r, a in zip(reasonings, answers, strict=True)]
    cur = Curator(rows, Settings(near_duplicate_threshold=0))
    cur.on_shard(0, [[Completion(t, len(t) // 4 + 1, "stop") for t in texts]])
    cur.wait()
    out = prompts(cur)
    assert out == [build_prompt("(3+5)*4", r) for r in reasonings[:2]]
    assert out[0].startswith(INSTRUCTION) and "Reasoning:\n3+5=8, 8*4=32" in out[0]
