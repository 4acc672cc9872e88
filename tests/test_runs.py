"""Run folders: manifests, atomic publication, resume and overwrite rules."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from r1cli import runs
from r1cli.errors import UserError


@dataclass
class Opts:
    lr: float = 0.1


def test_manifest_records_options_inputs_versions_and_metrics(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "a", "answer": "1"}\n')
    upstream = tmp_path / "up"
    with runs.run_dir("data", upstream, Opts()) as run:
        run.metrics = {"rows": 1}
    with runs.run_dir("sft", tmp_path / "out", Opts(lr=0.5)) as run:
        run.add_input("dataset", str(src))
        run.add_input("dataset", str(upstream))
        run.add_input("model", "tiny")
        run.metrics = {"loss": 0.25}
    m = json.loads((tmp_path / "out" / runs.MANIFEST).read_text())
    assert m["stage"] == "sft" and m["options"] == {"lr": 0.5} and m["metrics"] == {"loss": 0.25}
    assert m["inputs"][0]["sha256"] and m["inputs"][0]["kind"] == "dataset"
    assert m["inputs"][1]["upstream_manifest"]["stage"] == "data"
    assert {"torch", "transformers", "trl", "r1cli"} <= set(m["versions"])
    assert m["started"] <= m["finished"] and m["host"]


def test_every_published_file_has_the_umask_mode_whoever_wrote_it(tmp_path):
    """A writer that creates private files (as transformers' weights writer does) does not leave them private."""
    import os

    mask = os.umask(0o022)
    try:
        with runs.run_dir("x", tmp_path / "out", Opts()) as run:
            (run.path / "sub").mkdir()
            for name in ("weights.bin", "sub/shard.bin"):
                fd = os.open(run.path / name, os.O_WRONLY | os.O_CREAT, 0o600)
                os.close(fd)
            (run.path / "config.json").write_text("{}")
    finally:
        os.umask(mask)
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in (tmp_path / "out").rglob("*")
             if p.is_file()}
    assert len(modes) == 4 and set(modes.values()) == {0o644}, modes


