"""The device this process computes on, below both the trainers (precision, threads) and the generation
engines (where transformers places a model), so neither reaches into the other for it."""

from __future__ import annotations


def device_type() -> str:
    """'cuda' when a CUDA GPU is visible, else 'cpu' (Apple MPS is treated as CPU: fp32, no mixed precision)."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


SMALL_MODEL_PARAMS = 50_000_000


def limit_cpu_threads(model) -> None:
    """On CPU, run small models (< 50M parameters) on one intra-op thread, to train or to sample.

    Their matrices are too small for threads to pay off, and on a shared machine extra threads make each
    step several times slower (measured on a busy 2-core box: 0.23 s -> 2.2 s a training step for the tiny
    model; sampling 128 worded completions with the hf engine, 4.1 s on one thread against 10.3 s on two).
    An explicit OMP_NUM_THREADS is respected.
    """
    import os

    import torch

    if device_type() != "cpu" or os.environ.get("OMP_NUM_THREADS"):
        return
    if sum(p.numel() for p in model.parameters()) < SMALL_MODEL_PARAMS:
        torch.set_num_threads(1)
