"""Shared generation core: sample completions from a model with vLLM, an OpenAI-compatible server or
transformers, behind one API that every stage (eval, cold start, rejection sampling, distillation) uses.

    from r1cli.generation import Sampling, open_engine, generate

    with open_engine("tiny") as eng:                       # one engine load, many calls
        outs = eng.generate(["2+2="], Sampling(n=4, max_new_tokens=32))
    outs = generate("tiny", prompts, Sampling(), shard_dir=Path("runs/x/gen"), resume=True)

`outs[i][j]` is completion j of prompt i: a `Completion(text, num_tokens, finish_reason)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from r1cli import log
from r1cli.errors import UserError
from r1cli.generation.base import Completion, Engine, Prompt, Sampling, prompt_seed
from r1cli.generation.shards import DEFAULT_SHARD_SIZE, generate

ENGINES = ("auto", "vllm", "server", "hf")

__all__ = ["ENGINES", "DEFAULT_SHARD_SIZE", "Completion", "Engine", "Prompt", "Sampling", "generate",
           "open_engine", "prompt_seed"]


def open_engine(model: str, engine: str = "auto", *, max_model_len: int | None = None, dtype: str = "auto",
                tensor_parallel_size: int = 1, gpu_memory_utilization: float = 0.9,
                server_url: str | Sequence[str] | None = None, serve: bool = False, hf_batch_size: int = 64,
                seed: int = 0, trust_remote_code: bool = False) -> Engine:
    """Load `model` (any reference `r1cli.models.resolve` accepts) into a generation engine.

    engine: `vllm` (offline vLLM), `server` (HTTP client of OpenAI-compatible servers: `server_url`, one URL
    or several that share the requests, and/or one we start with `serve=True`), `hf` (transformers), or
    `auto`: the server when a URL or `serve` is given, else vLLM when it is installed and loads the model,
    else transformers (the reason is logged).
    A model's own code (config.json's auto_map) runs only with `trust_remote_code`, in every engine.
    Use the result as a context manager, or call `.close()`.
    """
    from r1cli.models import resolve

    if engine not in ENGINES:
        raise UserError(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")
    path = resolve(model, trust_remote_code=trust_remote_code)
    vllm_kwargs = dict(max_model_len=max_model_len, dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                       gpu_memory_utilization=gpu_memory_utilization, seed=seed, trust_remote_code=trust_remote_code)
    if engine == "server" or (engine == "auto" and (server_url or serve)):
        from r1cli.generation.server_engine import ServerEngine

        return ServerEngine(path, server_url=server_url, serve=serve, **vllm_kwargs)
    if engine in ("vllm", "auto"):
        from r1cli.generation import vllm_engine

        if not vllm_engine.available():
            if engine == "vllm":
                raise UserError("vLLM is not installed (pip install r1cli[cpu] or r1cli[gpu], or use --engine hf)")
            log.info("vLLM is not installed; generating with transformers")
        else:
            try:
                return vllm_engine.VLLMEngine(path, **vllm_kwargs)
            except Exception as err:  # noqa: BLE001 - auto falls back, explicit vllm reports
                if engine == "vllm":
                    raise
                log.warn("vLLM could not load %s (%s: %s); generating with transformers instead",
                         path, type(err).__name__, str(err).splitlines()[0] if str(err) else "")
    from r1cli.generation.hf_engine import HFEngine

    return HFEngine(path, max_model_len=max_model_len, dtype=dtype, batch_size=hf_batch_size, seed=seed,
                    trust_remote_code=trust_remote_code)
