"""Dataset specs that are wrong, through the real `r1 data` in a subprocess: exit 2, one `error:` line naming
the key, line or file to fix, no traceback, nothing written. Add a case as a row of CASES."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Files the cases read; written fresh in each test's folder.
FILES = {
    "ok.jsonl": '{"Body": "Ann has 3 pens.", "Question": "How many?", "Answer": 3.0}\n',
    "bad.jsonl": '{"question": "a", "answer": "1"}\n{"question": "b", "answer": "2"}\n{"question": "c", answer: 3}\n',
    "text.json": "these are notes, not JSON\n",
    "bad.csv": 'question,answer\n"1+1",2\n"2+2",4,extra\n',
    "quote.csv": 'question,answer\n"1+1,2\n',
    "latin1.jsonl": b'{"question": "caf\xe9", "answer": "1"}\n',
    "bad.parquet": b"PAR1 not really parquet",
    "twocase.jsonl": '{"Question": "a", "QUESTION": "b", "answer": "1"}\n',
}

# (case id, arguments after `r1 data` with IN/ for the input folder, words the error line must contain)
CASES = [
    ("jsonl-bad-line", ["-d", "IN/bad.jsonl"], ["bad.jsonl", "line 3"]),
    ("json-not-json", ["-d", "IN/text.json"], ["text.json", "line 1", "not valid JSON"]),
    ("csv-extra-field", ["-d", "IN/bad.csv"], ["bad.csv", "line 3", "fields"]),
    ("csv-open-quote", ["-d", "IN/quote.csv"], ["quote.csv", "line"]),
    ("not-utf8", ["-d", "IN/latin1.jsonl"], ["latin1.jsonl", "line 1", "UTF-8"]),
    ("parquet-garbage", ["-d", "IN/bad.parquet"], ["bad.parquet", "Parquet"]),
    ("split-key-on-file", ["-d", "IN/ok.jsonl?split=bogus"], ["split 'bogus'", "train"]),
    ("split-flag-on-file", ["-d", "IN/ok.jsonl", "--split", "test"], ["split 'test'", "--split"]),
    ("limit-key-zero", ["-d", "IN/ok.jsonl?limit=0"], ["'limit'", ">= 1"]),
    ("limit-key-negative", ["-d", "IN/ok.jsonl?limit=-1"], ["'limit'", ">= 1"]),
    ("limit-flag-zero", ["-d", "IN/ok.jsonl", "--limit", "0"], ["--limit", "at least 1"]),
    ("limit-flag-negative", ["-d", "IN/ok.jsonl", "--limit", "-1"], ["--limit", "at least 1"]),
    ("task-n-caret", ["-d", "task:arith?n=10^23"], ["key 'n'", "whole number"]),
    ("task-n-huge", ["-d", "task:arith?n=1e30"], ["key 'n'", "at most", "memory"]),
    ("task-n-unreachable", ["-d", "task:arith?n=2000&split=test"], ["key 'n'", "test problems", "max or steps"]),
    ("task-n-over-capacity", ["-d", "task:arith?n=5000&max=3"], ["key 'n'", "at most", "max=3"]),
    ("task-float-type", ["-d", "task:arith?slip=lots"], ["key 'slip'", "number"]),
    ("task-float-range", ["-d", "task:arith?slip=2"], ["key 'slip'", "at most 1"]),
    ("task-size-bound", ["-d", "task:countdown?count=100000"], ["key 'count'", "at most"]),
    ("task-split", ["-d", "task:arith?split=bogus"], ["key 'split'", "train or test"]),
    ("template-missing-column", ["-d", "IN/ok.jsonl?prompt={Body} {Qestion}"],
     ["column 'Qestion'", "key 'prompt'", "Body, Question"]),
    ("template-unclosed", ["-d", "IN/ok.jsonl?prompt={Body"], ["key 'prompt'", "malformed"]),
    ("column-ambiguous", ["-d", "IN/twocase.jsonl?prompt=question"], ["ambiguous", "Question", "QUESTION"]),
    ("column-missing", ["-d", "IN/ok.jsonl?answer=gold"], ["column 'gold'", "key 'answer'", "Answer"]),
]


def _r1(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "r1cli", "data", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_dataset_spec_is_one_line_naming_the_fix(tmp_path, args, words):
    inputs, work = tmp_path / "in", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    for name, content in FILES.items():
        (inputs / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    argv = [a.replace("IN/", f"{inputs}/") for a in args] + ["--output", str(work / "out")]
    res = _r1(argv, tmp_path)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2, res.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert list(work.iterdir()) == []  # nothing written, not even a .partial folder
    assert sorted(p.name for p in inputs.iterdir()) == sorted(FILES)  # inputs untouched


def test_a_good_template_spec_runs_through_the_cli(tmp_path):
    (tmp_path / "svamp.jsonl").write_text(FILES["ok.jsonl"])
    res = _r1(["-d", f"{tmp_path}/svamp.jsonl?prompt={{Body}} {{question}}", "-o", str(tmp_path / "out"),
               "--jsonl"], tmp_path)
    assert res.returncode == 0, res.stderr
    row = json.loads((tmp_path / "out" / "data.jsonl").read_text())
    src = json.loads(FILES["ok.jsonl"])
    assert row["prompt"] == f"{src['Body']} {src['Question']}"
    assert row["answer"] == str(int(src["Answer"]))