def test_crash_leaves_no_output_folder(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with runs.run_dir("x", out, Opts()) as run:
            (run.path / "half.txt").write_text("partial")
            raise RuntimeError("killed mid-write")
    assert not out.exists() and not runs.lock_path(out).exists()
    assert (tmp_path / "out.partial" / "half.txt").exists()  # kept for --resume only
    with runs.run_dir("x", out, Opts(), resume=True) as run:
        assert (run.path / "half.txt").exists()
    assert (out / "half.txt").exists() and not (tmp_path / "out.partial").exists()


def test_a_run_that_fails_before_writing_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(UserError):
        with runs.run_dir("x", out, Opts()) as run:
            (run.path / "empty-subfolder").mkdir()
            raise UserError("bad input found once the folder existed")
    assert list(tmp_path.iterdir()) == []


def test_stale_partial_is_cleared_without_resume(tmp_path):
    (tmp_path / "o.partial").mkdir()
    (tmp_path / "o.partial" / "stale").write_text("x")
    with runs.run_dir("x", tmp_path / "o", Opts()) as run:
        assert not (run.path / "stale").exists()


def test_existing_output_needs_overwrite_and_is_kept_until_the_new_run_succeeds(tmp_path):
    with runs.run_dir("x", tmp_path / "o", Opts()) as run:
        (run.path / "model.bin").write_text("old")
    with pytest.raises(UserError, match="already exists"):
        with runs.run_dir("x", tmp_path / "o", Opts()):
            pass
    with pytest.raises(RuntimeError):
        with runs.run_dir("x", tmp_path / "o", Opts(lr=2.0), overwrite=True) as run:
            (run.path / "model.bin").write_text("new, unfinished")
            raise RuntimeError("crashed")
    assert (tmp_path / "o" / "model.bin").read_text() == "old"
    with runs.run_dir("x", tmp_path / "o", Opts(lr=2.0), overwrite=True) as run:
        (run.path / "model.bin").write_text("new")
    assert runs.read_manifest(tmp_path / "o")["options"]["lr"] == 2.0
    assert (tmp_path / "o" / "model.bin").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no .partial, .replaced or .lock left


def test_an_interrupted_runs_checkpoints_or_shards_need_resume_or_overwrite(tmp_path):
    out = tmp_path / "o"
    work = runs.partial_path(out)
    for k in (100, 500):
        (work / f"checkpoint-{k}").mkdir(parents=True)
    with pytest.raises(UserError, match="holds checkpoint-500 .*pass --resume to continue or --overwrite"):
        with runs.run_dir("x", out, Opts()):
            pass
    assert (work / "checkpoint-500").is_dir() and not runs.lock_path(out).exists()
    with runs.run_dir("x", out, Opts(), resume=True) as run:
        assert (run.path / "checkpoint-500").is_dir()

    evals = tmp_path / "e"
    shards = runs.partial_path(evals) / "shards" / "gsm8k"
    shards.mkdir(parents=True)
    for k in range(2):
        (shards / f"shard-{k:05d}.jsonl").write_text("{}\n")
    with pytest.raises(UserError, match="holds 2 generation shards"):
        with runs.run_dir("x", evals, Opts()):
            pass
    with runs.run_dir("x", evals, Opts(), overwrite=True) as run:
        assert [p.name for p in run.path.iterdir()] == [runs.STARTED]  # --overwrite discarded them


def test_an_output_is_owned_by_one_run_at_a_time(tmp_path):
    import os

    out = tmp_path / "o"
    with runs.run_dir("sft", out, Opts()):
        owner = json.loads(runs.lock_path(out).read_text())
        assert owner["pid"] == os.getpid() and owner["stage"] == "sft"
        with pytest.raises(UserError, match=f"in use by another run \\(r1 sft, pid {os.getpid()} on "):
            with runs.run_dir("eval", out, Opts(), overwrite=True):
                pass
        assert runs.partial_path(out).is_dir()  # the owner's folder is untouched
    assert (out / runs.MANIFEST).exists() and not runs.lock_path(out).exists()


def test_overwrite_replaces_only_an_r1_output(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.tex").write_text("years of work")
    (tmp_path / "file.txt").write_text("a file")
    for name in ("notes", "file.txt"):
        with pytest.raises(UserError, match=f"--output .*{name} exists and is not an r1 output"):
            with runs.run_dir("x", tmp_path / name, Opts(), overwrite=True):
                pass
    assert (tmp_path / "notes" / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "notes"]


def test_an_output_parked_by_a_crashed_publication_is_restored_not_deleted(tmp_path):
    out = tmp_path / "o"
    with runs.run_dir("x", out, Opts()) as run:
        (run.path / "model.bin").write_text("old")
    out.rename(runs.replaced_path(out))  # the crash: parked, the new folder not yet renamed in
    with pytest.raises(RuntimeError):
        with runs.run_dir("x", out, Opts(), overwrite=True):
            raise RuntimeError("the new run fails too")
    assert (out / "model.bin").read_text() == "old"
    with runs.run_dir("x", out, Opts(), overwrite=True) as run:
        (run.path / "model.bin").write_text("new")
    assert (out / "model.bin").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_parts_published_together_are_all_kept_or_all_put_back(tmp_path):
    """A two-part run (traces, then a student trained on them) with --overwrite: when the second part fails,
    the first part's older output comes back; when both succeed, the older outputs are gone."""
    for part in ("a", "b"):
        with runs.run_dir("x", tmp_path / part, Opts()) as run:
            (run.path / "v").write_text("old")
    with pytest.raises(RuntimeError):
        with runs.together():
            with runs.run_dir("x", tmp_path / "a", Opts(), overwrite=True) as run:
                (run.path / "v").write_text("new")
            assert (tmp_path / "a" / "v").read_text() == "new"
            with runs.run_dir("x", tmp_path / "b", Opts(), overwrite=True):
                raise RuntimeError("the second part fails")
    assert [(tmp_path / p / "v").read_text() for p in "ab"] == ["old", "old"]
    with runs.together():
        for part in "ab":
            with runs.run_dir("x", tmp_path / part, Opts(), overwrite=True) as run:
                (run.path / "v").write_text("new")
    assert [(tmp_path / p / "v").read_text() for p in "ab"] == ["new", "new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_resume_refuses_another_stages_or_options_work(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(RuntimeError):
        with runs.run_dir("sft", out, Opts(lr=0.1)) as run:
            (run.path / "checkpoint-4").mkdir()
            (run.path / "checkpoint-4" / "trainer_state.json").write_text("{}")
            raise RuntimeError("killed")
    with pytest.raises(UserError, match="is a run of r1 sft, not of r1 align"):
        with runs.run_dir("align", out, Opts(lr=0.1), resume=True):
            pass
    with pytest.raises(UserError, match="other options \\(--lr 0.1 -> 0.5\\)"):
        with runs.run_dir("sft", out, Opts(lr=0.5), resume=True):
            pass
    assert (runs.partial_path(out) / "checkpoint-4" / "trainer_state.json").exists()
    with runs.run_dir("sft", out, Opts(lr=0.1), resume=True) as run:
        assert (run.path / "checkpoint-4").is_dir()
    assert not (out / runs.STARTED).exists() and runs.read_manifest(out)["stage"] == "sft"


def test_a_full_disk_is_one_line_and_leaves_no_half_written_folder(tmp_path):
    import errno

    out = tmp_path / "o"
    with pytest.raises(UserError, match="no space left on the device of .*o .*free some space"):
        with runs.run_dir("x", out, Opts()) as run:
            (run.path / "half.jsonl").write_text('{"a": 1}\n')
            raise OSError(errno.ENOSPC, "No space left on device", str(run.path / "half.jsonl"))
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_another_stages_run_inside_an_input_folder_is_refused(tmp_path):
    """`r1 report RUNS -o RUNS/sft --overwrite` would delete a run it reports on."""
    from r1cli.stages import report

    with runs.run_dir("sft", tmp_path / "runs" / "sft", Opts()):
        pass
    with pytest.raises(UserError, match="is a sft run inside .*runs, the input of RUNS_DIR"):
        with runs.run_dir("report", tmp_path / "runs" / "sft", report.Config(runs_dir=str(tmp_path / "runs")),
                          overwrite=True):
            pass
    assert runs.read_manifest(tmp_path / "runs" / "sft")["stage"] == "sft"


# ------------------------------------------------------------------------------------------- fingerprints


def test_fingerprint_hashes_every_weights_shard_and_reads_upstream_manifests(tmp_path):
    import hashlib

    model = tmp_path / "model"
    with runs.run_dir("sft", model, Opts()) as run:
        for k in (1, 2):
            (run.path / f"model-0000{k}-of-00002.safetensors").write_bytes(bytes([k]) * (1000 + k))
    rec = runs.fingerprint(str(model))
    assert rec["upstream_manifest"]["stage"] == "sft"
    assert sorted(rec["weights"]) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    for name, digest in rec["weights"].items():
        content = (model / name).read_bytes()
        assert digest == {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    assert runs.fingerprint("tiny") == {"spec": "tiny"}  # not a folder: the reference is all there is


def test_a_file_inside_a_run_folder_names_that_run(tmp_path):
    """coldstart --from-review reads the review.jsonl an earlier run wrote: the report links the two."""
    with runs.run_dir("coldstart", tmp_path / "cs", Opts()) as run:
        (run.path / "review.jsonl").write_text('{"id": "a"}\n')
    (tmp_path / "loose.jsonl").write_text('{"id": "a"}\n')
    assert runs.fingerprint(str(tmp_path / "cs" / "review.jsonl"))["upstream_manifest"]["stage"] == "coldstart"
    assert "upstream_manifest" not in runs.fingerprint(str(tmp_path / "loose.jsonl"))


def test_large_files_are_fingerprinted_by_size_and_sampled_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "FULL_HASH_MAX_BYTES", 1000)
    monkeypatch.setattr(runs, "CHUNK_BYTES", 100)
    size = 5000
    a, b, c = tmp_path / "a.bin", tmp_path / "b.bin", tmp_path / "c.bin"
    a.write_bytes(bytes(size))
    b.write_bytes(bytes(size - 1) + b"\x01")  # the last byte lies in the last sampled chunk
    c.write_bytes(bytes(size + 1))
    da, db, dc = (runs.file_digest(p) for p in (a, b, c))
    assert "sha256" not in da and da["bytes"] == size
    assert da == runs.file_digest(a) and len({da["sha256_sampled"], db["sha256_sampled"], dc["sha256_sampled"]}) == 3


# ------------------------------------------------------------------------------- multi-process launches

# Each process of a launch enters run_dir; rank 1 finishes its part later than rank 0.
RANK_SCRIPT = """
import os, sys, time
from r1cli import runs
out, mode = sys.argv[1], sys.argv[2]
rank = int(os.environ["RANK"])
with runs.run_dir("x", out, {"mode": mode}, overwrite=mode == "overwrite") as run:
    assert not (run.path / "stale.txt").exists(), "the stale partial folder was not cleared before entry"
    run.add_input("dataset", __file__)
    if mode == "fail" and rank == 1:
        raise RuntimeError("rank 1 broke")
    time.sleep(1.0 * rank)
    (run.path / f"rank{rank}.txt").write_text("written by rank %d" % rank)
    run.metrics = {"rank": rank}
print("published to", run.path)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch_ranks(tmp_path, out, mode: str, world: int = 2) -> list[tuple[int, str]]:
    """Run RANK_SCRIPT in `world` real processes, with the environment torchrun gives its workers."""
    import os
    import subprocess
    import sys

    script = tmp_path / "rank_script.py"
    script.write_text(RANK_SCRIPT)
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, str(script), str(out), mode], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": str(world),
                                   "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
             for r in range(world)]
    return [(p.wait(timeout=120), p.stdout.read()) for p in procs]


def test_two_ranks_share_one_folder_that_the_main_rank_publishes_after_both_finished(tmp_path):
    out = tmp_path / "out"
    runs.partial_path(out).mkdir()
    (runs.partial_path(out) / "stale.txt").write_text("from a crashed run")
    results = _launch_ranks(tmp_path, out, "ok")
    assert [rc for rc, _ in results] == [0, 0], results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "rank_script.py"]  # published once, no leftovers
    assert (out / "rank0.txt").exists() and (out / "rank1.txt").exists()  # rank 1 wrote 1 s after rank 0
    m = runs.read_manifest(out)
    assert m["world_size"] == 2 and m["metrics"] == {"rank": 0} and len(m["inputs"]) == 1
    assert all(f"published to {out}" in log for _, log in results)


def test_a_failing_rank_stops_publication_and_every_rank_reports_it(tmp_path):
    out = tmp_path / "out"
    results = _launch_ranks(tmp_path, out, "fail")
    assert all(rc != 0 for rc, _ in results)
    assert "rank 1 broke" in results[1][1] and "process 1 failed (rank 1 broke)" in results[0][1]
    assert not out.exists() and (runs.partial_path(out) / "rank0.txt").exists()  # kept for --resume


def test_a_refusal_of_the_main_rank_stops_the_others_with_the_same_message(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    results = _launch_ranks(tmp_path, out, "ok")
    assert all(rc != 0 and "already exists" in log for rc, log in results)
    assert not runs.partial_path(out).exists()


def _accelerate_launch(tmp_path, stage_args: list[str]):
    """`accelerate launch` of an r1 stage in two CPU processes (gloo). `--multi_gpu` selects the torchrun
    launcher, the one that starts several processes (with `--cpu` alone accelerate starts one); without a
    visible GPU the trainer runs them on CPU."""
    import os
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(_free_port()), "-m", "r1cli", *stage_args]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(cmd, env=env, text=True, capture_output=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stderr


def _published_once(tmp_path, out) -> dict:
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no .partial, no .old*
    for name in ("config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl"):
        assert (out / name).stat().st_size > 0, name
    manifest = runs.read_manifest(out)
    assert manifest["world_size"] == 2
    return manifest


@pytest.mark.slow
def test_accelerate_launch_of_sft_trains_in_two_processes_and_publishes_once(tmp_path):
    from r1cli import trainlog

    out, rows, per_device = tmp_path / "sft", 32, 4
    log = _accelerate_launch(tmp_path, ["sft", "--model", "tiny", "--dataset", f"task:arith?n={rows}",
                                        "--output", str(out), "--per-device-train-batch-size", str(per_device),
                                        "--num-train-epochs", "1", "--save-steps", "2"])
    manifest = _published_once(tmp_path, out)
    steps = rows // (per_device * 2)  # one epoch: each optimizer step consumes a batch from each process
    assert manifest["stage"] == "sft" and manifest["metrics"]["steps"] == steps
    assert [r["step"] for r in trainlog.read(out / "metrics.jsonl") if "loss" in r] == list(range(1, steps + 1))
    assert log.count("wrote the fine-tuned model") == 2  # both processes finished


@pytest.mark.slow
def test_accelerate_launch_of_grpo_trains_in_two_processes_and_publishes_once(tmp_path):
    from r1cli import trainlog

    out, prompts, group, per_device = tmp_path / "grpo", 8, 4, 4
    log = _accelerate_launch(tmp_path, ["grpo", "--model", "tiny", "--dataset", f"task:arith?n={prompts}",
                                        "--output", str(out), "--group-size", str(group), "--per-device-train-batch-size",
                                        str(per_device), "--max-completion-length", "8", "--template", "plain",
                                        "--max-steps", "2", "--save-steps", "1"])
    manifest = _published_once(tmp_path, out)
    assert manifest["stage"] == "grpo" and manifest["metrics"]["steps"] == 2
    # Each step samples per_device / group prompts in each of the 2 processes: the epoch advances twice as
    # fast as in one process.
    train = [r for r in trainlog.read(out / "metrics.jsonl") if "loss" in r]
    assert [r["epoch"] for r in train] == [pytest.approx(s * 2 * per_device / group / prompts) for s in (1, 2)]
    assert log.count("wrote the GRPO model") == 2


@pytest.mark.slow
def test_accelerate_launch_of_grpo_refills_in_two_processes(tmp_path):
    """--dynamic-sampling refill under 2 processes: the rounds are collective (each process runs as many as
    the one that needs most), and every step's batch still holds informative groups only."""
    from r1cli import trainlog

    # 1 for about a quarter of the completions, by a hash of their text (the rewards run in worker processes,
    # so a random draw would restart with each call): ~1 group in 3 is constant (G=4)
    (tmp_path / "quarter.py").write_text("import zlib\n"
                                         "def quarter(completions, **kwargs):\n"
                                         "    return [float(zlib.crc32(str(c).encode()) % 4 == 0) "
                                         "for c in completions]\n")
    out = tmp_path / "grpo"
    _accelerate_launch(tmp_path, ["grpo", "--model", "tiny", "--dataset", "task:arith?n=64", "--output", str(out),
                                  "--group-size", "4", "--per-device-train-batch-size", "8",
                                  "--max-completion-length", "12", "--template", "plain", "--max-steps", "4",
                                  "--save-steps", "0", "--reward", f"{tmp_path / 'quarter.py'}:quarter",
                                  "--dynamic-sampling", "refill", "--max-generation-rounds", "6"])
    (tmp_path / "quarter.py").unlink()
    _published_once(tmp_path, out)
    train = [r for r in trainlog.read(out / "metrics.jsonl") if "loss" in r]
    assert len(train) == 4 and all(r["frac_groups_dropped"] == 0 for r in train)
    assert sum(r["refill/groups_dropped"] for r in train) > 0 and max(r["refill/rounds"] for r in train) > 1


# ------------------------------------------------------------- the CLI: owners, forgotten --resume, overwrite


def _r1(tmp_path, *argv: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "r1cli", "-q", *argv], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)


def _one_error_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


HOLDER = """
import sys, time
from r1cli import runs
with runs.run_dir("sft", sys.argv[1], {}):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_cli_a_second_run_stops_naming_the_owner_and_a_dead_owners_lock_is_taken_over(tmp_path):
    import socket
    import subprocess
    import sys

    out = tmp_path / "o"
    (tmp_path / "holder.py").write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(tmp_path / "holder.py"), str(out)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        line = _one_error_line(_r1(tmp_path, "data", "--dataset", "task:arith?n=4", "--output", str(out),
                                   "--overwrite"))
        assert f"r1 sft, pid {holder.pid} on {socket.gethostname()}" in line and "--output" in line
        assert runs.partial_path(out).is_dir()
    finally:
        holder.kill()
        holder.wait()
    assert json.loads(runs.lock_path(out).read_text())["pid"] == holder.pid  # a dead owner's file stays...
    done = _r1(tmp_path, "data", "--dataset", "task:arith?n=4", "--output", str(out))
    assert done.returncode == 0, done.stderr  # ...but not its lock
    assert runs.read_manifest(out)["stage"] == "data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holder.py", "o"]


def test_an_option_longer_than_a_file_name_is_no_input_path(tmp_path):
    """A long system prompt is checked as a possible input path like every other string option: a value the
    file system cannot even stat (over 255 bytes) is not one, and the run goes on."""

    @dataclass
    class Prompted:
        system_prompt: str = "Think first, then answer. " * 20
        output: str = ""

    runs.check_output(tmp_path / "out", Prompted(), "eval")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(UserError, match="input of --system-prompt"):
        runs.check_output(tmp_path / "out", Prompted(system_prompt=str(tmp_path / "out" / "x")), "eval")
