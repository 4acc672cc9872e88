"""Bad input, one row per case, through the real `r1` in a subprocess.

Every case must end with exit code 2 and exactly one `error: …` line holding the case's words (the flag, key,
line or file to fix), no traceback, nothing left behind (no new folder or file: no DIR, no DIR.partial, no
DIR.lock) and no earlier work lost (every file the case's folder held before is unchanged, byte for byte).

A case runs in its own folder, which is also its working directory: it holds FILES, plus whatever the case's
`setup` adds (an existing output, an interrupted run, a broken model folder, a run holding the output).
Relative paths in a case's arguments point there. A new stage adds its cases as rows of CASES.

The cases run in parallel (a pool of subprocesses, started once for the module); each row is reported as its
own test. Declared option bounds are checked for every option of every stage in-process by test_cli.py; the
rows here show a few of them end to end, in a real process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest


class _Runs:
    """Pickled, it names a callable (print): LiveCodeBench's packed private tests must refuse it."""

    def __reduce__(self):
        return (print, ("this pickle must not run",))


def _packed(obj) -> str:
    import base64
    import pickle
    import zlib

    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


# Files every case's folder holds.
FILES: dict[str, str | bytes] = {
    "lcb-pickle.jsonl": json.dumps({"question_content": "Print 1.", "public_test_cases": "[]",
                                    "private_test_cases": _packed(_Runs()), "metadata": "{}"}) + "\n",
    "ok.jsonl": '{"Body": "Ann has 3 pens.", "Question": "How many?", "Answer": 3.0}\n',
    "prefix-ends-with-user.jsonl": '{"role": "system", "content": "Be brief."}\n{"role": "user", "content": "1+1?"}\n',
    "prefix-bad-role.jsonl": '{"role": "system", "content": "Be brief."}\n{"role": "tool", "content": "x"}\n',
    "prefix-late-system.jsonl": '{"role": "user", "content": "1+1?"}\n{"role": "system", "content": "Be brief."}\n',
    "bad.jsonl": '{"question": "a", "answer": "1"}\n{"question": "b", "answer": "2"}\n{"question": "c", answer: 3}\n',
    "text.json": "these are notes, not JSON\n",
    "bad.csv": 'question,answer\n"1+1",2\n"2+2",4,extra\n',
    "quote.csv": 'question,answer\n"1+1,2\n',
    "header.csv": "question,answer\n",
    "latin1.jsonl": b'{"question": "caf\xe9", "answer": "1"}\n',
    "bad.parquet": b"PAR1 not really parquet",
    "twocase.jsonl": '{"Question": "a", "QUESTION": "b", "answer": "1"}\n',
    "nocol.jsonl": '{"text": "x"}\n',
    "empty.jsonl": "",
    "blank.jsonl": "\n  \n\n",
    "bad.yaml": "dataset: [\n",
    "unknown.yaml": "datset: x\n",
    "list.yaml": "learning_rate: [1, 2]\n",
    "binary.yaml": b"\xff\xfe\x00 not text",
    "grpo.yaml": "stage: grpo\ndataset: task:arith\n",
    "noanswer.jsonl": '{"prompt": "(1+2)*3"}\n',
    "chat.jsonl": '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n',
    "system.jsonl": '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}, '
                    '{"role": "assistant", "content": "hello"}]}\n',
    "notes.txt": "not a data file\n",
    "pairs.jsonl": '{"prompt": "Say hi.", "chosen": "Hi!", "response": "No."}\n',
    "null.jsonl": "null\n",
    "twice.yaml": "limit: 1\nlimit: 2\n",
    "flag.yaml": "limit: true\n",
    "nullprompt.jsonl": '{"prompt": null, "answer": "1"}\n',
    "intcompletion.jsonl": '{"prompt": "a", "completion": 5}\n',
    "rowreward.jsonl": '{"prompt": "1+1", "answer": "2", "reward": "accuracy"}\n{"prompt": "2+2", "answer": "4", "reward": "nosuch"}\n',
    "nullside.jsonl": '{"prompt": "a", "chosen": "x", "rejected": "y"}\n{"prompt": "a", "chosen": null, "rejected": "y"}\n',
    "margin.jsonl": '{"prompt": "a", "chosen": "x", "rejected": "y", "margin": "big"}\n',
    "mixedpairs.jsonl": '{"prompt": "a", "chosen": "x", "rejected": "y"}\n{"prompt": [{"role": "user", "content": "a"}], '
                        '"chosen": [{"role": "assistant", "content": "x"}], "rejected": [{"role": "assistant", '
                        '"content": "y"}]}\n',
}


@dataclass
class Case:
    id: str
    args: list[str]  # after `r1`
    words: list[str]  # the error line holds each of them
    # Adds to the case's folder before the run: (folder, path of the tiny model) -> a cleanup to call after it.
    setup: Callable[[Path, str], Callable[[], None] | None] | None = field(default=None, repr=False)
    env: dict[str, str] = field(default_factory=dict)  # set for the run, over the suite's own


# ------------------------------------------------------------------------------------------------ setups


def _copy_model(tiny: str, dest: Path) -> Path:
    return Path(shutil.copytree(tiny, dest))


def _edit_config(folder: Path, **changes) -> None:
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps({k: v for k, v in config.items() if v is not None}))


def _sibling_run(root: Path, tiny: str):
    (root / "runs" / "sft").mkdir(parents=True)


def _eval_folder(root: Path, tiny: str):
    (root / "runs" / "eval").mkdir(parents=True)


def _checkpoint_only(root: Path, tiny: str):
    _copy_model(tiny, root / "runs" / "sft.partial" / "checkpoint-20")


