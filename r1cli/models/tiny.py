"""The embedded tiny model: a small Llama built from a config, with a character tokenizer built here.

No download is involved. The vocabulary is printable ASCII plus newline, and the four reasoning tags
`<think>`, `</think>`, `<answer>`, `</answer>` as *ordinary* (non-special) tokens: TRL decodes completions
with `skip_special_tokens=True`, and special tags would vanish before the rewards see them. The same seed
gives the same weights. The folder it writes is a plain Hugging Face checkpoint that transformers, TRL
and vLLM all load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from r1cli.templates import CHAT_TEMPLATE

TAGS = ["<think>", "</think>", "<answer>", "</answer>"]
PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"


# The embedded model is a test model: these caps keep its largest shape near 0.5B parameters (2 GB in fp32).
# `r1 tiny-model` declares them on its options, and `--model tiny?layers=...` is checked against them.
SMALL = "the embedded model is a small test model"
BOUNDS = {"seed": (0, 2**32 - 1), "layers": (1, 32), "hidden": (1, 1024), "heads": (1, 32), "intermediate": (1, 4096),
          "max_positions": (1, 32768)}


@dataclass(frozen=True)
class TinySpec:
    """Shape of the tiny Llama. Defaults: ~1.05M parameters, 4 layers, hidden 128."""

    seed: int = 0
    layers: int = 4
    hidden: int = 128
    heads: int = 4
    intermediate: int = 512
    max_positions: int = 2048

    @property
    def key(self) -> str:
        return f"s{self.seed}-l{self.layers}-h{self.hidden}-a{self.heads}-i{self.intermediate}-p{self.max_positions}"


def vocabulary() -> list[str]:
    chars = [chr(c) for c in range(32, 127)] + ["\n"]
    return [PAD, BOS, EOS, UNK] + chars + TAGS


def build_tokenizer():
    """A character-level fast tokenizer whose reasoning tags are single, non-special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(vocabulary())}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # Every character is its own piece; the tags are matched whole first as added tokens.
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.post_processor = TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A $B",
                                            special_tokens=[(BOS, vocab[BOS])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   unk_token=UNK, model_max_length=2048, clean_up_tokenization_spaces=False)
    from tokenizers import AddedToken

    fast.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAGS])
    fast.chat_template = CHAT_TEMPLATE  # "user: ...\nassistant: ...</s>": SFT teaches the model to stop
    return fast


def build(out_dir: str | Path, spec: TinySpec = TinySpec()) -> Path:
    """Write a freshly initialised tiny Llama and its tokenizer to `out_dir` (deterministic in spec.seed)."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    out = Path(out_dir)
    tokenizer = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden,
        intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=spec.max_positions,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        torch_dtype="float32",
    )
    torch.manual_seed(spec.seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(bos_token_id=tokenizer.bos_token_id,
                                               eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "r1_tiny.json").write_text(json.dumps(spec.__dict__, indent=2))
    return out


def count_parameters(spec: TinySpec) -> int:
    """Parameter count of the tiny Llama (tied embeddings), without building it."""
    v, h, i = len(vocabulary()), spec.hidden, spec.intermediate
    per_layer = 4 * h * h + 3 * h * i + 2 * h
    return v * h + spec.layers * per_layer + h
