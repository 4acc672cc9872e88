"""The Hugging Face hub, when it can be reached. Without a network, fail fast instead of retrying."""

from __future__ import annotations

import os
import socket
from functools import cache
from urllib.parse import urlparse


@cache
def reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def go_offline_if_unreachable() -> bool:
    """Switch the hub libraries to offline mode (local cache only) when the hub cannot be reached."""
    if reachable():
        return False
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import huggingface_hub.constants as hc

        hc.HF_HUB_OFFLINE = True
    except ImportError:
        pass
    try:
        import datasets.config as dc

        dc.HF_HUB_OFFLINE = True
    except ImportError:
        pass
    return True
