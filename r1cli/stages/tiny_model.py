"""r1 tiny-model: write the embedded tiny Llama and its character tokenizer to a folder.

`--model tiny` in any stage builds the same model on first use (cached under $R1_CACHE or
~/.cache/r1cli); this command writes it where you want it, e.g. to start a recipe from a fixed folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option
from r1cli.models.tiny import BOUNDS, SMALL

HELP = "Build the embedded tiny model (a ~1M-parameter Llama with a character tokenizer) into a folder."
EXAMPLE = "r1 tiny-model --output models/tiny --seed 0"



@dataclass
class Config:
    output: str = option("models/tiny", "Folder to write the checkpoint to.", short="-o")
    seed: int = option(0, "Initialisation seed; the same seed gives the same weights.", min=BOUNDS["seed"][0],
                       max=BOUNDS["seed"][1])
    layers: int = option(4, "Number of transformer layers.", min=1, max=BOUNDS["layers"][1], max_reason=SMALL)
    hidden: int = option(128, "Hidden size.", min=1, max=BOUNDS["hidden"][1], max_reason=SMALL)
    heads: int = option(4, "Attention heads (head size = hidden / heads).", min=1, max=BOUNDS["heads"][1],
                        max_reason=SMALL)
    intermediate: int = option(512, "MLP intermediate size.", min=1, max=BOUNDS["intermediate"][1],
                               max_reason=SMALL)
    overwrite: bool = option(False, "Replace the output folder if it exists.")


def run(cfg: Config) -> dict:
    from r1cli import runs
    from r1cli.errors import UserError
    from r1cli.models import tiny

    if cfg.hidden % cfg.heads:
        raise UserError(f"--hidden ({cfg.hidden}) must be divisible by --heads ({cfg.heads})")
    spec = tiny.TinySpec(seed=cfg.seed, layers=cfg.layers, hidden=cfg.hidden, heads=cfg.heads,
                         intermediate=cfg.intermediate)
    with runs.run_dir("tiny-model", cfg.output, cfg, overwrite=cfg.overwrite) as run:
        tiny.build(run.path, spec)
        import json

        n_params = json.loads((run.path / "config.json").read_text())
        run.metrics = {"vocab_size": n_params["vocab_size"], "parameters": tiny.count_parameters(spec)}
    log.info(f"wrote the tiny model to {run.final} ({run.metrics['parameters']:,} parameters)")
    return run.metrics