def _weights_file(root: Path, tiny: str):
    (root / "model.safetensors").write_bytes(b"")


def _config_not_json(root: Path, tiny: str):
    (_copy_model(tiny, root / "ckpt") / "config.json").write_text('{"model_type": "llama",\n')


def _config_no_model_type(root: Path, tiny: str):
    _edit_config(_copy_model(tiny, root / "ckpt"), model_type=None)


def _no_weights(root: Path, tiny: str):
    folder = _copy_model(tiny, root / "ckpt")
    for f in folder.glob("*.safetensors"):
        f.unlink()
    (folder / "training_args.bin").write_bytes(b"")  # a trainer file, not weights


def _missing_shard(root: Path, tiny: str):
    folder = _copy_model(tiny, root / "ckpt")
    (folder / "model.safetensors").rename(folder / "model-00001-of-00002.safetensors")
    weight_map = {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))


def _model_copy(root: Path, tiny: str):
    _copy_model(tiny, root / "ckpt")


def _unknown_architecture(root: Path, tiny: str):
    _edit_config(_copy_model(tiny, root / "ckpt"), model_type="bogus")


def _model_type_not_a_name(root: Path, tiny: str):
    _edit_config(_copy_model(tiny, root / "ckpt"), model_type=5)


def _config_bad_value(root: Path, tiny: str):
    _edit_config(_copy_model(tiny, root / "ckpt"), vocab_size="abc")


def _no_tokenizer(root: Path, tiny: str):
    folder = _copy_model(tiny, root / "ckpt")
    for pattern in ("tokenizer*", "vocab.json", "merges.txt", "special_tokens_map.json", "chat_template.jinja"):
        for f in folder.glob(pattern):
            f.unlink()


def _truncated_weights(root: Path, tiny: str):
    (_copy_model(tiny, root / "ckpt") / "model.safetensors").write_bytes(b"")


def _data_in_a_folder(root: Path, tiny: str):
    (root / "sub").mkdir()
    shutil.copy(root / "ok.jsonl", root / "sub" / "ok.jsonl")


def _own_code(root: Path, tiny: str):
    folder = _copy_model(tiny, root / "ckpt")
    (folder / "custom.py").write_text("raise SystemExit('this code must not run')\n")
    _edit_config(folder, model_type="r1_custom", auto_map={"AutoModelForCausalLM": "custom.Model"})


def _reward_model_config(root: Path, tiny: str):
    """A folder whose config says sequence classification with one output (a reward model): align reads the
    config before any weights, so the refusals that follow its check need no trained score head."""
    _edit_config(_copy_model(tiny, root / "rm"), architectures=["LlamaForSequenceClassification"],
                 id2label={"0": "LABEL_0"}, label2id={"LABEL_0": 0})


def _causal_model(root: Path, tiny: str):
    _copy_model(tiny, root / "ckpt")


def _interrupted(root: Path, tiny: str):
    checkpoint = root / "sft.partial" / "checkpoint-500"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text("{}")


def _finished_output(root: Path, tiny: str):
    out = root / "ev"
    out.mkdir()
    (out / "results.json").write_text('{"benchmarks": {}}\n')
    (out / "r1_manifest.json").write_text('{"stage": "eval"}\n')


def _saved_dataset(folder: Path, rows: int, stage: str | None = "reject-sample") -> None:
    import datasets

    ds = datasets.Dataset.from_dict({"prompt": ["1+1"] * rows, "answer": ["2"] * rows,
                                     "completion": ["2"] * rows})
    ds.save_to_disk(str(folder / "dataset"))
    if stage:
        (folder / "r1_manifest.json").write_text(json.dumps({"stage": stage}))


def _empty_run(root: Path, tiny: str):
    """A finished reject-sample run that kept 0 rows."""
    _saved_dataset(root / "rs", 0)


def _interrupted_samples(root: Path, tiny: str):
    """An interrupted reject-sample run: its rows are in its working folder, unfinished."""
    _saved_dataset(root / "rs.partial", 4, stage=None)


def _run_without_dataset(root: Path, tiny: str):
    (root / "ev").mkdir()
    (root / "ev" / "r1_manifest.json").write_text('{"stage": "eval"}\n')
    (root / "ev" / "samples.jsonl").write_text('{"prompt": "1+1", "completion": "2", "correct": true}\n')
    (root / "ev" / "results.json").write_text('{"benchmarks": {}}\n')


def _not_an_r1_output(root: Path, tiny: str):
    (root / "notes").mkdir()
    (root / "notes" / "thesis.tex").write_text("years of work\n")


def _runs_folder(root: Path, tiny: str):
    """A folder of runs: a finished sft run (its manifest) and an eval."""
    for name, stage in (("sft", "sft"), ("ev", "eval")):
        (root / "runs" / name).mkdir(parents=True)
        (root / "runs" / name / "r1_manifest.json").write_text(json.dumps({"stage": stage, "inputs": []}))


def _sft_with_checkpoints(root: Path, tiny: str):
    """A finished sft run that kept its checkpoints."""
    folder = root / "sft"
    (folder / "checkpoint-2").mkdir(parents=True)
    (folder / "checkpoint-2" / "trainer_state.json").write_text("{}")
    (folder / "r1_manifest.json").write_text(json.dumps({"stage": "sft", "options": {"model": "tiny"}}))


def _interrupted_sft_of_another_model(root: Path, tiny: str):
    _interrupted(root, tiny)
    (root / "sft.partial" / "r1_started.json").write_text(json.dumps({"stage": "sft", "options": {
        "model": "tiny?layers=3", "dataset": ["task:arith?n=8"]}}))


