"""Engine-free parts of the generation core: settings, seeds, stop strings, shard files, logit filtering."""

from __future__ import annotations

import pytest
import torch

from r1cli.errors import UserError
from r1cli.generation import Completion, Sampling, prompt_seed
from r1cli.generation.base import PromptFormatter, cut_at_stop
from r1cli.generation.hf_engine import filter_logits
from r1cli.generation.shards import prepare_dir, read_shard, shard_path, write_shard


def test_sampling_defaults_and_validation():
    s = Sampling()
    assert (s.n, s.temperature, s.top_p, s.max_new_tokens, s.seed, s.stop) == (1, 0.6, 0.95, 1024, 0, [])
    assert Sampling(top_k=-1).top_k_or_none is None and Sampling(top_k=0).top_k_or_none is None
    assert Sampling(top_k=None).top_k_or_none is None and Sampling(top_k=5).top_k_or_none == 5
    assert Sampling(stop="x").stop == ["x"]
    for bad in (dict(n=0), dict(max_new_tokens=0), dict(top_p=0.0), dict(temperature=-1), dict(stop=[""])):
        with pytest.raises(UserError):
            Sampling(**bad)


def test_prompt_seed_depends_on_base_and_index_only():
    assert prompt_seed(0, 3) == prompt_seed(0, 3)
    assert len({prompt_seed(0, i) for i in range(1000)}) == 1000
    assert prompt_seed(1, 0) != prompt_seed(0, 0)
    assert prompt_seed(None, 5) is None
    assert all(0 <= prompt_seed(7, i) < 2**30 for i in range(100))


def test_cut_at_stop_takes_earliest():
    assert cut_at_stop("abc</answer>def", ["</answer>"]) == ("abc", True)
    assert cut_at_stop("xx END yy STOP", ["STOP", "END"]) == ("xx ", True)
    assert cut_at_stop("nothing", ["z"]) == ("nothing", False)


def test_formatter_chat_and_prefill(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    fmt = PromptFormatter(tok)
    msgs = [{"role": "user", "content": "2+2?"}]
    ids = fmt.ids(msgs, Sampling(prefill="<think>\n"))
    expected = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) + "<think>\n"
    assert ids == tok(expected, add_special_tokens=False)["input_ids"]
    assert ids.count(tok.bos_token_id) == 1
    # A text prompt with chat_template=True is wrapped as one user message.
    assert fmt.ids("2+2?", Sampling(chat_template=True, prefill="<think>\n")) == ids
    assert fmt.ids("2+2?", Sampling()) == tok("2+2?")["input_ids"]


def test_shard_roundtrip_and_guard(tmp_path):
    comps = [[Completion("a", 2, "stop"), Completion("bb", 3, "length")], [Completion("", 1, "stop")] * 2]
    write_shard(shard_path(tmp_path, 1), 10, comps)
    assert read_shard(shard_path(tmp_path, 1), 10, 2, 2) == comps
    assert read_shard(shard_path(tmp_path, 1), 11, 2, 2) is None  # wrong indices
    assert read_shard(shard_path(tmp_path, 1), 10, 2, 3) is None  # wrong n
    assert read_shard(shard_path(tmp_path, 7), 0, 1, 1) is None  # missing
    meta = {"model": "m", "num_prompts": 2}
    prepare_dir(tmp_path, meta, resume=False)
    assert not shard_path(tmp_path, 1).exists()  # a fresh run clears old shards
    prepare_dir(tmp_path, meta, resume=True)
    with pytest.raises(UserError, match="num_prompts"):
        prepare_dir(tmp_path, {"model": "m", "num_prompts": 3}, resume=True)


def test_filter_logits_top_k_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = lambda s: torch.isfinite(filter_logits(logits, s))[0].tolist()  # noqa: E731
    assert kept(Sampling(temperature=1.0, top_p=1.0, top_k=2)) == [True, True, False, False]
    assert kept(Sampling(temperature=1.0, top_p=0.7)) == [True, True, False, False]
    assert kept(Sampling(temperature=1.0, top_p=0.1)) == [True, False, False, False]
    assert kept(Sampling(temperature=1.0, top_p=1.0)) == [True] * 4


