"""r1 report on a real chain of runs (the tiny model: sft, grpo from it, eval of both), its lineage layout, its
HTML opened in headless Chromium, and its errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from r1cli import runs
from r1cli.config import resolve
from r1cli.stages.report import collect, lineage

RUN_NAMES = ["sft", "grpo", "eval/sft", "eval/grpo"]
TEST_SET = "task:arith?n=4&split=test"


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    """sft (3 steps) -> grpo (2 steps) and an eval of each, as a recipe chains them: one folder of runs."""
    from r1cli.stages import eval as ev
    from r1cli.stages import grpo, sft

    root = tmp_path_factory.mktemp("report") / "runs"
    sft.run(resolve(sft.Config, flags=dict(model="tiny", dataset=["task:arith?n=24"], output=str(root / "sft"),
                                           max_steps=3, per_device_train_batch_size=8, max_length=64, save_steps=0)))
    grpo.run(resolve(grpo.Config, flags=dict(model=str(root / "sft"), dataset="task:arith?n=8",
                                             output=str(root / "grpo"), max_steps=2, group_size=4,
                                             per_device_train_batch_size=8, max_completion_length=8,
                                             template="plain", save_steps=0)))
    for name in ("sft", "grpo"):
        ev.run(resolve(ev.Config, flags=dict(model=str(root / name), benchmark=[TEST_SET], num_samples=2,
                                             max_completion_length=8, engine="hf", output=str(root / "eval" / name))))
    return root


def r1(*argv, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "r1cli", *argv], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


@pytest.fixture(scope="module")
def report(chain, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report-out") / "report"
    done = r1("report", str(chain), "--output", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _rows(markdown: str, section: str) -> list[list[str]]:
    """The body rows of the table under `## section`, cells unescaped."""
    block = markdown.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("| ")][1:]
    return [[re.sub(r"\\(.)", r"\1", c.strip()) for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines]


def test_report_lists_every_run_with_its_upstream_and_every_evaluation(chain, report):
    text = (report / "report.md").read_text()
    runs_table = {row[0]: row for row in _rows(text, "Runs")}
    order = list(runs_table)  # in start order: every run after the runs it started from
    assert sorted(order) == sorted(RUN_NAMES)
    assert order.index("sft") < order.index("grpo") < order.index("eval/grpo") and order.index("eval/sft") > 0
    # each run's model is the run it was trained or evaluated from; the first one's is the outside base
    assert {name: row[2] for name, row in runs_table.items()} == {
        "sft": "tiny", "grpo": "sft", "eval/sft": "sft", "eval/grpo": "grpo"}
    assert runs_table["grpo"][3] == "task:arith?n=8"
    evals = _rows(text, "Evaluations")
    header = text.split("## Evaluations\n", 1)[1].strip().splitlines()[0]
    assert header.startswith("| run | model | benchmark | problems | K | T | pass@1 | cons@K | pass@2")
    assert sorted(row[:3] for row in evals) == [["eval/grpo", "grpo", TEST_SET], ["eval/sft", "sft", TEST_SET]]
    for row in evals:
        results = json.loads((chain / row[0] / "results.json").read_text())["benchmarks"][TEST_SET]
        m = results["metrics"]
        assert row[3:6] == [str(results["num_problems"]), "2", "0.6"]
        assert row[6] == f"{100 * m['pass@1']:.1f} ± {100 * m['pass@1_stderr']:.1f}"
        assert row[7:9] == [f"{100 * m['cons@2']:.1f}", f"{100 * m['pass@2']:.1f}"]
        assert row[-2:] == [results["template"], ""]  # asked how: the template, no system prompt
    # curves for the two training runs only, every figure referenced beside report.md
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert figures == ["lineage.png", "curves-sft.png", "curves-grpo.png"]  # sft started before grpo
    assert all((report / f).stat().st_size > 0 for f in figures)
    manifest = runs.read_manifest(report)
    assert manifest["stage"] == "report" and manifest["metrics"] == {"runs": 4, "evaluations": 2, "curves": 2}
    assert sorted(i["upstream_manifest"]["stage"] for i in manifest["inputs"]) == ["eval", "eval", "grpo", "sft"]


def test_the_papers_table_has_a_row_per_evaluated_model(chain, report):
    """The same table `r1 eval` prints: a row per eval run, pass@1 and cons@2 of the test set as columns, the
    values of each run's results.json."""
    md = (report / "report.md").read_text()
    assert "| model | task:arith?n=4&split=test pass@1 | task:arith?n=4&split=test cons@2 |" in md.replace("\\", "")
    rows = _rows(md, "The paper's table")
    assert sorted(r[0] for r in rows) == ["eval/grpo", "eval/sft"]
    for row in rows:
        metrics = json.loads((chain / row[0] / "results.json").read_text())["benchmarks"][TEST_SET]["metrics"]
        assert row[1:] == [f"{100 * metrics['pass@1']:.1f}", f"{100 * metrics['cons@2']:.1f}"]


