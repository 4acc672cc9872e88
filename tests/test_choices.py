"""Multiple-choice benchmark rows from project-made rows in each hub's own schema: GPQA's shuffle, MMLU's index,
MMLU-Pro's ten options, the prompt."""

import pytest

from r1cli import choices
from r1cli.errors import UserError
from r1cli.rewards.choice import choice_letter


def gpqa_rows(n):
    return [{"Record ID": f"rec{i}", "Question": f"Which value is right for item {i}?",
             "Correct Answer": f"right {i}", "Incorrect Answer 1": f"wrong {i}a", "Incorrect Answer 2": f"wrong {i}b",
             "Incorrect Answer 3": f"wrong {i}c", "High-level domain": "Physics"} for i in range(n)]


def test_gpqa_shuffle_is_reproducible_and_spreads_the_gold_evenly():
    rows = choices.gpqa(gpqa_rows(40), seed=3)
    assert rows == choices.gpqa(gpqa_rows(40), seed=3)  # one seed, identical prompts
    assert [r["prompt"] for r in rows] != [r["prompt"] for r in choices.gpqa(gpqa_rows(40), seed=4)]
    assert sorted(r["answer"] for r in rows) == sorted("ABCD" * 10)  # each letter 10 times of 40
    for i, r in enumerate(rows):
        assert r["id"] == f"rec{i}" and r["choices"]["ABCD".index(r["answer"])] == f"right {i}"
        assert sorted(r["choices"]) == sorted([f"right {i}", f"wrong {i}a", f"wrong {i}b", f"wrong {i}c"])
        assert f"\n{r['answer']}) right {i}" in r["prompt"]
    assert choices.gpqa(gpqa_rows(5), seed=3) == rows[:5]  # --limit asks the same first questions


def test_mmlu_index_becomes_a_letter():
    rows = choices.mmlu([{"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1, "subject": "math"}], 0)
    assert rows[0]["answer"] == "B" and rows[0]["category"] == "math"
    assert rows[0]["prompt"].endswith("2+2?\n\nA) 3\nB) 4\nC) 5\nD) 6")
    assert "'Answer: LETTER'" in rows[0]["prompt"] and "one of ABCD." in rows[0]["prompt"]
    with pytest.raises(UserError, match="answer index 4 outside its 4 choices"):
        choices.mmlu([{"question": "q", "choices": ["a", "b", "c", "d"], "answer": 4}], 0)


def test_mmlu_pro_takes_ten_options():
    options = [f"o{i}" for i in range(10)]
    rows = choices.mmlu_pro([{"question_id": 7, "question": "q", "options": options, "answer": "J",
                              "category": "law"}], 0)
    assert rows[0]["id"] == "7" and rows[0]["answer"] == "J" and "\nJ) o9" in rows[0]["prompt"]
    assert "one of ABCDEFGHIJ." in rows[0]["prompt"]
    with pytest.raises(UserError, match="one of the letters ABCD"):
        choices.mmlu_pro([{"question": "q", "options": ["a", "b", "c", "d"], "answer": "E"}], 0)


def test_rows_in_another_schema_say_which_columns_are_missing():
    with pytest.raises(UserError, match="gpqa rows need the column.* Correct Answer"):
        choices.gpqa([{"Question": "q"}], 0)


def test_the_prompt_asks_for_the_form_the_verifier_reads():
    text = choices.prompt("q", ["x", "y"])
    assert "one of AB." in text and choice_letter("I reason.\nAnswer: B") == ("B", False)
