"""r1 coldstart end to end on the tiny model fine-tuned on arithmetic (the session's `sft_arith`), sampled in
zero mode with the plain template the checkpoint reads: every kept row is a text prompt/completion pair (the
form the checkpoint is asked in) in the exact readable layout, and
its boxed answer is right when the problem is evaluated here in Python; the counts add up; review.jsonl and
preview.html show every kept sample; the review round trip (one row edited, one rejected, one broken in its
answer, one in its layout) gives exactly the expected dataset; the output trains with r1 sft; bad review
files are one line, exit 2, naming the line."""

from __future__ import annotations

import html
import json
import re

import pytest
from typer.testing import CliRunner

from r1cli import config, data
from r1cli.cli import app
from r1cli.curation import REASONS
from r1cli.errors import UserError
from r1cli.stages import coldstart as cs
from r1cli.stages.coldstart import review

LAYOUT = re.compile(r"<think>\n(.+)\n</think>\n\nThe final answer is \$\\boxed\{(-?\d+)\}\$\.", re.S)


def make_cfg(**overrides) -> cs.Config:
    base = dict(mode="zero", template="plain", num_samples=4, temperature=0.7, top_p=1.0, max_completion_length=48,
                engine="hf", shard_size=4)
    return config.resolve(cs.Config, {}, {**base, **overrides})


def review_cfg(**options) -> cs.Config:
    """--from-review samples nothing: the sampling options are not given (they would be refused)."""
    return config.resolve(cs.Config, {}, options)


@pytest.fixture(scope="module")
def built(tmp_path_factory, sft_arith):
    """16 problems of the checkpoint's training set (it is right on many of them), 4 samples each."""
    tmp = tmp_path_factory.mktemp("cs")
    rows = [{"id": r["id"], "prompt": r["prompt"], "answer": r["answer"]}
            for r in data.load("task:arith?n=16&max=5&seed=0")]
    data.write_jsonl(rows, tmp / "prompts.jsonl")
    out = tmp / "out"
    stats = cs.run(make_cfg(model=str(sft_arith.path), dataset=str(tmp / "prompts.jsonl"), output=str(out),
                            temperature=0.3))
    return out, stats, rows


def test_default_template_on_a_task_is_plain(tiny_model, tmp_path):
    """--template auto (the default) on a built-in task: plain, whatever the model, recorded in the manifest."""
    cfg = config.resolve(cs.Config, {}, dict(model=tiny_model, dataset="task:arith?n=3", output=str(tmp_path / "cs"),
                                             num_samples=1, max_completion_length=4, engine="hf"))
    assert cfg.template == "auto"
    cs.run(cfg)
    assert json.loads((tmp_path / "cs" / "r1_manifest.json").read_text())["options"]["template"] == "plain"


def test_every_kept_row_is_in_the_layout_and_right(built):
    out, stats, _ = built
    ds = data.load_pairs(str(out))[0]
    assert len(ds) == stats["counts"]["kept"] >= 4
    assert "messages" not in ds.column_names
    for r in ds:
        m = LAYOUT.fullmatch(r["completion"])
        assert m, r["completion"]
        assert "<think>" not in m.group(1) and "</think>" not in m.group(1)
        assert int(m.group(2)) == eval(r["prompt"]) == int(r["answer"])  # noqa: S307 - our own arithmetic problems
        assert r["mode"] == "zero" and r["verified_by"] == "rule"


def test_counts_add_up_and_are_written(built):
    out, stats, rows = built
    counts = stats["counts"]
    assert list(counts) == ["generated", *REASONS]
    assert counts["generated"] == sum(counts[r] for r in REASONS) == len(rows) * 4
    assert json.loads((out / "stats.json").read_text()) == stats
    assert json.loads((out / "r1_manifest.json").read_text())["metrics"] == stats
    assert len(data.read_jsonl(out / "rejected.jsonl")) == counts["generated"] - counts["kept"]
    options = json.loads((out / "r1_manifest.json").read_text())["options"]
    assert options["mode"] == "zero" and options["summary"] == "answer" and "max_repetition" in options