HOLDER = """
import sys, time
from r1cli import runs
with runs.run_dir("sft", sys.argv[1], {}):
    print("holding", flush=True)
    time.sleep(600)
"""


def _held(root: Path, tiny: str):
    """Another run owns `out` (its DIR.lock and DIR.partial exist) while the case runs."""
    script = root.parent / f"{root.name}-holder.py"  # outside the folder that must stay unchanged
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), "out"], cwd=root, stdout=subprocess.PIPE, text=True,
                              env=_env(root))
    assert holder.stdout.readline().strip() == "holding"

    def stop():
        holder.kill()
        holder.wait()

    return stop


# ------------------------------------------------------------------------------------------------- cases

SFT = ["sft", "-m", "tiny", "-d", "task:arith?n=8", "-o", "out"]  # a case's own -m comes later and wins
GRPO = ["grpo", "-m", "tiny", "-d", "task:arith?n=8", "-o", "out"]
EVAL = ["eval", "-m", "tiny", "-b", "task:arith?n=2", "-o", "out"]
# --benchmark is a list: a case's own would be added to EVAL's, not replace it.
EVAL_WITHOUT_BENCHMARK = ["eval", "-m", "tiny", "-o", "out"]
DATA = ["data", "-o", "out"]
DISTILL = ["distill", "--teacher", "tiny", "--student", "tiny", "-d", "task:arith?n=8", "-o", "out"]
RS = ["reject-sample", "-m", "tiny", "-d", "task:arith?n=4", "-o", "out"]
ALIGN = ["align", "-m", "tiny", "-o", "out"]
MIXED = ["-d", "task:arith?n=4,task:general?n=4"]

def _missing_tracker() -> str | None:
    """A tracker r1 offers that this machine lacks (an extra may have installed the others), or None."""
    import importlib.util

    from r1cli.training import REPORTERS

    return next((t for t in REPORTERS if t != "none" and importlib.util.find_spec(t) is None), None)


MISSING_TRACKER = _missing_tracker()

