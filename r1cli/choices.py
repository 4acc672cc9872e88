"""Multiple-choice benchmarks: their hub rows turned into `r1 eval` rows (id, prompt, answer letter, choices).

Each loader reads the hub's own columns (the same in a --data-dir file):
  - gpqa: `Question`, `Correct Answer`, `Incorrect Answer 1..3` (and `Record ID`). The correct answer is
    always the first column, so the four answers are shuffled, reproducibly from `seed`: every block of four
    rows puts the gold under each letter once (in a seeded order), so the gold letter is spread evenly, and the
    wrong answers are shuffled around it;
  - mmlu: `question`, `choices` (four texts), `answer` (the gold's index), `subject`;
  - mmlu-pro: `question`, `options` (up to ten texts), `answer` (the gold letter), `question_id`, `category`.
The prompt is the usual one for multiple choice: an instruction to reason and end on a line "Answer: LETTER",
the question, then the options as "A) text" lines.
"""

from __future__ import annotations

import random
from typing import Any

from r1cli.errors import UserError
from r1cli.rewards.choice import LETTERS, option_texts

INSTRUCTION = ("Answer the following multiple-choice question. Think step by step, then write the last line of "
               "your response as 'Answer: LETTER' (without quotes), where LETTER is one of {letters}.")


def prompt(question: str, options: list[str]) -> str:
    """The multiple-choice prompt: instruction, question, lettered options."""
    letters = LETTERS[: len(options)]
    lines = "\n".join(f"{letter}) {str(text).strip()}" for letter, text in zip(letters, options, strict=False))
    return f"{INSTRUCTION.format(letters=letters)}\n\n{str(question).strip()}\n\n{lines}"


def _row(rid: Any, question: str, options: list[str], gold: int, **extra) -> dict[str, Any]:
    if not 2 <= len(options) <= len(LETTERS):
        raise UserError(f"row {rid}: {len(options)} options (multiple choice takes 2 to {len(LETTERS)})")
    return {"id": str(rid), "prompt": prompt(question, options), "answer": LETTERS[gold], "choices": options,
            **extra}


def _need(row: dict[str, Any], columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in row]
    if missing:
        raise UserError(f"{what} rows need the column(s) {', '.join(missing)} (the hub's own schema; "
                        f"found: {', '.join(sorted(row))})")


def gpqa(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    wrong_cols = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
    rng = random.Random(f"gpqa:{seed}")
    out, places = [], []
    for i, row in enumerate(rows):
        _need(row, ("Question", "Correct Answer", *wrong_cols), "gpqa")
        if not places:  # a fresh block of four rows: the gold under each letter once
            places = rng.sample(range(4), 4)
        gold = places.pop()
        wrong = [row[c] for c in wrong_cols]
        rng.shuffle(wrong)
        options = wrong[:gold] + [row["Correct Answer"]] + wrong[gold:]
        out.append(_row(row.get("Record ID") or i, row["Question"], [str(o) for o in options], gold,
                        category=row.get("High-level domain")))
    return out


def mmlu(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(rows):
        _need(row, ("question", "choices", "answer"), "mmlu")
        options = option_texts(row["choices"])
        try:
            gold = int(row["answer"])
        except (TypeError, ValueError):
            raise UserError(f"mmlu row {i}: 'answer' must be the gold option's index, got {row['answer']!r}") from None
        if not 0 <= gold < len(options):
            raise UserError(f"mmlu row {i}: answer index {gold} outside its {len(options)} choices")
        out.append(_row(i, row["question"], options, gold, category=row.get("subject")))
    return out


def mmlu_pro(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(rows):
        _need(row, ("question", "options", "answer"), "mmlu-pro")
        options = [o for o in option_texts(row["options"]) if o.strip() != "N/A"]  # padding in some rows
        letter = str(row["answer"]).strip().upper()
        if letter not in LETTERS[: len(options)] or not letter:
            raise UserError(f"mmlu-pro row {i}: 'answer' must be one of the letters {LETTERS[:len(options)]}, "
                            f"got {row['answer']!r}")
        out.append(_row(row.get("question_id", i), row["question"], options, LETTERS.index(letter),
                        category=row.get("category")))
    return out


LOADERS = {"gpqa": gpqa, "mmlu": mmlu, "mmlu-pro": mmlu_pro}
SHUFFLED = {"gpqa"}  # loaders whose option order depends on the seed (recorded in results.json)
