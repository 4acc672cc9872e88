"""The generative judge: a model shown the question, the reference answer (when there is one) and a
candidate's final answer, asked for a verdict that is parsed strictly.

Only two replies count: a JSON object `{"verdict": "correct"}` / `{"verdict": "incorrect"}` (alone, or as
the last line), or a last line that is the verdict word itself ("correct", "Verdict: incorrect", bold
allowed). A reasoning judge may think first: what precedes its last `</think>` is ignored, and a think block
left open is no verdict. Anything else ("not correct", "probably correct", two verdicts on one line) is
unparsable, never correct: a sample is kept on a judge's word only when that word is unambiguous.

Graded with abstention (`r1 eval --judge`, SimpleQA's grading), the prompt offers a third verdict, "not
attempted" (the student gave no answer, or declined), parsed the same way; `parse_grade` reads all three, and
`parse_verdict` (the curation judge's two) leaves "not attempted" unparsable.

Judges run greedily through the generation core, any engine, in resumable shards of their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from r1cli.rewards.extract import THINK_CLOSE, THINK_OPEN

MAX_ANSWER_CHARS = 2000  # a summary longer than this is cut for the judge (it compares answers, not proofs)
SHARD_SIZE = 64

_INTRO = "You are grading the final answer a student gave to a problem."
_WITH_REFERENCE = ("The answer is correct when it states the same result as the reference answer, even written "
                   "another way (0.5 and 1/2, x = 3 and 3, 120 degrees and 120°). It is incorrect when the result "
                   "differs, is missing or incomplete, or when several different results are given. Do not solve "
                   "the problem again: compare the two answers.")
_WITHOUT_REFERENCE = ("There is no reference answer: decide whether the student's final answer correctly and "
                      "completely answers the problem. When you cannot tell, it is incorrect.")
_REPLY = ('Reply with one line of JSON and nothing else: {"verdict": "correct"} or {"verdict": "incorrect"}.')
_ABSTENTION = ("The answer is not attempted when the student gives no final answer or declines to give one (for "
               "example \"I don't know\"), without stating a wrong result.")
_REPLY_3 = ('Reply with one line of JSON and nothing else: {"verdict": "correct"}, {"verdict": "incorrect"} or '
            '{"verdict": "not attempted"}.')
GRADES = ("correct", "incorrect", "not attempted")

_WORD_LINE = re.compile(r"(?:final\s+)?(?:verdict|answer|grade)?\s*[:\-]?\s*(correct|incorrect|not attempted)\.?",
                        re.I)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def build_prompt(question: str, candidate: str, reference: str | None = None, *, abstention: bool = False) -> str:
    """The judge's prompt for one candidate answer; with `abstention`, "not attempted" is a verdict too."""
    answer = candidate.strip()
    if len(answer) > MAX_ANSWER_CHARS:
        answer = "..." + answer[-MAX_ANSWER_CHARS:]  # the final answer sits at the end
    parts = [_INTRO, f"Problem:\n{question.strip()}"]
    if reference is not None and str(reference).strip():
        parts += [f"Reference answer:\n{str(reference).strip()}", f"Student's final answer:\n{answer}",
                  _WITH_REFERENCE]
    else:
        parts += [f"Student's final answer:\n{answer}", _WITHOUT_REFERENCE]
    parts += [_ABSTENTION, _REPLY_3] if abstention else [_REPLY]
    return "\n\n".join(parts)


def parse_verdict(reply: str) -> bool | None:
    """True (correct), False (incorrect) or None (unparsable), as the module docstring defines."""
    return {"correct": True, "incorrect": False}.get(parse_grade(reply) or "")


def parse_grade(reply: str) -> str | None:
    """One of GRADES, or None (unparsable), as the module docstring defines."""
    text = reply
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        text = text[close + len(THINK_CLOSE):]
    elif THINK_OPEN in text:
        return None
    text = _FENCE.sub("", text.strip()).strip()
    if not text:
        return None
    whole = _json_verdict(text)
    if whole is not None:
        return whole
    last = text.splitlines()[-1].strip()
    as_json = _json_verdict(last)
    if as_json is not None:
        return as_json
    m = _WORD_LINE.fullmatch(last.replace("*", "").strip())
    return None if m is None else m.group(1).lower()


def _json_verdict(text: str) -> str | None:
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    value = obj.get("verdict") if isinstance(obj, dict) else None
    if not isinstance(value, str) or value.strip().lower() not in GRADES:
        return None
    return value.strip().lower()


def ask(engine, prompts: Sequence[str], *, max_new_tokens: int, shard_dir: Path | None = None,
        resume: bool = False) -> list[tuple[bool | None, str]]:
    """(verdict, raw reply) for each judge prompt, greedy, through the generation core's `engine`; the
    model's chat template is used when it has one."""
    return [({"correct": True, "incorrect": False}.get(g or ""), reply)
            for g, reply in grade(engine, prompts, max_new_tokens=max_new_tokens, shard_dir=shard_dir, resume=resume)]


def grade(engine, prompts: Sequence[str], *, max_new_tokens: int, shard_dir: Path | None = None,
          resume: bool = False) -> list[tuple[str | None, str]]:
    """(grade or None, raw reply) for each judge prompt, as `ask`; a reply cut at the token limit is no grade."""
    from r1cli.generation import Sampling, generate

    chat = bool(getattr(engine.tokenizer, "chat_template", None))
    sampling = Sampling(n=1, temperature=0.0, top_p=1.0, max_new_tokens=max_new_tokens, seed=0, chat_template=chat)
    outs = generate(engine, list(prompts), sampling, shard_dir=shard_dir, shard_size=SHARD_SIZE, resume=resume,
                    progress_desc="judging")
    return [(parse_grade(c[0].text) if c[0].finish_reason == "stop" else None, c[0].text) for c in outs]