CASES = [
    # --- nothing lost: --overwrite, --resume and publication keep finished work
    Case("overwrite-a-folder-that-is-no-run", ["data", "-d", "ok.jsonl", "-o", "notes", "--overwrite"],
         ["--output notes", "not an r1 output"], _not_an_r1_output),
    Case("overwrite-a-file", ["data", "-d", "ok.jsonl", "-o", "notes.txt", "--overwrite"],
         ["--output notes.txt", "not an r1 output"]),
    Case("report-into-a-reported-run", ["report", "runs", "-o", "runs/sft", "--overwrite"],
         ["--output runs/sft is a sft run inside runs"], _runs_folder),
    Case("align-resume-on-an-sft-run", [*ALIGN, "-d", "task:arith?n=4", "-o", "sft", "--resume"],
         ["--resume", "r1 sft, not of r1 align"], _sft_with_checkpoints),
    Case("sft-resume-on-another-models-checkpoints", ["sft", "-m", "tiny", "-d", "task:arith?n=8", "-o", "sft", "--resume"],
         ["--resume", "other options", "--model 'tiny?layers=3' -> 'tiny'"], _interrupted_sft_of_another_model),
    # --- models of the wrong kind: a classifier (a reward model) where a model must write text
    Case("rs-judge-a-reward-model", [*RS, "--judge", "rm"], ["--judge rm is a classifier"], _reward_model_config),
    Case("coldstart-summarizer-a-reward-model", ["coldstart", "-m", "tiny", "-d", "task:arith?n=2", "--summary", "model",
                                                 "--summarizer", "rm", "-o", "out"],
         ["--summarizer rm is a classifier"], _reward_model_config),
    Case("distill-student-a-reward-model", [*DISTILL, "--student", "rm"], ["--student rm is a classifier"],
         _reward_model_config),
    Case("eval-model-a-reward-model", [*EVAL, "-m", "rm"], ["--model rm is a classifier"], _reward_model_config),
    # --- options a mode does not use are refused, not ignored
    Case("coldstart-from-review-with-sampling", ["coldstart", "--from-review", "ok.jsonl", "-k", "8", "-o", "out"],
         ["--num-samples is not used with --from-review"]),
    Case("distill-traces-with-dataset", ["distill", "--student", "tiny", "--traces", "ok.jsonl", "-d", "task:arith", "-o", "out"],
         ["--dataset is not used with --traces"]),
    Case("grpo-eval-dataset-without-eval-every", [*GRPO, "--eval-dataset", "task:arith?n=4"],
         ["--eval-dataset is not used with --eval-every 0"]),
    Case("align-eval-dataset-without-eval-every", [*ALIGN, "-d", "task:arith?n=4", "--eval-dataset", "ok.jsonl"],
         ["--eval-dataset is not used with --eval-every 0"]),
    *([] if MISSING_TRACKER is None else [
        Case("grpo-tracker-not-installed", [*GRPO, "--report-to", MISSING_TRACKER],
             [f"--report-to needs the {MISSING_TRACKER} package"]),
        Case("reward-model-tracker-not-installed", ["reward-model", "-m", "tiny", "-d", "task:prefs?n=8", "-o", "out",
                                                    "--report-to", MISSING_TRACKER],
             [f"--report-to needs the {MISSING_TRACKER} package"])]),
    # --- rows are checked before any work: a prompt or completion is text or chat turns
    Case("data-null-prompt", [*DATA, "-d", "nullprompt.jsonl"], ["nullprompt.jsonl row 0", "'prompt' is null"]),
    Case("sft-number-completion", [*SFT, "-m", "tiny", "-d", "intcompletion.jsonl"],
         ["intcompletion.jsonl row 0", "'completion' is int"]),
    Case("reward-model-null-side", ["reward-model", "-m", "tiny", "-d", "nullside.jsonl", "-o", "out"],
         ["nullside.jsonl row 1", "'chosen' is null"]),
    Case("reward-model-margin-not-a-number", ["reward-model", "-m", "tiny", "-d", "margin.jsonl", "-o", "out"],
         ["margin.jsonl row 0", "'margin' is 'big', not a number"]),
    Case("reward-model-text-and-chat", ["reward-model", "-m", "tiny", "-d", "mixedpairs.jsonl", "-o", "out"],
         ["mixedpairs.jsonl row 1", "mixes text and chat"]),
    Case("reward-model-every-pair-too-long", ["reward-model", "-m", "tiny", "-d", "task:prefs?n=8", "-o", "out",
                                               "--max-length", "4"], ["every training pair", "--max-length 4"]),
    # --- the environment
    Case("tmpdir-missing", [*DATA, "-d", "task:arith?n=2"], ["TMPDIR=", "not a writable folder"],
         env={"TMPDIR": "/nonexistent/r1-tmp"}),
    # --- what a run left is never data: no rows, a working folder, a run folder without dataset/
    Case("data-from-a-run-that-kept-0-rows", [*DATA, "-d", "rs"], ["rs holds a dataset of 0 rows"], _empty_run),
    Case("sft-on-a-run-that-kept-0-rows", [*SFT, "-d", "rs"], ["rs holds a dataset of 0 rows"], _empty_run),
    Case("distill-traces-partial", ["distill", "--student", "tiny", "--traces", "rs.partial", "-o", "out"],
         ["rs.partial", "interrupted run's working folder"], _interrupted_samples),
    Case("sft-on-a-partial-dataset-folder", [*SFT, "-d", "rs.partial/dataset"],
         ["rs.partial/dataset", "interrupted run"], _interrupted_samples),
    Case("data-from-a-run-without-dataset", [*DATA, "-d", "ev"], ["ev is an r1 run folder without a dataset/"],
         _run_without_dataset),
    # --- reject-sample: everything is checked before an engine opens
    Case("rs-no-answers-and-no-judge", [*RS, "-d", "noanswer.jsonl"], ["no reference answers", "--judge"]),
    Case("rs-judge-missing", [*RS, "-d", "noanswer.jsonl", "--judge", "./no-judge"], ["--judge ./no-judge"]),
    Case("rs-num-samples-0", [*RS, "--num-samples", "0"], ["--num-samples must be in [1, 10000], got 0"]),
    Case("rs-mix-fraction-outside", [*RS, "--mix", "ok.jsonl:1.5"], ["--mix"]),
    Case("rs-mix-without-fraction", [*RS, "--mix", "ok.jsonl"], ["SPEC:FRACTION"]),
    Case("rs-mix-into-text-rows", [*RS, "--template", "plain", "--mix", "system.jsonl:0.2"],
         ["--mix system.jsonl", "row 0 has a system prompt", "--template chat"]),
    Case("rs-decontaminate-unknown", [*RS, "--decontaminate", "mathh500"], ["--decontaminate mathh500",
                                                                             "unknown benchmark"]),
    Case("rs-reward-unknown", [*RS, "--reward", "nope"], ["unknown reward"]),
    Case("rs-row-reward-unknown", [*RS, "-d", "rowreward.jsonl"], ["rowreward.jsonl", "'reward' column",
                                                                   "nosuch"]),
    Case("grpo-row-reward-unknown", ["grpo", "-m", "tiny", "-d", "rowreward.jsonl", "-o", "out", "--max-steps", "1"],
         ["rowreward.jsonl", "'reward' column", "nosuch"]),
    Case("eval-row-reward-unknown", ["eval", "-m", "tiny", "-b", "rowreward.jsonl", "-o", "out"],
         ["rowreward.jsonl", "'reward' column", "nosuch"]),
    # --- coldstart: exemplar and review files are checked line by line before anything is sampled
    Case("coldstart-exemplars-without-fields", ["coldstart", "-m", "tiny", "-d", "task:arith?n=2", "--mode", "fewshot",
                                                "--exemplars", "bad.jsonl", "-o", "out"],
         ["--exemplars bad.jsonl", "line 1 has no prompt, reasoning, summary"]),
    Case("coldstart-malformed-review", ["coldstart", "--from-review", "bad.jsonl", "-o", "out"],
         ["--from-review bad.jsonl", "line 1"]),
    Case("coldstart-summary-model-without-summarizer", ["coldstart", "-m", "tiny", "-d", "task:arith?n=2", "--summary", "model",
                                                        "-o", "out"], ["--summary model needs --summarizer"]),
    Case("coldstart-exemplars-outside-fewshot", ["coldstart", "-m", "tiny", "-d", "task:arith?n=2", "--exemplars",
                                                 "ok.jsonl", "-o", "out"], ["--exemplars", "--mode fewshot"]),
    Case("coldstart-without-model", ["coldstart", "-d", "task:arith?n=2", "-o", "out"], ["--model is required"]),
    # --- align and reward-model: reward models, the mix and the pairs are checked before any training
    Case("align-rm-not-a-reward-model", [*ALIGN, *MIXED, "--helpfulness-rm", "ckpt"],
         ["--helpfulness-rm ckpt", "not a sequence-classification checkpoint"], _causal_model),
    Case("align-rm-without-general-rows", [*ALIGN, "-d", "task:arith?n=4", "--harmlessness-rm", "rm"],
         ["--harmlessness-rm given", "--dataset task:arith?n=4 has no general rows"], _reward_model_config),
    Case("align-general-rows-without-rm", [*ALIGN, *MIXED], ["4 general row(s)", "--helpfulness-rm"]),
    Case("reward-model-pairs-without-rejected", ["reward-model", "-m", "tiny", "-d", "pairs.jsonl", "-o", "out"],
         ["--dataset pairs.jsonl", "'rejected'"]),
    # --- an output folder is owned by one run; a forgotten --resume or a failed --overwrite loses nothing
    Case("second-run-on-a-locked-output", ["data", "-d", "task:arith?n=4", "-o", "out", "--overwrite"],
         ["out is in use by another run", "r1 sft, pid", "--output"], _held),
    Case("forgotten-resume", ["sft", "-m", "tiny", "-d", "task:arith?n=8", "-o", "sft"],
         ["holds checkpoint-500", "pass --resume to continue or --overwrite to discard it"], _interrupted),
    Case("overwrite-that-fails-keeps-the-old-output",
         ["eval", "-m", "tiny", "--data-file", "task:arith?n=2", "--engine", "hf", "-k", "1",
          "--max-model-len", "1", "--overwrite", "-o", "ev"], ["--max-model-len"], _finished_output),
    Case("output-exists", ["data", "-d", "ok.jsonl", "-o", "bad.jsonl"], ["bad.jsonl already exists", "--overwrite"]),
    Case("output-is-the-input", ["data", "-d", "ok.jsonl", "-o", "ok.jsonl", "--overwrite"],
         ["--output ok.jsonl is, or holds, the input of --dataset"]),
    Case("output-holds-the-input", ["data", "-d", "sub/ok.jsonl", "-o", "sub", "--overwrite"],
         ["--output sub", "input of --dataset (sub/ok.jsonl)"], _data_in_a_folder),
    Case("output-is-the-model", [*EVAL, "-m", "ckpt", "-o", "ckpt", "--overwrite"], ["--output ckpt", "--model"],
         _model_copy),
    Case("output-is-the-current-folder", ["data", "-d", "ok.jsonl", "-o", ".", "--overwrite"],
         ["--output .", "new folder"]),
    Case("output-named-like-a-work-folder", ["data", "-d", "ok.jsonl", "-o", "x.partial"],
         ["--output x.partial", "working folders"]),
    Case("output-not-writable", ["data", "-d", "ok.jsonl", "-o", "/proc/r1-out"], ["cannot write", "--output"]),
    # --- models: a missing local folder is not a hub lookup; a broken checkpoint names its file
    Case("model-typo-of-a-sibling", [*SFT, "-m", "runs/sfft"],
         ["--model runs/sfft: folder not found (did you mean runs/sft?)"], _sibling_run),
    Case("model-dot-path", [*EVAL, "-m", "./models/missing"], ["--model ./models/missing: folder not found"]),
    Case("model-hub-offline", [*GRPO, "-m", "someone/some-model"], ["the model hub cannot be reached",
                                                                    "--model path/to/folder"]),
    Case("model-folder-without-config", [*EVAL, "-m", "runs/eval"], ["it has no config.json"], _eval_folder),
    Case("model-run-folder", [*SFT, "-m", "runs/sft.partial"], ["did you mean runs/sft.partial/checkpoint-20?"],
         _checkpoint_only),
    Case("model-a-file", [*EVAL, "-m", "model.safetensors"], ["is a file, not a model folder"], _weights_file),
    Case("model-config-not-json", [*SFT, "-m", "ckpt"], ["ckpt/config.json is not valid JSON at line 2"],
         _config_not_json),
    Case("model-config-without-model-type", [*EVAL, "-m", "ckpt"], ["ckpt/config.json has no model_type"],
         _config_no_model_type),
    Case("model-without-weights", [*SFT, "-m", "ckpt"], ["has no weights"], _no_weights),
    Case("model-missing-shard", [*EVAL, "-m", "ckpt"],
         ["ckpt/model-00002-of-00002.safetensors listed in model.safetensors.index.json is missing"],
         _missing_shard),
    Case("distill-teacher-typo", [*DISTILL, "--teacher", "runs/sfft"],
         ["--teacher runs/sfft: folder not found (did you mean runs/sft?)"], _sibling_run),
    Case("distill-student-missing", [*DISTILL, "--student", "./models/missing"],
         ["--student ./models/missing: folder not found"]),
    Case("distill-without-prompts", [*DISTILL[:5], "-o", "out"], ["--dataset is required"]),
    Case("distill-traces-missing", [*DISTILL[:5], "--traces", "runs/nowhere", "-o", "out"],
         ["--traces runs/nowhere"]),
    Case("distill-on-policy-without-prompts", [*DISTILL[:5], "--method", "on-policy", "-o", "out"],
         ["--dataset is required", "--traces"]),
    Case("model-empty", [*SFT, "-m", ""], ["--model is required"]),  # an empty value is no model given
    # --- no silent toy: every stage that trains or samples is told which model
    Case("sft-without-model", ["sft", "-d", "task:arith?n=8", "-o", "out"], ["--model is required"]),
    Case("reject-sample-without-model", ["reject-sample", "-d", "task:arith?n=4", "-o", "out"],
         ["--model is required"]),
    Case("distill-without-student", ["distill", "--teacher", "tiny", "-d", "task:arith?n=8", "-o", "out"],
         ["--student is required"]),
    Case("distill-without-teacher", ["distill", "--student", "tiny", "-d", "task:arith?n=8", "-o", "out"],
         ["--teacher is required", "--traces"]),
    Case("model-unknown-architecture", [*EVAL, "-m", "ckpt"], ["ckpt/config.json has model_type 'bogus'"],
         _unknown_architecture),
    Case("model-type-not-a-name", [*SFT, "-m", "ckpt"], ["ckpt/config.json has model_type 5"], _model_type_not_a_name),
    Case("model-config-bad-value", [*SFT, "-m", "ckpt"], ["ckpt/config.json has a bad value", "vocab_size"],
         _config_bad_value),
    Case("model-without-tokenizer", [*EVAL, "-m", "ckpt"], ["--model ckpt", "has no tokenizer"], _no_tokenizer),
    Case("model-weights-truncated", [*EVAL, "-m", "ckpt"], ["ckpt/model.safetensors is not a readable safetensors"],
         _truncated_weights),
    Case("model-cache-not-writable", ["eval", "-m", "tiny?seed=7", "-b", "task:arith?n=2", "-o", "out"], ["--model tiny?seed=7", "R1_CACHE"],
         env={"R1_CACHE": "/proc/r1-cache"}),
    Case("tiny-model-parameter-blank", [*SFT, "-m", "tiny?layers="], ["'layers'", "integer"]),
    Case("model-own-code-untrusted", [*SFT, "-m", "ckpt"], ["model_type 'r1_custom'", "--trust-remote-code"],
         _own_code),
    Case("tiny-model-parameter-huge", [*SFT, "-m", "tiny?layers=100000"], ["--model", "'layers'", "[1, 32]"]),
    Case("tiny-model-parameter-unknown", [*SFT, "-m", "tiny?bogus=1"], ["--model", "unknown", "'bogus'"]),
    # --- declared bounds (every bound of every stage: test_cli.py), in a real process
    Case("grpo-top-p", [*GRPO, "--top-p", "2"], ["--top-p must be in (0, 1], got 2"]),
    Case("grpo-beta", [*GRPO, "--beta", "-1"], ["--beta must be at least 0, got -1"]),
    Case("grpo-max-steps", [*GRPO, "--max-steps", "0"], ["--max-steps must be at least 1"]),
    Case("grpo-temperature", [*GRPO, "--temperature", "0"], ["--temperature must be greater than 0"]),
    Case("grpo-epsilon-high-below-epsilon", [*GRPO, "--epsilon", "0.3", "--epsilon-high", "0.1"],
         ["--epsilon-high (0.1) must be at least --epsilon (0.3)"]),
    Case("eval-completion-length-huge", [*EVAL, "--max-completion-length", str(10**11)],
         ["--max-completion-length must be in [1, ", "context"]),
    Case("grpo-max-steps-huge", [*GRPO, "--max-steps", "9" * 23], ["--max-steps does not fit in a 64-bit integer"]),
    Case("sft-epochs", [*SFT, "--num-train-epochs", "0"], ["--num-train-epochs must be greater than 0, got 0"]),
    Case("sft-learning-rate-nan", [*SFT, "--learning-rate", "nan"], ["--learning-rate must be a finite number"]),
    Case("sft-save-steps", [*SFT, "--save-steps", "-5"], ["--save-steps must be at least 0, got -5"]),
    Case("eval-temperature", [*EVAL, "--temperature", "-1"], ["--temperature must be at least 0"]),
    Case("eval-system-prompt-in-a-text-template", [*EVAL, "--template", "plain", "--system-prompt", "Be brief."],
         ["--system-prompt needs --template chat", "plain template has no system turn"]),
    Case("grpo-system-prompt-on-task-rows", [*GRPO, "--system-prompt", "Be brief."],
         ["--system-prompt needs --template chat"]),
    Case("grpo-vllm-rollouts-without-a-gpu", [*GRPO, "--use-vllm", "true"],
         ["--use-vllm true needs a CUDA GPU", "--use-vllm false"]),
    Case("eval-num-samples-huge", [*EVAL, "-k", str(10**20)], ["--num-samples must be in [1, ", "memory"]),
    Case("distill-jsd-beta", [*DISTILL, "--jsd-beta", "2"], ["--jsd-beta must be in [0, 1], got 2"]),
    Case("data-chat-prefix-ends-with-a-user-turn", [*DATA, "-d", "task:arith?n=2", "--chat-prefix",
                                                     "prefix-ends-with-user.jsonl"],
         ["--chat-prefix prefix-ends-with-user.jsonl", "ends with a user turn"]),
    Case("data-chat-prefix-unknown-role", [*DATA, "-d", "task:arith?n=2", "--chat-prefix", "prefix-bad-role.jsonl"],
         ["--chat-prefix prefix-bad-role.jsonl: line 2", "role"]),
    Case("data-chat-prefix-system-turn-late", [*DATA, "-d", "task:arith?n=2", "--chat-prefix",
                                               "prefix-late-system.jsonl"], ["line 2 is a system turn", "first"]),
    Case("data-chat-prefix-missing", [*DATA, "-d", "task:arith?n=2", "--chat-prefix", "nope.jsonl"],
         ["--chat-prefix nope.jsonl: no such file"]),
    Case("data-limit-zero", [*DATA, "-d", "task:arith", "--limit", "0"], ["--limit must be at least 1, got 0"]),
    Case("tiny-model-layers", ["tiny-model", "--layers", "33", "-o", "out"], ["--layers must be in [1, 32]"]),
    # --- options, choices, YAML files
    Case("unknown-option", [*DATA, "--datasett", "x"], ["--datasett"]),
    Case("not-a-number", [*DATA, "-d", "task:arith", "--limit", "many"], ["--limit", "integer"]),
    Case("unknown-choice", [*GRPO, "--template", "R1-ZERO"], ["--template", "choose from", "r1-zero"]),
    Case("unknown-command", ["nosuch"], ["nosuch"]),
    Case("yaml-malformed", [*DATA, "-c", "bad.yaml"], ["malformed YAML in bad.yaml at line 2"]),
    Case("yaml-unknown-key", [*DATA, "-c", "unknown.yaml"], ["unknown option 'datset'", "dataset"]),
    Case("yaml-wrong-type", [*SFT, "-c", "list.yaml"], ["--learning-rate expects a number"]),
    Case("yaml-not-text", [*SFT, "-c", "binary.yaml"], ["binary.yaml is not UTF-8"]),
    Case("yaml-key-twice", [*DATA, "-d", "ok.jsonl", "-c", "twice.yaml"], ["twice.yaml at line 2",
                                                                             "key 'limit' is given twice"]),
    Case("yaml-true-for-a-count", [*DATA, "-d", "ok.jsonl", "-c", "flag.yaml"], ["--limit expects an integer"]),
    Case("yaml-a-folder", [*SFT, "-c", "."], ["config file not found"]),
    Case("yaml-another-stages-recipe", [*DATA, "-c", "grpo.yaml"], ["grpo.yaml", "grpo"]),
    Case("required-left-out", ["grpo", "-d", "task:arith", "-o", "out"], ["--model is required"]),
    # --- rewards
    Case("reward-unknown", [*GRPO, "--reward", "nosuch"], ["unknown reward 'nosuch'", "accuracy"]),
    Case("reward-weight", [*GRPO, "--reward", "accuracy:abc"], ["weight 'abc'", "accuracy:0.5"]),
    Case("reward-every-weight-0", [*GRPO, "--reward", "accuracy:0", "--reward", "format:0"],
         ["every reward has weight 0", "--reward NAME:WEIGHT"]),
    Case("reward-parameter", [*GRPO, "--reward", "accuracy(foo=1)"], ["reward 'accuracy'", "'foo'"]),
    # --- eval
    Case("eval-unknown-benchmark", [*EVAL_WITHOUT_BENCHMARK, "-b", "nope"], ["unknown benchmark 'nope'"]),
    Case("eval-benchmark-unknown-key", [*EVAL_WITHOUT_BENCHMARK, "-b", "livecodebench?from=2024"],
         ["benchmark livecodebench", "unknown key 'from'"]),
    Case("eval-private-tests-pickle-global", [*EVAL_WITHOUT_BENCHMARK, "-b", "lcb-pickle.jsonl"],
         ["lcb-pickle.jsonl row 0", "names builtins.print"]),
    Case("rs-private-tests-pickle-global", [*RS, "-d", "lcb-pickle.jsonl"],
         ["lcb-pickle.jsonl row 0", "names builtins.print"]),
    Case("eval-only-commas", [*EVAL_WITHOUT_BENCHMARK, "-b", ",,,"], ["--benchmark is required"]),
    Case("eval-data-file-for-two", [*EVAL_WITHOUT_BENCHMARK, "-b", "gsm8k,math500", "--data-file", "ok.jsonl"],
         ["single"]),
    Case("eval-without-model", ["eval", "-b", "gsm8k", "-o", "out"], ["--model is required"]),
    Case("eval-without-benchmark", EVAL_WITHOUT_BENCHMARK, ["--benchmark is required"]),
    Case("eval-generations-missing", ["eval", "--generations", "missing.jsonl", "-o", "out"],
         ["generations file not found"]),
    Case("eval-generations-empty", ["eval", "--generations", "empty.jsonl", "-o", "out"], ["has no rows"]),
    Case("eval-data-dir-missing", [*EVAL_WITHOUT_BENCHMARK, "-b", "gsm8k", "--data-dir", "nodir"],
         ["nodir/gsm8k/test.jsonl", "--data-dir"]),
    # --- data files: the file, the line, the key
    Case("data-file-missing", [*DATA, "-d", "nope.jsonl"], ["data file not found: nope.jsonl"]),
    Case("data-unsupported-file", [*DATA, "-d", "notes.txt"], ["notes.txt", ".jsonl"]),
    Case("data-unicode-path", [*DATA, "-d", "données/été.jsonl"], ["données/été.jsonl"]),
    Case("data-hub-offline", [*DATA, "-d", "no-org/no-dataset-r1cli"], ["hub cannot be reached"]),
    Case("data-empty-file", [*DATA, "-d", "empty.jsonl"], ["empty.jsonl is empty"]),
    Case("data-blank-lines", [*DATA, "-d", "blank.jsonl"], ["blank.jsonl has no rows"]),
    Case("data-csv-header-only", [*DATA, "-d", "header.csv"], ["header.csv has no rows"]),
    Case("data-no-prompt-column", [*DATA, "-d", "nocol.jsonl"], ["no prompt column", "?prompt="]),
    Case("jsonl-bad-line", [*DATA, "-d", "bad.jsonl"], ["bad.jsonl", "line 3"]),
    Case("json-not-json", [*DATA, "-d", "text.json"], ["text.json", "line 1", "not valid JSON"]),
    Case("csv-extra-field", [*DATA, "-d", "bad.csv"], ["bad.csv", "line 3", "fields"]),
    Case("not-utf8", [*DATA, "-d", "latin1.jsonl"], ["latin1.jsonl", "line 1", "UTF-8"]),
    Case("parquet-garbage", [*DATA, "-d", "bad.parquet"], ["bad.parquet", "Parquet"]),
    Case("jsonl-null-line", [*DATA, "-d", "null.jsonl"], ["null.jsonl", "line 1", "not an object"]),
    Case("split-flag-empty", [*DATA, "-d", "ok.jsonl", "--split", ""], ["--split is empty"]),
    Case("config-key-on-file", [*DATA, "-d", "ok.jsonl?config=main"], ["key 'config'", "hub"]),
    Case("spec-without-source", [*DATA, "-d", "?split=train"], ["names no source"]),
    Case("spec-key-without-value", [*DATA, "-d", "ok.jsonl?answer="], ["key 'answer'", "no value"]),
    Case("split-key-on-file", [*DATA, "-d", "ok.jsonl?split=bogus"], ["split 'bogus'", "train"]),
    Case("split-flag-on-file", [*DATA, "-d", "ok.jsonl", "--split", "test"], ["split 'test'", "--split"]),
    Case("limit-key-zero", [*DATA, "-d", "ok.jsonl?limit=0"], ["'limit'", ">= 1"]),
    Case("spec-unknown-key", [*DATA, "-d", "ok.jsonl?foo=1"], ["unknown key(s) foo", "split"]),
    Case("spec-key-twice", [*DATA, "-d", "task:arith?n=5&n=6"], ["key 'n'", "more than once"]),
    Case("template-missing-column", [*DATA, "-d", "ok.jsonl?prompt={Body} {Qestion}"],
         ["column 'Qestion'", "key 'prompt'", "Body, Question"]),
    Case("column-ambiguous", [*DATA, "-d", "twocase.jsonl?prompt=question"], ["ambiguous", "Question", "QUESTION"]),
    Case("column-missing", [*DATA, "-d", "ok.jsonl?answer=gold"], ["column 'gold'", "key 'answer'", "Answer"]),
    # --- built-in tasks: key types, ranges, sizes that cannot fit
    Case("task-unknown", [*DATA, "-d", "task:nosuch"], ["unknown task 'nosuch'", "arith"]),
    Case("task-key-unknown", [*DATA, "-d", "task:arith?steps=x"], ["steps"]),
    Case("task-n-caret", [*DATA, "-d", "task:arith?n=10^23"], ["key 'n'", "whole number"]),
    Case("task-n-huge", [*DATA, "-d", "task:arith?n=1e30"], ["key 'n'", "at most", "memory"]),
    Case("task-n-unreachable", [*DATA, "-d", "task:arith?n=2000&split=test"], ["key 'n'", "test problems",
                                                                               "max or steps"]),
    Case("task-n-over-capacity", [*DATA, "-d", "task:arith?n=5000&max=3"], ["key 'n'", "at most", "max=3"]),
    Case("task-float-range", [*DATA, "-d", "task:arith?slip=2"], ["key 'slip'", "at most 1"]),
    Case("task-split", [*DATA, "-d", "task:arith?split=bogus"], ["key 'split'", "train or test"]),
    # --- dataset mixtures
    Case("mixing-weight-not-a-number", ["sft", "-m", "tiny", "-d", "task:arith?n=8:abc", "-o", "out"], ["mixing weight", "'abc'"]),
    Case("mixing-weight-negative", ["sft", "-m", "tiny", "-d", "ok.jsonl:-1", "-o", "out"], ["mixing weight", "positive"]),
]


