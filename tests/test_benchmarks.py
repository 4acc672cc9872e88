"""Named benchmarks: where their files are found under --data-dir, and their prompt hints."""

import pytest

from r1cli import benchmarks
from r1cli.errors import UserError


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".parquet"])
def test_a_data_dir_file_in_any_format(tmp_path, ext):
    (tmp_path / "gpqa-diamond").mkdir()
    (tmp_path / "gpqa-diamond" / f"test{ext}").write_text("")
    assert benchmarks.source("gpqa-diamond", data_dir=str(tmp_path)) == str(tmp_path / "gpqa-diamond" / f"test{ext}")


def test_a_missing_data_dir_file_names_the_formats(tmp_path):
    with pytest.raises(UserError, match=r"mmlu-pro/test.jsonl, or the same as .csv or .parquet"):
        benchmarks.source("mmlu-pro", data_dir=str(tmp_path))


def test_multiple_choice_benchmarks_use_their_own_prompt():
    assert {n for n, b in benchmarks.BENCHMARKS.items() if b.template == "choice"} == {"gpqa-diamond", "mmlu",
                                                                                        "mmlu-pro"}
    assert benchmarks.BENCHMARKS["gpqa-diamond"].hub.startswith("Idavidrein/gpqa?config=gpqa_diamond")
    assert benchmarks.template_hint("mmlu") == "choice" and benchmarks.template_hint("math500") == "math"


def test_simpleqa_is_its_published_csv_asked_as_it_is_and_judged(tmp_path):
    with pytest.raises(UserError, match=r"simpleqa/test.csv, or the same as .jsonl or .parquet"):
        benchmarks.source("simpleqa", data_dir=str(tmp_path))
    (tmp_path / "simpleqa").mkdir()
    (tmp_path / "simpleqa" / "test.csv").write_text("metadata,problem,answer\n")
    assert benchmarks.source("simpleqa", data_dir=str(tmp_path)) == str(tmp_path / "simpleqa" / "test.csv")
    assert benchmarks.judged("simpleqa") and not benchmarks.judged("math500") and not benchmarks.judged("x.jsonl")
    assert benchmarks.own_prompt("simpleqa") and benchmarks.own_prompt("mmlu") and not benchmarks.own_prompt("aime24")
