"""r1 coldstart --review: the review page served for real on 127.0.0.1 and driven in headless Chromium.

The run served is a review.jsonl written by review.write (the writer r1 coldstart uses) from hand-made
samples of arithmetic problems, one of them holding a <script> in its reasoning. The browser accepts one
sample, rejects one, edits one well and one into a wrong answer (flagged on the page), reloads; then the
review file and the dataset --from-review builds from it must say exactly that. A second tab's stale save
is refused and said so; requests without the token are refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli import config, data
from r1cli.cli import app
from r1cli.stages import coldstart as cs
from r1cli.stages.coldstart import review, serve

SCRIPT = "<script>window.injected = true</script>"
PROBLEMS = [("s1", "2+3", "5"), ("s2", "4+4", "8"), ("s3", "1+6", "7"), ("s4", "9+0", "9"), ("s5<b>", "3+3", "6")]


def _reply(prompt: str, answer: str, extra: str = "") -> str:
    return f"<think>\n{prompt} makes {answer}.{extra}\n</think>\n\nThe final answer is $\\boxed{{{answer}}}$."


def _run(folder: Path) -> Path:
    """A run folder with the review.jsonl r1 coldstart writes for five verified samples."""
    folder.mkdir()
    cfg = config.resolve(cs.Config, {}, {"output": str(folder), "dataset": "unused", "template": "plain"})
    ds = [{"id": i, "prompt": p, "answer": a, "mode": "zero", "verified_by": "rule",
           "completion": _reply(p, a, f" {SCRIPT}" if i == "s5<b>" else "")} for i, p, a in PROBLEMS]
    assert review.write(folder, ds, [{"id": i, "prompt": p, "answer": a} for i, p, a in PROBLEMS], "r0", cfg) == 5
    return folder / review.REVIEW


@pytest.fixture
def served(tmp_path):
    path = _run(tmp_path / "run")
    server, url, store = serve.open_server(config.resolve(cs.Config, {}, {"review": str(path.parent)}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, path
    server.shutdown()
    server.server_close()


def _request(url: str, body: dict | None = None) -> tuple[int, dict | str]:
    req = urllib.request.Request(url, None if body is None else json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    return status, json.loads(text) if text.startswith("{") else text


def _save_url(url: str) -> str:
    return url.replace("/?token=", "/save?token=")


def test_only_loopback_and_only_with_the_token(served):
    url, path = served
    assert url.startswith("http://127.0.0.1:")
    base, token = url.split("/?token=")
    before = path.read_bytes()
    for bad in (f"{base}/", f"{base}/?token=", f"{base}/?token={token[:-1]}", f"{base}/page.js",
                f"{base}/page.css?token=x"):
        assert _request(bad)[0] == 403, bad
    assert _request(f"{base}/save", {"id": "s1", "version": "x", "accept": False})[0] == 403
    assert path.read_bytes() == before
    status, page = _request(url)
    assert status == 200 and "s5\\u003cb>" in page and SCRIPT not in page  # rows are JSON that cannot close <script>
    assert _request(f"{base}/page.js?token={token}")[0] == 200


def test_a_stale_save_is_refused_and_the_first_edit_kept(served):
    url, path = served
    assert _request(url.replace("/?", "/nothing?"))[0] == 404
    seen = {r["id"]: r for r in _rows(url)}
    status, row = _request(_save_url(url), {"id": "s2", "version": seen["s2"]["version"], "summary": "Eight."})
    saved = {r["id"]: r for r in data.read_jsonl(path)}["s2"]
    assert status == 200 and row["edited"] and row["check"] != "kept"
    assert row["check"] == review.checker(config.resolve(cs.Config, {}, {}))(saved)  # --from-review's verdict
    status, body = _request(_save_url(url), {"id": "s2", "version": seen["s2"]["version"], "accept": False})
    assert status == 409 and body["row"]["summary"] == "Eight." and body["row"]["version"] == row["version"]
    rows = {r["id"]: r for r in data.read_jsonl(path)}
    assert rows["s2"]["summary"] == "Eight." and rows["s2"]["accept"] is True
    assert rows["s2"]["original"] == {"summary": seen["s2"]["summary"]}
    for bad in ({"id": "s2"}, {"id": "s2", "version": row["version"], "accept": "yes"}, [1]):
        assert _request(_save_url(url), bad)[0] == 400
    assert _request(_save_url(url), {"id": "nope", "version": "x", "accept": True})[0] == 404
    assert data.read_jsonl(path) == list(rows.values())


def _rows(url: str) -> list[dict]:
    """The rows the page is given, read out of the page as a browser receives it."""
    page = _request(url)[1]
    start = page.index('<script type="application/json" id="rows">') + len('<script type="application/json" id="rows">')
    return json.loads(page[start:page.index("</script>", start)])


def _browser(tmp_path):
    """Headless Chromium under Debian's chromedriver, or a skip (a failure on CI, which installs both)."""
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
    driver = shutil.which("chromedriver")
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    if chromium is None or driver is None or webdriver is None:
        missing = "Chromium and chromedriver (Debian: apt-get install chromium chromium-driver) and selenium"
        if os.environ.get("CI"):
            pytest.fail(f"{missing} must be installed on CI (.ci/run installs them)")
        pytest.skip(f"needs {missing}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))


def test_review_in_headless_chromium_reaches_from_review(served, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait

    url, path = served
    browser = _browser(tmp_path)
    try:
        browser.get(url)
        wait = WebDriverWait(browser, 30)
        cards = browser.find_elements(By.CSS_SELECTOR, "article.sample")
        assert [c.get_attribute("data-id") for c in cards] == [i for i, _, _ in PROBLEMS]
        script_row = browser.find_element(By.CSS_SELECTOR, 'article[data-id="s5<b>"] pre.reasoning')
        assert SCRIPT in script_row.text  # shown as text: not run, not parsed
        assert browser.execute_script("return window.injected") is None
        assert not browser.find_elements(By.CSS_SELECTOR, "main script, main b")
        assert browser.find_element(By.ID, "progress").text.startswith("reviewed 0 / 5")

        # a second tab, loaded now, goes stale when the first edits s3
        first = browser.current_window_handle
        browser.switch_to.new_window("tab")
        browser.get(url)
        stale = browser.current_window_handle
        browser.switch_to.window(first)

        def message(text):
            wait.until(lambda b: text in b.find_element(By.ID, "message").text)
            return browser.find_element(By.ID, "message")

        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys("a")  # s1 is current: accept, then s2 is
        message("saved s1: accepted")
        body.send_keys("r")
        message("saved s2: rejected")
        body.send_keys("e")  # s3: edit the reasoning
        box = browser.switch_to.active_element
        assert box.get_attribute("class") == "reasoning" and box.get_attribute("value") == "1+6 makes 7."
        box.send_keys(Keys.END, "\nCheck: 7 - 6 = 1, so it holds.")
        box.send_keys(Keys.CONTROL, Keys.ENTER)
        message("saved s3: pending, edited")
        browser.find_element(By.CSS_SELECTOR, 'article[data-id="s4"] header').click()
        body.send_keys("e")  # s4: a summary whose answer is wrong is flagged as it is saved
        browser.find_element(By.CSS_SELECTOR, 'article[data-id="s4"] textarea.summary').send_keys(
            Keys.CONTROL, "a", Keys.NULL, Keys.DELETE, "The final answer is $\\boxed{10}$.", Keys.CONTROL, Keys.ENTER)
        assert message("flagged").get_attribute("class") == "error"
        assert "verifier: wrong" in browser.find_element(By.CSS_SELECTOR, 'article[data-id="s4"] header').text

        browser.switch_to.window(stale)  # its s3 is the old one: rejecting it is refused, and the page says so
        browser.find_element(By.CSS_SELECTOR, 'article[data-id="s3"] header').click()
        browser.find_element(By.TAG_NAME, "body").send_keys("r")
        assert "NOT SAVED (s3)" in message("changed elsewhere").text
        assert "Check: 7 - 6" in browser.find_element(By.CSS_SELECTOR, 'article[data-id="s3"] pre.reasoning').text
        browser.close()
        browser.switch_to.window(first)

        browser.refresh()  # everything is in the file: the reloaded page shows it
        status = {c.get_attribute("data-id"): c.find_element(By.TAG_NAME, "header").text
                  for c in browser.find_elements(By.CSS_SELECTOR, "article.sample")}
        assert status["s1"].startswith("s1\naccepted") and status["s2"].startswith("s2\nrejected")
        assert "edited" in status["s3"] and "verifier: wrong" in status["s4"]
        assert browser.find_element(By.ID, "progress").text == (
            "reviewed 2 / 5, accepted 1, rejected 1, edited 2, flagged 1")
        Select(browser.find_element(By.ID, "filter")).select_by_value("edited")
        assert [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "article.sample")] == [
            "s3", "s4"]
    finally:
        browser.quit()

    rows = {r["id"]: r for r in data.read_jsonl(path)}
    assert (rows["s1"]["accept"], rows["s1"]["reviewed"], rows["s2"]["accept"], rows["s2"]["reviewed"]) == (
        True, True, False, True)
    assert rows["s3"]["reasoning"] == "1+6 makes 7.\nCheck: 7 - 6 = 1, so it holds."
    assert rows["s3"]["original"] == {"reasoning": "1+6 makes 7."} and "reviewed" not in rows["s5<b>"]
    stats = cs.run(config.resolve(cs.Config, {}, {"from_review": str(path), "output": str(tmp_path / "final")}))
    ds = data.load_pairs(str(tmp_path / "final"))[0]
    # pending rows keep the accept: true every row starts with, as when the file is edited by hand
    assert [r["id"] for r in ds] == ["s1", "s3", "s5<b>"]
    assert ds[1]["completion"] == _reply("1+6", "7", "\nCheck: 7 - 6 = 1, so it holds.")
    assert ds[2]["completion"] == _reply("3+3", "6", f" {SCRIPT}")
    assert (stats["counts"]["not_accepted"], stats["counts"]["wrong"], stats["counts"]["kept"]) == (1, 1, 3)


def test_cli_prints_the_url_and_serves_until_interrupted(tmp_path):
    path = _run(tmp_path / "run")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    proc = subprocess.Popen([sys.executable, "-m", "r1cli", "coldstart", "--review", str(path.parent)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        assert [r["id"] for r in _rows(url)] == [i for i, _, _ in PROBLEMS]
        assert _request(url.split("?")[0])[0] == 403
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "0 reviewed" in err and "5 total" in err


@pytest.mark.parametrize("argv, message", [
    (["--review", "{tmp}"], "no review.jsonl there"),
    (["--review", "{tmp}/run", "--dataset", "task:arith"], "--review serves an existing run; drop --dataset"),
    (["--review", "{tmp}/run", "--from-review", "{tmp}/run/review.jsonl"], "drop --from-review"),
    (["--dataset", "task:arith"], "--output is required"),
])
def test_bad_review_input_is_one_line_exit_2(tmp_path, argv, message):
    _run(tmp_path / "run")
    result = CliRunner().invoke(app, ["coldstart", *(a.format(tmp=tmp_path) for a in argv)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["preview.html", "review.jsonl"]