# ---------------------------------------------------------------------------------------------- the runs


def _env(root: Path) -> dict[str, str]:
    # No hub (the machine may have one; a case must not depend on it), and a hub cache outside the folder.
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(root.parent / f"{root.name}-hf"),
            "PYTHONPATH": str(Path(__file__).parents[1]), "COLUMNS": "200"}


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in root.rglob("*")}


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    before: dict[str, bytes | None]
    after: dict[str, bytes | None]
    seconds: float


def _run(case: Case, root: Path, tiny: str) -> Outcome:
    root.mkdir(parents=True)
    for name, content in FILES.items():
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    cleanup = case.setup(root, tiny) if case.setup else None
    try:
        before = _tree(root)
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "r1cli", *case.args], cwd=root, env={**_env(root), **case.env},
                              capture_output=True, text=True, timeout=300)
        seconds = time.monotonic() - t0
        after = _tree(root)
    finally:
        if cleanup:
            cleanup()
    return Outcome(proc.returncode, proc.stdout, proc.stderr, before, after, seconds)


@pytest.fixture(scope="module")
def outcomes(request, tiny_model, tmp_path_factory) -> dict[str, Outcome]:
    """Run the selected cases, a few at a time (the tiny model is built first, so no case builds it)."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if getattr(item, "originalname", None) == "test_bad_input" and hasattr(item, "callspec")}
    base = tmp_path_factory.mktemp("bad-input")
    todo = [c for c in CASES if c.id in selected]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda c: _run(c, base / c.id, tiny_model), todo)
        return {c.id: r for c, r in zip(todo, results, strict=True)}


def test_case_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, outcomes):
    out = outcomes[case.id]
    shown = f"exit {out.code}\nstdout:\n{out.stdout}\nstderr:\n{out.stderr}"
    assert out.code == 2, shown
    assert "Traceback" not in out.stdout + out.stderr, shown
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and out.stderr.rstrip().endswith(errors[0]), shown
    for word in case.words:
        assert word in errors[0], (word, errors[0])
    assert sorted(set(out.after) - set(out.before)) == [], "left behind"
    assert [p for p in out.before if out.after.get(p, b"gone") != out.before[p]] == [], "earlier work changed"