def test_vllm_cpu_environment_by_model_size(tmp_path, monkeypatch, tiny_model):
    """Small machines drop vLLM-CPU's reserved scheduler core only for compute-bound checkpoints; user
    settings win; the variables are set while the engine starts and removed after."""
    import os

    from r1cli.generation import vllm_engine as ve

    monkeypatch.delenv("VLLM_CPU_NUM_OF_RESERVED_CPU", raising=False)
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "model.safetensors", "wb") as f:
        f.truncate(ve.COMPUTE_BOUND_BYTES + 1)  # sparse file: size without the disk space
    monkeypatch.setattr(ve, "usable_cores", lambda: 2)
    assert ve.cpu_defaults(str(big)) == {"VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in ve.cpu_defaults(str(tiny_model))  # overhead-bound: keep it
    monkeypatch.setattr(ve, "usable_cores", lambda: 16)
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in ve.cpu_defaults(str(big))  # big machine: vLLM's default
    monkeypatch.setattr(ve, "usable_cores", lambda: 2)
    monkeypatch.setenv("VLLM_CPU_NUM_OF_RESERVED_CPU", "1")
    assert ve.cpu_defaults(str(big)) == {"VLLM_CPU_KVCACHE_SPACE": "2"}
    monkeypatch.delenv("VLLM_CPU_NUM_OF_RESERVED_CPU")
    with ve.environment(ve.cpu_defaults(str(big))):
        assert os.environ["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in os.environ and "VLLM_CPU_KVCACHE_SPACE" not in os.environ


def test_child_watch_leaves_the_resource_tracker_alone():
    """The multiprocessing resource tracker ignores SIGINT/SIGTERM and exits after its parent, unlinking any
    shared memory left behind: a closing engine must neither wait for it nor kill it."""
    import subprocess
    import sys

    code = (
        "import subprocess, sys\n"
        "from multiprocessing import resource_tracker\n"
        "from r1cli.generation.procs import ChildWatch\n"
        "with ChildWatch() as w:\n"
        "    resource_tracker.ensure_running()\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "watched = {p.pid for p in w.procs}\n"
        "print(resource_tracker._resource_tracker._pid in watched, child.pid in watched)\n"
        "w.reap(grace=0.5)\n"
        "print(child.poll() is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "True", "True"], out.stderr


def test_the_api_server_listens_on_loopback_and_runs_model_code_only_when_trusted():
    from r1cli.generation.server_engine import server_command

    for cpu in (True, False):
        cmd = server_command("m", 8123, cpu=cpu)
        assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8123"
        assert "--trust-remote-code" not in cmd
        assert "--trust-remote-code" in server_command("m", 8123, cpu=cpu, trust_remote_code=True)


def test_the_offline_vllm_engine_runs_model_code_only_when_trusted():
    from vllm.engine.arg_utils import EngineArgs

    from r1cli.generation.vllm_engine import llm_kwargs

    for cpu in (True, False):
        assert EngineArgs(model="m", **llm_kwargs(cpu=cpu)).trust_remote_code is False
        assert EngineArgs(model="m", **llm_kwargs(cpu=cpu, trust_remote_code=True)).trust_remote_code is True


def test_the_transformers_engine_runs_model_code_only_when_trusted(remote_code_model):
    from r1cli.generation import open_engine

    with pytest.raises(UserError, match="--trust-remote-code"):
        open_engine(remote_code_model, "hf")
    with open_engine(remote_code_model, "hf", trust_remote_code=True) as engine:
        assert type(engine.model).__name__ == "R1CustomForCausalLM"
        [[completion]] = engine.generate(["1+1="], Sampling(max_new_tokens=3))
        assert 1 <= completion.num_tokens <= 3