def test_review_file_and_preview_show_every_kept_sample(built):
    out, stats, _ = built
    ds = data.load_pairs(str(out))[0]
    rows = data.read_jsonl(out / "review.jsonl")
    assert stats["review_rows"] == len(rows) == len(ds)
    for row, r in zip(rows, ds, strict=True):
        assert row["id"] == r["id"] and row["accept"] is True and row["review_id"] == stats["review_id"]
        assert row["format"] == "text"
        assert r["completion"] == f"<think>\n{row['reasoning']}\n</think>\n\n{row['summary']}"
    page = (out / "preview.html").read_text()
    assert "<script" not in page and "http" not in page
    for row in rows:
        assert f'<tr id="{row["id"]}">' in page and html.escape(row["reasoning"]) in page


def _edited(out, tmp_path):
    """The review file with row 0 edited, row 1 rejected, row 2's answer broken, row 3's layout broken."""
    rows = data.read_jsonl(out / "review.jsonl")
    rows[0]["reasoning"] += "\nWait, let me check that again: yes, it holds."
    rows[1]["accept"] = False
    wrong = int(rows[2]["answer"]) + 1
    rows[2]["summary"] = f"The final answer is $\\boxed{{{wrong}}}$."
    rows[3]["summary"] = "</think> " + rows[3]["summary"]
    path = tmp_path / "review.jsonl"
    data.write_jsonl(rows, path)
    return rows, path


def test_review_round_trip_is_exact(built, tmp_path):
    out, _, _ = built
    rows, path = _edited(out, tmp_path)
    stats = cs.run(review_cfg(from_review=str(path), output=str(tmp_path / "final")))
    ds = data.load_pairs(str(tmp_path / "final"))[0]
    expected = [rows[0], *rows[4:]]
    assert [r["id"] for r in ds] == [r["id"] for r in expected]
    for r, want in zip(ds, expected, strict=True):
        assert r["prompt"] == want["prompt"] and r["completion"] == f"<think>\n{want['reasoning'].strip()}\n</think>\n\n{want['summary']}"
    counts = stats["counts"]
    assert (counts["not_accepted"], counts["wrong"], counts["bad_layout"], counts["kept"]) == (1, 1, 1, len(rows) - 3)
    assert sum(counts.values()) == stats["reviewed"] == len(rows)


def test_review_rows_of_a_chat_run_come_back_as_chat_turns(built, tmp_path):
    rows = [{**r, "format": "chat"} for r in data.read_jsonl(built[0] / "review.jsonl")]
    data.write_jsonl(rows, tmp_path / "review.jsonl")
    cs.run(review_cfg(from_review=str(tmp_path / "review.jsonl"), output=str(tmp_path / "final")))
    ds = data.load_pairs(str(tmp_path / "final"))[0]
    assert len(ds) == len(rows) and "completion" not in ds.column_names
    for r, want in zip(ds, rows, strict=True):
        assert r["messages"] == [{"role": "user", "content": want["prompt"]}, {
            "role": "assistant", "content": f"<think>\n{want['reasoning']}\n</think>\n\n{want['summary']}"}]


def test_a_chat_rows_earlier_turns_survive_the_review(tmp_path):
    """A run on chat prompts with a system turn and a worked exchange (r1 data --chat-prefix) writes those turns
    into review.jsonl, and --from-review gives back the same chat, not the user turns merged into one."""
    from r1cli.stages.coldstart import review

    turns = [{"role": "system", "content": "Think, then answer."}, {"role": "user", "content": "What is 1+1?"},
             {"role": "assistant", "content": "<think> 1+1=2 </think> <answer> 2 </answer>"},
             {"role": "user", "content": "What is 2+3?"}]
    reply = "<think>\n2+3=5, and 5-3=2 checks it.\n</think>\n\nThe final answer is $\\boxed{5}$."
    ds = [{"messages": [*turns, {"role": "assistant", "content": reply}], "prompt": "What is 1+1?\nWhat is 2+3?",
           "answer": "5", "id": "q-0", "mode": "zero", "verified_by": "rule"}]
    review.write(tmp_path, ds, [{"id": "q-0", "prompt": turns, "answer": "5"}], "run-1", make_cfg())
    assert data.read_jsonl(tmp_path / "review.jsonl")[0]["turns"] == turns
    cs.run(review_cfg(from_review=str(tmp_path / "review.jsonl"), output=str(tmp_path / "final")))
    (row,) = data.load_pairs(str(tmp_path / "final"))[0]
    assert row["messages"] == [*turns, {"role": "assistant", "content": reply}]


