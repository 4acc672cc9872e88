"""Every dataset source form, canonical columns, and the GSM8K / MATH answer extraction on real files."""

from __future__ import annotations

import json
import re

import pytest

from r1cli import data
from r1cli.errors import UserError

ROWS = [{"question": "1+1?", "answer": "so #### 2"}, {"question": "2+3?", "answer": "#### 1,005"}]


def _check(ds):
    assert ds["prompt"] == ["1+1?", "2+3?"]
    assert ds["answer"] == ["2", "1005"]
    assert ds["solution"][0] == "so"


def test_local_file_formats(tmp_path):
    import pandas as pd

    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    (tmp_path / "d.json").write_text(json.dumps(ROWS))
    pd.DataFrame(ROWS).to_parquet(tmp_path / "d.parquet")
    pd.DataFrame(ROWS).to_csv(tmp_path / "d.csv", index=False)
    for ext in ("jsonl", "json", "parquet", "csv"):
        _check(data.load(str(tmp_path / f"d.{ext}")))


def test_save_to_disk_folder_and_r1_output_folder(tmp_path):
    import datasets

    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "plain"))
    _check(data.load(str(tmp_path / "plain")))
    datasets.DatasetDict({"test": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(tmp_path / "dd"))
    _check(data.load(str(tmp_path / "dd") + "?split=test"))
    with pytest.raises(UserError, match="split 'nope'"):
        data.load(str(tmp_path / "dd") + "?split=nope")
    data.save(datasets.Dataset.from_list(ROWS), tmp_path / "run", jsonl=True)
    _check(data.load(str(tmp_path / "run")))
    assert len((tmp_path / "run" / "data.jsonl").read_text().splitlines()) == 2


def test_loading_a_published_folder_writes_nothing_into_it(tmp_path):
    import datasets

    from r1cli import mixing

    data.save(datasets.Dataset.from_list(ROWS), tmp_path / "run")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    _check(data.load(str(tmp_path / "run")))  # canonicalised through a map
    mixing.build([str(tmp_path / "run")], "plain", 0)  # formatted into SFT pairs through another
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


class _Unpickled:
    """Pickled, it calls os.mkdir(path) when unpickled: a folder that appears means something unpickled it."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        import os

        return os.mkdir, (self.path,)


def test_no_dataset_field_is_ever_unpickled(tmp_path):
    """Parquet and Arrow columns can ask for pickle: pyarrow's old `arrow.py_extension_type` unpickled its
    metadata on read (CVE-2023-47248). A parquet file asking for it and a save_to_disk folder holding pickled
    bytes load as plain data."""
    import pickle

    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    payload = pickle.dumps(_Unpickled(tmp_path / "unpickled"))
    asks = pa.field("blob", pa.binary(), metadata={b"ARROW:extension:name": b"arrow.py_extension_type",
                                                   b"ARROW:extension:metadata": payload})
    schema = pa.schema([pa.field("question", pa.string()), pa.field("answer", pa.string()), asks],
                       metadata={b"pandas": payload})
    pq.write_table(pa.table({"question": ["1+1?"], "answer": ["2"], "blob": [payload]}, schema=schema),
                   tmp_path / "d.parquet")
    datasets.Dataset.from_dict({"question": ["1+1?"], "answer": ["2"], "blob": [payload]}).save_to_disk(
        str(tmp_path / "saved"))
    for spec in (tmp_path / "d.parquet", tmp_path / "saved"):
        ds = data.load(str(spec))
        assert ds["prompt"] == ["1+1?"] and ds["blob"] == [payload]
    assert not (tmp_path / "unpickled").exists()


def test_column_mapping_limit_and_extra_columns(tmp_path):
    rows = [{"q": f"p{i}", "gold": i, "subject": "s"} for i in range(5)]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    ds = data.load(f"{tmp_path}/m.jsonl?prompt=q&answer=gold&limit=3")
    assert ds["prompt"] == ["p0", "p1", "p2"] and ds["answer"] == ["0", "1", "2"]
    assert ds["subject"] == ["s"] * 3 and ds["id"] == ["0", "1", "2"]


def test_builtin_tasks_are_deterministic_and_splits_disjoint():
    a = data.load("task:arith?n=300&seed=1")
    b = data.load("task:arith?n=300&seed=1")
    test = data.load("task:arith?n=300&seed=1&split=test")
    assert a["prompt"] == b["prompt"] and a["answer"] == b["answer"]
    assert not set(a["prompt"]) & set(test["prompt"])
    for row in a.select(range(50)):
        assert eval(row["prompt"]) == int(row["answer"])  # the gold is right
        assert row["solution"].splitlines()[-1].endswith("=" + row["answer"])
    cd = data.load("task:countdown?n=50&split=test")
    assert set(cd["reward"]) == {"countdown"}
    for row in cd:
        assert eval(row["response_answer"]) == row["target"] == int(row["answer"])
        assert sorted(map(int, row["response_answer"].replace("(", " ").replace(")", " ").replace("+", " ")
                          .replace("-", " ").replace("*", " ").split())) == sorted(row["numbers"])
    words = data.load("task:arith?n=20&style=word&steps=3")
    assert all("How many" in p for p in words["prompt"])


def test_slip_teacher_is_consistently_wrong_on_a_fraction():
    ds = data.load("task:arith?n=400&slip=0.6&seed=3")
    slipped = [r for r in ds if r["response_answer"] != r["answer"]]
    assert 0.1 < len(slipped) / len(ds) < 0.6  # slips show only where precedence matters
    for r in slipped:
        assert r["solution"].splitlines()[-1].endswith("=" + r["response_answer"])



def test_bare_teacher_answers_a_fraction_without_steps_and_rightly():
    ds = data.load("task:arith?n=1000&bare=0.4&paren=0.5&seed=3")
    bare = [r for r in ds if not r["solution"]]
    assert 0.35 < len(bare) / len(ds) < 0.45
    assert all(eval(r["prompt"]) == int(r["answer"]) == int(r["response_answer"]) for r in ds)
    worked = [r for r in ds if r["solution"]]
    assert all(r["solution"].splitlines()[-1].endswith("=" + r["answer"]) for r in worked)
    assert not any(not r["solution"] for r in data.load("task:arith?n=300&paren=0.5&seed=3"))


@pytest.mark.parametrize("spec,match", [
    ("task:nosuch", "unknown task"), ("task:arith?bogus=1", "unknown key"), ("task:arith?n=x", "expects a whole number"),
    ("missing/file.jsonl", "not found"), ("./nowhere", "not found"),
    ("task:arith?style=word&bare=0.5", "'bare'"), ("task:arith?bare=1.5", "at most 1"),
])
def test_bad_specs(spec, match):
    with pytest.raises(UserError, match=match):
        data.load(spec)


def test_hub_name_without_network_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match="hub"):
        data.load("some-org/some-dataset-r1cli-test?split=test")


def test_missing_columns_and_empty(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "x"}) + "\n")
    with pytest.raises(UserError, match="no prompt column"):
        data.load(str(tmp_path / "a.jsonl"))
    (tmp_path / "b.jsonl").write_text("")
    with pytest.raises(UserError, match="empty"):
        data.load(str(tmp_path / "b.jsonl"))


def test_gsm8k_every_row_has_an_answer(shared_data):
    ds = data.load(str(shared_data / "gsm8k" / "test.jsonl"))
    assert len(ds) == 1319
    assert all(a and "####" not in a and "," not in a for a in ds["answer"])
    assert all("####" not in s for s in ds["solution"])
    assert ds[0]["answer"] == "18"


def test_math500_every_row_has_an_answer_matching_its_boxed_solution(shared_data):
    ds = data.load(str(shared_data / "math500" / "test.jsonl"))
    assert len(ds) == 500 and all(ds["answer"])
    # Without the answer column the gold comes from the last \boxed{} of the solution.
    derived = data.load(str(shared_data / "math500" / "test.jsonl"), canonical=False).remove_columns(["answer"])
    derived = data.canonicalize(derived)
    assert all(derived["answer"])
    same = sum(a.replace(" ", "") == b.replace(" ", "") for a, b in zip(ds["answer"], derived["answer"], strict=True))
    assert same / len(ds) > 0.9


def test_math_answer_is_the_last_boxed_nested_or_bare():
    assert data.derive_answer(None, r"x \boxed{\frac{1}{2}} then \boxed{3\sqrt{13}}") == (r"3\sqrt{13}", None)
    assert data.derive_answer(None, r"so \boxed 5") == ("5", None)
    assert data.derive_answer(None, "none") == ("", None)


# ------------------------------------------------------------------------------------------ SFT pairs


def test_pairs_schema_from_columns():
    assert data.pairs_schema(["messages", "id"]) == "messages"
    assert data.pairs_schema(["prompt", "completion"]) == "prompt-completion"
    assert data.pairs_schema(["prompt", "answer"]) == "canonical"


def test_task_rows_train_on_the_teachers_answer_including_slips():
    spec = "task:arith?n=300&slip=0.5"
    ds, schema = data.load_pairs(spec)
    assert schema == "canonical" and not data.is_chat(ds, schema)
    pairs = data.to_pairs(ds, schema, "plain", conversational=False, spec=spec)
    gold = data.load(spec, canonical=False)
    slipped = [(r, g) for r, g in zip(pairs, gold, strict=True) if g["response_answer"] != g["answer"]]
    assert slipped, "expected slip rows"
    row, g = slipped[0]
    assert row["prompt"] == g["prompt"]
    assert row["completion"].endswith(f"<answer>{g['response_answer']}</answer>")
    assert g["solution"] in row["completion"]


def test_bare_rows_train_on_an_empty_think_and_the_answer():
    spec = "task:arith?n=200&bare=0.5"
    ds, schema = data.load_pairs(spec)
    pairs = data.to_pairs(ds, schema, "plain", conversational=False, spec=spec)
    gold = data.load(spec, canonical=False)
    bare = [(r, g) for r, g in zip(pairs, gold, strict=True) if not g["solution"]]
    assert bare, "expected bare rows"
    for row, g in bare:
        think = row["completion"].split("<think>", 1)[1].split("</think>", 1)[0]
        assert not think.strip()
        assert row["completion"].endswith(f"<answer>{g['answer']}</answer>")


def test_canonical_rows_without_solutions_cannot_be_trained_on(tmp_path):
    (tmp_path / "q.jsonl").write_text(json.dumps({"question": "1+1?", "answer": "2"}) + "\n")
    with pytest.raises(UserError, match="solution"):
        data.load_pairs(str(tmp_path / "q.jsonl"))


def test_importing_the_data_core_registers_no_reward():
    import subprocess
    import sys

    code = ("import sys, r1cli.data; from r1cli.rewards import registry; "
            "print(len(registry.REGISTRY), 'r1cli.rewards.extract' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "True"]  # the extractor is there; a reward module would have registered its rewards


# SVAMP's shape: the question is split over Body and Question, and columns are capitalised.
SVAMP_ROWS = [
    {"ID": "chal-1", "Body": "Ann has 3 pens. She buys 4 more.", "Question": "How many pens now?", "Answer": 7.0},
    {"ID": "chal-2", "Body": "Ben had 9 {odd} cards.", "Question": "He gave 2 away. How many left?", "Answer": 7.5},
]


@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
def test_prompt_template_over_columns_on_real_files(tmp_path, ext):
    import pandas as pd

    frame = pd.DataFrame(SVAMP_ROWS)
    path = tmp_path / f"svamp.{ext}"
    {"jsonl": lambda: frame.to_json(path, orient="records", lines=True),
     "csv": lambda: frame.to_csv(path, index=False), "parquet": lambda: frame.to_parquet(path)}[ext]()
    ds = data.load(f"{path}?prompt={{Body}} {{question}}")  # 'question' finds Question; Answer and ID by any case
    assert ds["prompt"] == [f"{r['Body']} {r['Question']}" for r in SVAMP_ROWS]  # braces in values stay as they are
    assert ds["answer"] == ["7", "7.5"] and ds["id"] == [r["ID"] for r in SVAMP_ROWS]
    assert "Body" not in ds.column_names and "Question" not in ds.column_names  # consumed like a plain column
    formatted = data.load(f"{path}?prompt=Q: {{QUESTION!r}} {{{{literal}}}}&answer={{Answer:.0f}}&id=body")
    assert formatted["prompt"][0] == f"Q: {SVAMP_ROWS[0]['Question']!r} {{literal}}"
    assert formatted["answer"] == [format(r["Answer"], ".0f") for r in SVAMP_ROWS]
    assert formatted["id"] == [r["Body"] for r in SVAMP_ROWS]
    plus = data.load(f"{path}?prompt={{Body}}+{{Question}}")  # a typed spec: '+' is a plus, not a URL space
    assert plus["prompt"][0] == f"{SVAMP_ROWS[0]['Body']}+{SVAMP_ROWS[0]['Question']}"
    plain = data.load(f"{path}?prompt=body")
    assert plain["prompt"] == [r["Body"] for r in SVAMP_ROWS] and plain["Question"] == [r["Question"] for r in SVAMP_ROWS]


def test_column_names_exact_match_wins_and_ambiguity_is_an_error(tmp_path):
    (tmp_path / "t.jsonl").write_text(json.dumps({"question": "low", "Question": "up", "ANSWER": 1, "Answer": 2}))
    ds = data.load(f"{tmp_path}/t.jsonl?answer=Answer")
    assert ds["prompt"] == ["low"] and ds["answer"] == ["2"]
    with pytest.raises(UserError, match="ambiguous") as err:
        data.load(f"{tmp_path}/t.jsonl")  # no exact 'answer': two columns match it ignoring case
    assert "ANSWER" in str(err.value) and "Answer" in str(err.value)
    with pytest.raises(UserError, match="column 'Nope' \\(key 'prompt'\\)"):
        data.load(f"{tmp_path}/t.jsonl?prompt={{question}}: {{Nope}}&answer=Answer")


def test_local_files_have_only_the_train_split(tmp_path):
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    _check(data.load(f"{tmp_path}/a.jsonl?split=train"))
    with pytest.raises(UserError, match="split 'test'"):
        data.load(f"{tmp_path}/a.jsonl", split="test")
    with pytest.raises(UserError, match="split 'test'"):  # the flag overrides the spec, as --split says
        data.load(f"{tmp_path}/a.jsonl?split=train", split="test")


def test_the_documented_task_example_loads_and_an_unreachable_n_names_the_keys():
    from r1cli.stages import data as data_stage

    example = re.search(r"'(task:[^']+)'", data_stage.EXAMPLE).group(1)
    ds = data.load(example)
    assert len(ds) == int(re.search(r"n=(\d+)", example).group(1)) and len(set(ds["prompt"])) == len(ds)
    with pytest.raises(UserError, match="key 'n'.*max or steps"):
        data.load("task:arith?n=2000&split=test")


def test_task_capacity_is_an_upper_bound_on_distinct_problems():
    from r1cli import tasks
    from r1cli.tasks import arith, countdown  # noqa: F401  (registers the tasks)
    for name, raw in (("arith", {"steps": "1", "max": "3"}), ("countdown", {"count": "2", "max": "3"})):
        params = tasks.parse_params(name, raw)
        bound = tasks.TASKS[name].capacity(**{k: params[k] for k in tasks.TASKS[name].params})
        found = 0
        for split in ("train", "test"):
            with pytest.raises(UserError, match=r"only about ([\d,]+) distinct") as err:
                tasks.rows(name, {**raw, "split": split, "n": str(bound)})
            found += int(re.search(r"only about ([\d,]+)", str(err.value)).group(1).replace(",", ""))
        assert 0 < found <= bound


def test_general_prompts_without_answers_load_when_answers_are_not_required(tmp_path):
    prompts = tmp_path / "general.jsonl"
    prompts.write_text('{"prompt": "Write a haiku."}\n{"prompt": "Say hello."}\n')
    with pytest.raises(UserError, match="no answer column"):
        data.load(str(prompts))
    ds = data.load(str(prompts), require_answer=False)
    assert list(ds["prompt"]) == ["Write a haiku.", "Say hello."] and list(ds["answer"]) == ["", ""]


OK_JSONL = '{"Body": "Ann has 3 pens.", "Question": "How many?", "Answer": 3.0}\n'


def test_a_good_template_spec_runs_through_the_cli(tmp_path):
    import subprocess
    import sys

    (tmp_path / "svamp.jsonl").write_text(OK_JSONL)
    spec = f"{tmp_path}/svamp.jsonl?prompt={{Body}} {{question}}"
    res = subprocess.run([sys.executable, "-m", "r1cli", "data", "-d", spec, "-o", str(tmp_path / "out"), "--jsonl"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    row = json.loads((tmp_path / "out" / "data.jsonl").read_text())
    src = json.loads(OK_JSONL)
    assert row["prompt"] == f"{src['Body']} {src['Question']}"
    assert row["answer"] == str(int(src["Answer"]))


def test_chat_prefix_turns_every_prompt_into_the_same_chat(tmp_path, tiny_model):
    """r1 data --chat-prefix: each prompt becomes the last user turn after the file's turns (a chat prompt's own
    system turn stays first), and the model's chat template renders the exchange in that order."""
    from transformers import AutoTokenizer

    from r1cli.stages.data import Config, run

    prefix = tmp_path / "prefix.jsonl"
    turns = [{"role": "system", "content": "Answer in tags."}, {"role": "user", "content": "1+1?"},
             {"role": "assistant", "content": "<answer> 2 </answer>"}]
    prefix.write_text("".join(json.dumps(t) + "\n" for t in turns))
    metrics = run(Config(dataset="task:arith?style=word&steps=1&n=3", output=str(tmp_path / "out"),
                         chat_prefix=str(prefix)))
    rows = data.load(str(tmp_path / "out"))
    plain = data.load("task:arith?style=word&steps=1&n=3")
    assert metrics["rows"] == 3 and rows["answer"] == plain["answer"]
    for mine, problem in zip(rows["prompt"], plain["prompt"], strict=True):
        assert mine == [*turns, {"role": "user", "content": problem}]
    text = AutoTokenizer.from_pretrained(tiny_model).apply_chat_template(rows[0]["prompt"], tokenize=False)
    assert text.index("Answer in tags.") < text.index("<answer> 2 </answer>") < text.index(plain[0]["prompt"])
    manifest = json.loads((tmp_path / "out" / "r1_manifest.json").read_text())
    assert [i["kind"] for i in manifest["inputs"]] == ["dataset", "chat_prefix"]

    from r1cli.stages.data import prefixed

    own = [{"role": "system", "content": "mine"}, {"role": "user", "content": "q"}]
    assert prefixed(own, turns[1:]) == [own[0], *turns[1:], own[1]]
    with pytest.raises(UserError, match="system turn"):
        prefixed(own, turns)
