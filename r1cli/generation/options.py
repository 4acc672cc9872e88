"""The sampling options, declared once: `r1 eval` and the curation stages (reject-sample, coldstart, distill)
inherit them (and grpo and align the decoding ones, for their rollouts), so a flag that means the same in both has one name, one help text and one bound. A stage with
another default takes `config.defaults(SamplingOptions, ...)`."""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.config import TOKENS, option
from r1cli.models import remote_code_option
from r1cli.templates import AUTO_HELP, CHOICES

MAX_SAMPLES = 10_000


def _engines() -> list[str]:
    from r1cli.generation import ENGINES

    return list(ENGINES)


@dataclass
class DecodingOptions:
    """How a prompt is rendered and decoded: shared by the sampling stages and GRPO's rollouts."""

    temperature: float = option(0.6, "Sampling temperature (the paper: 0.6; 0: greedy, which grpo and align "
                                "refuse: their rollouts are sampled).", min=0)
    top_p: float = option(0.95, "Nucleus sampling top-p (the paper: 0.95).", min=0, max=1, min_open=True)
    max_completion_length: int = option(
        2048, "Most new tokens per response (the paper: 32768); a longer one is truncated (and rejected by the "
        "curation stages).", min=1, **TOKENS)
    template: str = option(
        "auto", "How prompts are rendered for the model: chat (its chat template, with the boxed-answer "
        "instruction), r1-zero (the paper's prompt for base models; only when asked for), boxed (that "
        f"instruction as text) or plain (the text as is); {AUTO_HELP}. r1 eval refines auto per benchmark "
        "(code problems ask for a fenced block, multiple choice keeps its own prompt).", choices=CHOICES)
    system_prompt: str | None = option(None, "System prompt for the chat template.")


@dataclass
class SamplingOptions(DecodingOptions):
    """How a model is sampled (the model and the prompts are the stage's own options)."""

    trust_remote_code: bool = remote_code_option()

    num_samples: int | None = option(
        4, "Samples per prompt, K (the paper: 64 for AIME, 4-16 elsewhere). r1 eval --generations: the first K "
        "completions of each row (default: all).", short="-k", min=1, max=MAX_SAMPLES,
        max_reason="every prompt's samples are held in memory together")
    seed: int = option(0, "Seed of sampling (and of curation's random per-prompt pick); the same seed gives the "
                       "same samples.", min=0, max=2**32 - 1)
    prefill: str = option("", "Text the response starts with, e.g. '<think>\\n' (\\n is a newline); part of the "
                          "response (and of the answer scored).")
    engine: str = option("auto", "Generation engine: auto (vLLM if it loads, else transformers), vllm, server, hf.",
                         choices=_engines)
    server_url: list[str] = option(
        [], "URL of an OpenAI-compatible server, for --engine server. Repeat it to spread the requests over "
        "several servers (a request that fails is retried on another).")
    max_model_len: int | None = option(None, "Context length of the engine (default: the model's).", min=1, **TOKENS)
    shard_size: int = option(64, "Prompts per generation shard: each is kept on disk as it finishes, and --resume "
                             "redoes at most one.", min=1)