def test_output_trains_with_sft(built, sft_arith, tmp_path):
    from r1cli.stages import sft

    metrics = sft.run(config.resolve(sft.Config, {}, dict(
        model=str(sft_arith.path), dataset=[str(built[0])], output=str(tmp_path / "sft"), template="plain", max_steps=3,
        per_device_train_batch_size=4, learning_rate=1e-3, save_steps=0)))
    assert metrics["steps"] == 3 and metrics["format"] == "text" and metrics["stop_token_trained"]


def test_keep_summary_is_the_models_own_answer(sft_arith, tmp_path):
    rows = [dict(r) for r in data.load("task:arith?n=6&max=5&seed=0")]
    data.write_jsonl(rows, tmp_path / "p.jsonl")
    stats = cs.run(make_cfg(model=str(sft_arith.path), dataset=str(tmp_path / "p.jsonl"), output=str(tmp_path / "o"),
                            summary="keep", num_samples=2, temperature=0.3))
    ds = data.load_pairs(str(tmp_path / "o"))[0]
    assert len(ds) == stats["counts"]["kept"] > 0
    for r in ds:
        m = re.fullmatch(r"<think>\n(.+)\n</think>\n\n(-?\d+)", r["completion"], re.S)
        assert m and int(m.group(2)) == eval(r["prompt"])  # noqa: S307


@pytest.mark.parametrize("change, message", [
    (lambda lines: lines.insert(1, "{not json"), "line 2 is not JSON"),
    (lambda lines: lines.__setitem__(2, lines[2].replace('"accept": true', '"accept": "yes"')),
     "line 3: 'accept' must be true or false"),
    (lambda lines: lines.__setitem__(1, lines[1].replace('"review_id": "', '"review_id": "x')),
     "line 2 is from another run"),
    (lambda lines: lines.__setitem__(0, lines[0].replace('"format": "text"', '"format": "xml"')),
     "line 1: 'format' must be one of chat, text"),
    (lambda lines: lines.__setitem__(3, lines[3].replace('"format": "text"', '"format": "chat"')),
     "line 4: 'format' differs from line 1's"),
    (lambda lines: lines.__setitem__(1, lines[1].replace('"format": "text"', '"format": "text", "turns": "hi"')),
     "line 2: 'turns' must be a list of chat messages"),
])
def test_bad_review_file_is_one_line_naming_the_line(built, tmp_path, change, message):
    lines = (built[0] / "review.jsonl").read_text().splitlines()
    change(lines)
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["coldstart", "--from-review", str(tmp_path / "r.jsonl"), "-o", str(tmp_path / "X")])
    assert res.exit_code == 2, res.output
    out = res.output.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("error:") and message in out[0], out
    assert not (tmp_path / "X").exists() and not (tmp_path / "X.partial").exists()


def test_review_file_beside_another_run_is_refused(built, tmp_path):
    (tmp_path / "review.jsonl").write_text((built[0] / "review.jsonl").read_text())
    (tmp_path / "stats.json").write_text(json.dumps({"review_id": "another"}))
    with pytest.raises(UserError, match="another run"):
        review.read(str(tmp_path / "review.jsonl"))


@pytest.mark.parametrize("mode", ["fewshot", "reflect"])
def test_fewshot_and_reflect_runs_write_what_they_keep(sft_arith, tmp_path, mode):
    """The arithmetic checkpoint was never taught to follow exemplars or instructions: what matters here is
    that a run in these modes counts every sample and reviews exactly what it keeps (often nothing)."""
    stats = cs.run(make_cfg(model=str(sft_arith.path), dataset="task:arith?n=3&max=5", output=str(tmp_path / "o"),
                            mode=mode, template="chat", num_samples=2))
    counts = stats["counts"]
    assert counts["generated"] == 6 == sum(counts[r] for r in REASONS)
    assert len(data.read_jsonl(tmp_path / "o" / "review.jsonl")) == counts["kept"] == stats["review_rows"]
    assert json.loads((tmp_path / "o" / "r1_manifest.json").read_text())["options"]["mode"] == mode