def test_html_is_self_contained(report):
    page = (report / "report.html").read_text()
    md = (report / "report.md").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == md.count("![") == 3
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"<(script|link|iframe)\b", page) and "url(" not in page
    assert not re.search(r'(src|href)="(?!data:)', page)


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


def test_html_renders_in_headless_chromium_with_every_run(report, tmp_path):
    """The page as a browser draws it: a screenshot that is not blank (the figures' colours are in it) and a
    DOM that holds every run's row. CI installs Chromium (.ci/run), so there this test never skips."""
    import numpy as np
    from PIL import Image

    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run this test (.ci/run installs it with apt-get)")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    url = (report / "report.html").as_uri()
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    done = subprocess.run([*common, "--hide-scrollbars", "--window-size=1200,2400", f"--screenshot={shot}", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.exists(), done.stderr
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[:2] == (2400, 1200)
    assert pixels.mean(axis=2).std() > 10  # a blank page is one colour
    coloured = (pixels.max(axis=2) - pixels.min(axis=2)) > 60  # the boxes and curves; text is grey
    assert coloured.sum() > 1000
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr
    for name in RUN_NAMES:
        assert f"<td>{name}</td>" in dom.stdout, name
    assert dom.stdout.count('<img src="data:image/png;base64,') == 3


def test_lineage_survives_moving_the_folder_and_reports_are_not_runs(chain, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(chain, moved)
    first = collect.find(moved)
    for attempt in range(2):  # the default output is inside the folder; a second report must not see the first
        done = r1("report", str(moved), *(["--overwrite"] if attempt else []))
        assert done.returncode == 0, done.stderr
        assert runs.read_manifest(moved / "report")["metrics"]["runs"] == 4
    edges = {(e.src, e.dst, e.kind) for e in first.edges}
    assert {("sft", "grpo", "model"), ("sft", "eval/sft", "model"), ("grpo", "eval/grpo", "model"),
            ("input:tiny", "sft", "model")} <= edges
    assert sorted(r.name for r in collect.find(moved).runs) == sorted(RUN_NAMES)


def _tiny_runs(root: Path, links: dict[str, list[str]]) -> None:
    """Runs without training: each a real run folder whose inputs are the named earlier folders."""
    for name, upstream in links.items():
        with runs.run_dir("data", root / name, {"output": name}) as run:
            for up in upstream:
                run.add_input("model" if up == upstream[0] else "dataset", str(root / up) if up in links else up)
            (run.path / "data.txt").write_text(name)


def test_layout_puts_every_run_below_its_upstreams_and_routes_long_arrows_between_rows(tmp_path):
    _tiny_runs(tmp_path, {"a": ["base-model", "task:arith"], "b": ["a"], "c": ["b", "a"], "d": ["a"]})
    found = collect.find(tmp_path)
    boxes, arrows, data = lineage.graph(found)
    assert sorted(boxes) == ["a", "b", "c", "d", "input:base-model"]  # an outside dataset is text in its box
    assert data == {"a": ["task:arith"]}
    row = lineage.layers(found, boxes, arrows)
    assert all(row[e.src] < row[e.dst] for e in arrows)
    assert row["input:base-model"] == 0 and row["c"] == row["b"] + 1
    rows, paths = lineage.route(boxes, arrows, row)
    [long] = [p for p in paths if p[0] == "a" and p[-1] == "c"]
    assert len(long) == 3 and long[1] in rows[row["b"]]  # one waypoint, in b's row
    assert sorted(k for r in rows for k in r if not k.startswith("\0")) == sorted(boxes)
    png = lineage.draw(found, tmp_path / "lineage.png")
    assert png.stat().st_size > 0


@pytest.mark.parametrize("case", ["missing", "empty", "file"])
def test_bad_runs_dir_is_one_line_exit_2_and_nothing_written(tmp_path, case):
    target = tmp_path / "runs"
    if case == "empty":
        (target / "not-a-run").mkdir(parents=True)
    elif case == "file":
        target.write_text("x")
    done = r1("report", str(target), "--output", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert "RUNS_DIR" in done.stderr or "no run under" in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_damaged_runs_are_skipped_with_a_warning_naming_the_file(tmp_path, capfd):
    """A damaged manifest, results.json or metrics.jsonl costs its run a place in the report, not the report."""
    from r1cli.stages import report

    root = tmp_path / "runs"
    files = {
        "good": {"r1_manifest.json": {"stage": "sft", "inputs": [], "metrics": {"loss": 1.0}},
                 "metrics.jsonl": '{"step": 1, "loss": 1.0}\n'},
        "manifest-list": {"r1_manifest.json": [1, 2]},
        "inputs-damaged": {"r1_manifest.json": {"stage": "sft", "inputs": [{"spec": "x", "upstream_manifest": 3}]}},
        "results-cut": {"r1_manifest.json": {"stage": "eval"}, "results.json": '{"benchmarks": {"a": '},
        "results-shape": {"r1_manifest.json": {"stage": "eval"}, "results.json": {"benchmarks": ["a"]}},
        "metrics-cut": {"r1_manifest.json": {"stage": "sft"}, "metrics.jsonl": '{"step": 1, "loss": 1.0}\n{"st'},
        "metrics-no-step": {"r1_manifest.json": {"stage": "grpo"}, "metrics.jsonl": '{"loss": 1.0}\n'},
    }
    for run, contents in files.items():
        (root / run).mkdir(parents=True)
        for name, content in contents.items():
            (root / run / name).write_text(content if isinstance(content, str) else json.dumps(content))
    metrics = report.run(resolve(report.Config, flags=dict(runs_dir=str(root))))
    assert metrics["runs"] == 1 and (root / "report" / "report.html").is_file()
    err = "".join(capfd.readouterr().err.split())  # the console wraps long lines
    for run, file in [("manifest-list", "r1_manifest.json"), ("inputs-damaged", "r1_manifest.json"),
                      ("results-cut", "results.json"), ("results-shape", "results.json"),
                      ("metrics-cut", "metrics.jsonl line 2"), ("metrics-no-step", "metrics.jsonl line 1")]:
        assert re.search("".join(f"skipping the run in \\S*{run}: {file}".split()), err), (run, err)


def test_a_wide_lineage_wraps_into_rows_and_stays_readable(tmp_path):
    """Twenty-two evals of one model made a figure 4,632 px wide and 314 high: it wraps at ACROSS boxes a row."""
    from PIL import Image

    names = [f"eval-{i:02d}" for i in range(22)]
    _tiny_runs(tmp_path, {name: ["base-model"] for name in names})
    found = collect.find(tmp_path)
    boxes, arrows, _ = lineage.graph(found)
    row = lineage.layers(found, boxes, arrows)
    assert all(row[e.src] < row[e.dst] for e in arrows)
    rows, paths = lineage.route(boxes, arrows, row)
    assert max(sum(not k.startswith("\0") for k in r) for r in rows) == lineage.ACROSS
    assert max(len(r) for r in rows) <= lineage.ACROSS + 1  # the model's arrows share one waypoint a row
    assert len(rows) == 1 + -(-len(names) // lineage.ACROSS)
    width, height = Image.open(lineage.draw(found, tmp_path / "lineage.png")).size
    assert width <= 2000 and height > 314


def test_evaluations_differing_only_in_their_system_prompt_look_different(tmp_path):
    from r1cli.stages.report import document

    for name, system in (("plain", None), ("terse", "You are a terse assistant. Answer with the number only.")):
        with runs.run_dir("eval", tmp_path / name, {"output": name}) as run:
            (run.path / "results.json").write_text(json.dumps({
                "sampling": {"temperature": 0.6, "system_prompt": system},
                "benchmarks": {TEST_SET: {"num_problems": 4, "num_samples": 1, "template": "chat",
                                          "metrics": {"pass@1": 0.5}}}}))
    headers, rows = document.eval_rows(collect.find(tmp_path))
    assert headers[-2:] == ["template", "system prompt"]
    assert sorted(row[-2:] for row in rows) == [
        ["chat", ""], ["chat", "You are a terse assistant. Answer with the number only."]]
