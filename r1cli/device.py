"""The device this process computes on, below both the trainers (precision, threads) and the generation
engines (where transformers places a model), so neither reaches into the other for it."""

from __future__ import annotations


def device_type() -> str:
    """'cuda' when a CUDA GPU is visible, else 'cpu' (Apple MPS is treated as CPU: fp32, no mixed precision)."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