def test_model_summaries_that_lose_the_answer_are_rejected(sft_arith, tiny_model, tmp_path):
    """The untrained tiny model as summarizer writes no boxed answer: every verified sample is rejected as
    bad_summary, with the summary it got in rejected.jsonl."""
    stats = cs.run(make_cfg(model=str(sft_arith.path), dataset="task:arith?n=4&max=5", output=str(tmp_path / "o"),
                            num_samples=2, temperature=0.3, summary="model", summarizer=tiny_model,
                            summarizer_max_completion_length=16))
    counts = stats["counts"]
    assert counts["kept"] == 0 and counts["bad_summary"] > 0 and counts["generated"] == sum(counts[r] for r in REASONS)
    bad = [r for r in data.read_jsonl(tmp_path / "o" / "rejected.jsonl") if r["reason"] == "bad_summary"]
    assert len(bad) == counts["bad_summary"] and all("summary" in r for r in bad)
    assert (tmp_path / "o" / "summary-shards").is_dir()


def test_review_recheck_uses_the_rows_reward_and_its_columns():
    """A countdown row is re-checked by the countdown reward, which reads the numbers and target it kept."""
    from r1cli.curation import Settings
    from r1cli.curation.pipeline import Curator
    from r1cli.readability import Readability

    row = {"review_id": "r", "id": "c", "prompt": "Use 3 5 2 to make 16", "answer": "16", "mode": "zero",
           "reward": "countdown", "language": None, "columns": {"numbers": [3, 5, 2], "target": 16},
           "reasoning": "3+5=8, 8*2=16", "summary": "\\boxed{(3+5)*2}", "accept": True}
    length = Curator([], Settings()).length
    assert review.check(row, Readability(), length) == "kept"
    assert review.check({**row, "summary": "\\boxed{3+5*2}"}, Readability(), length) == "wrong"


def test_preview_escapes_what_samples_say():
    from html.parser import HTMLParser

    from r1cli.stages.coldstart import preview

    nasty = {"id": "a<1>", "prompt": "</td><script>alert(1)</script>", "answer": "1 & 2",
             "reasoning": "<think> x </think>", "summary": "\\boxed{<b>}"}

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.cells, self.text = [], [], None

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag == "td":
                self.text = ""

        def handle_endtag(self, tag):
            if tag == "td":
                self.cells.append(self.text)
                self.text = None

        def handle_data(self, data):
            if self.text is not None:
                self.text += data

    parser = Cells()
    parser.feed(preview.page([nasty], "t"))
    assert "script" not in parser.tags and "b" not in parser.tags
    assert parser.cells == ["a<1>", "</td><script>alert(1)</script>\n\nanswer: 1 & 2", "<think> x </think>",
                            "\\boxed{<b>}"]


def test_reasoning_length_bounds_count_the_generators_tokens(sft_arith, tmp_path):
    """The arithmetic checkpoint's reasoning is a few lines of a character tokenizer: a lower bound of 1000
    tokens rejects every verified sample, an upper bound of 1 too."""
    for bound, reason in ((dict(min_reasoning_tokens=1000), "short_reasoning"),
                          (dict(max_reasoning_tokens=1), "long_reasoning")):
        out = tmp_path / reason
        stats = cs.run(make_cfg(model=str(sft_arith.path), dataset="task:arith?n=4&max=5", output=str(out),
                                num_samples=2, temperature=0.3, **bound))
        counts = stats["counts"]
        assert counts["kept"] == 0 and counts[reason] > 0 and counts["generated"] == sum(counts[r] for r in REASONS)
        assert json.loads((out / "r1_manifest.json").read_text())["options"][next(iter(bound))] == next(iter(bound.values()))
