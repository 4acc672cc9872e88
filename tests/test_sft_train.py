"""The SFT training core: its options are declared once, and every stage that fine-tunes through it (sft,
distill) offers them with the same names, defaults, help and bounds. The training run itself is exercised end
to end by tests/stages/test_sft.py and tests/stages/test_distill.py."""

from __future__ import annotations

import dataclasses

import pytest

from r1cli import config
from r1cli.sft_train import SFTOptions
from r1cli.stages import distill, sft


@pytest.mark.parametrize("stage", [sft, distill], ids=["sft", "distill"])
def test_every_stage_that_fine_tunes_offers_the_sft_options_unchanged(stage):
    declared = {f.name: f for f in config.fields(SFTOptions)}
    offered = {f.name: f for f in config.fields(stage.Config)}
    assert declared.keys() <= offered.keys()
    for name, f in declared.items():
        assert offered[name].default == f.default and dict(offered[name].metadata) == dict(f.metadata), name


def test_distill_keeps_the_curation_options_of_reject_sample():
    from r1cli.curation.options import CurationOptions

    own = {"dataset"}  # distill's prompts are optional: --traces replaces them
    for f in dataclasses.fields(CurationOptions):
        if f.name not in own:
            ours = next(g for g in dataclasses.fields(distill.Config) if g.name == f.name)
            assert ours.metadata == f.metadata and ours.default == f.default, f.name
