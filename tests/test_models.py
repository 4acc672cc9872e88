"""Model references are checked before anything loads them: one line naming the flag, at once, nothing written.

The bad references of every kind (typos, broken checkpoints, a hub name offline, a model's own code) are rows of
tests/test_bad_input.py; here: the machine's own unreachable hub, the offline cache, and the checks' units.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from r1cli import hub
from r1cli.errors import UserError
from r1cli.models import checks, resolve


def _copy(tiny: str, dest: Path) -> Path:
    return Path(shutil.copytree(tiny, dest))


def _env(tmp_path: Path, offline: bool = True) -> dict[str, str]:
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf-home"), PYTHONPATH=str(Path(__file__).parents[1]))
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    else:
        env.pop("HF_HUB_OFFLINE", None)
    return env


def _fails_at_once(ref: str, cwd: Path, env: dict[str, str]) -> str:
    """Run r1 eval on `ref`; assert exit 2, one error line naming --model, no traceback, no output.

    The message itself shows that no hub lookup happened (its retries end in "couldn't connect"); times are
    not asserted, this machine is shared."""
    before = sorted(p.relative_to(cwd) for p in cwd.rglob("*"))
    out = cwd / "out"
    proc = subprocess.run([sys.executable, "-m", "r1cli", "eval", "--benchmark", "task:arith?n=4", "--model", ref, "--output", str(out)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "Traceback" not in text
    errors = [line for line in text.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith(f"error: --model {ref}: "), text
    assert sorted(p.relative_to(cwd) for p in cwd.rglob("*")) == before  # no output, no .partial, no cache
    return errors[0]


def test_unreachable_hub_fails_at_once_without_offline_mode(tmp_path):
    """The machine's own state, not HF_HUB_OFFLINE: the hub cannot be reached, so no retries."""
    if hub.reachable():
        pytest.skip("the hub is reachable from here")
    root = tmp_path / "work"
    root.mkdir()
    (root / "sft").mkdir()
    line = _fails_at_once("sfft", root, _env(tmp_path, offline=False))
    assert "the model hub cannot be reached" in line and "--model path/to/folder" in line
    assert "did you mean sft?" in line  # a bare name close to a local folder: probably meant the folder


def test_cached_hub_model_resolves_offline(tmp_path, tiny_model):
    """A hub model already in the local cache is used from there when the hub cannot be reached."""
    repo = tmp_path / "hf-home" / "hub" / "models--someone--tiny"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = _copy(tiny_model, repo / "snapshots" / commit)
    code = "from r1cli.models import resolve; print(resolve('someone/tiny', flag='--model'))"
    proc = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == snapshot


def test_valid_folder_resolves_to_itself(tmp_path, tiny_model):
    folder = _copy(tiny_model, tmp_path / "ckpt")
    assert resolve(str(folder)) == str(folder.resolve())
    assert resolve(str(folder), flag="--model") == str(folder.resolve())


def test_without_a_flag_the_message_says_model(tmp_path):
    with pytest.raises(UserError, match=r"^model \./no/such: folder not found$"):
        resolve("./no/such")


@pytest.mark.parametrize("ref,path_like", [
    ("Qwen/Qwen2.5-0.5B", False), ("gpt2", False), ("./model", True), ("../runs/sft", True),
    ("~/models/x", True), ("/abs/model", True), ("a/b/c", True), ("runs/sft", True), ("my model", True),
])
def test_looks_like_path(ref, path_like, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()  # `runs/sft` is a path only because folder `runs` exists here
    assert checks.looks_like_path(ref) is path_like


# ------------------------------------------------------------------------------------------- remote code


def test_a_model_with_its_own_code_is_refused_unless_trusted(remote_code_model):
    with pytest.raises(UserError, match=r"^--model .*model_type 'r1_custom' needs the Python code the model ships "
                                        r".*pass --trust-remote-code"):
        resolve(remote_code_model, flag="--model")
    assert resolve(remote_code_model, trust_remote_code=True) == str(Path(remote_code_model).resolve())


def test_an_auto_map_for_an_architecture_transformers_has_needs_no_trust(tmp_path, tiny_model):
    """transformers then loads its own class and ignores the shipped code, so nothing asks to run it."""
    folder = _copy(tiny_model, tmp_path / "ckpt")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling.Whatever"}
    (folder / "config.json").write_text(json.dumps(config))
    assert resolve(str(folder)) == str(folder.resolve())


def test_a_folder_with_fewer_layers_keeps_the_chosen_layers_and_the_tokenizer(tmp_path, monkeypatch):
    """`FOLDER?layers=N` (a distillation student): N decoder layers, evenly spaced, each the same weights as
    the teacher's layer it came from; the tokenizer and chat template are the teacher's; built once."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from r1cli.models import fewer_layers

    monkeypatch.setenv("R1_CACHE", str(tmp_path / "cache"))
    teacher = _copy(resolve("tiny?layers=4"), tmp_path / "teacher")
    student = resolve(f"{teacher}?layers=2", flag="--student")
    assert resolve(f"{teacher}?layers=2") == student  # from the cache the second time
    big, small = (AutoModelForCausalLM.from_pretrained(p) for p in (teacher, student))
    assert small.config.num_hidden_layers == 2 and fewer_layers.kept(4, 2) == [0, 3]
    for mine, theirs in zip(small.model.layers, [big.model.layers[0], big.model.layers[3]], strict=True):
        for (name, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items(), strict=True):
            assert torch.equal(a, b), name
    assert torch.equal(small.get_input_embeddings().weight, big.get_input_embeddings().weight)
    assert AutoTokenizer.from_pretrained(student).chat_template == AutoTokenizer.from_pretrained(teacher).chat_template
    ids = torch.tensor([[1, 2, 3]])
    assert small(ids).logits.shape == big(ids).logits.shape  # it runs, with its own KV positions
    small.generate(ids, max_new_tokens=3, do_sample=False)
    assert fewer_layers.kept(30, 10) == [0, 3, 6, 10, 13, 16, 19, 23, 26, 29]


@pytest.mark.parametrize("query, words", [("layers=4", "fewer than the model's 4"), ("layers=0", "layers=N"),
                                          ("depth=2", "one key, layers=N")])
def test_a_bad_layer_count_is_refused_naming_the_flag(tmp_path, monkeypatch, query, words):
    monkeypatch.setenv("R1_CACHE", str(tmp_path / "cache"))
    teacher = _copy(resolve("tiny?layers=4"), tmp_path / "teacher")
    with pytest.raises(UserError, match=f"--student {teacher}\\?{query}: .*{words}"):
        resolve(f"{teacher}?{query}", flag="--student")
