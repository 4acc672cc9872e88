"""The options of a curation run, declared once: every stage that samples and curates through this core
(reject-sample, coldstart, distill) inherits them, so names, help and bounds cannot drift apart. `curate` reads them by
these names. `LayoutOptions` is for the stages that write the curated responses as traces (reject-sample,
distill); coldstart always re-writes them with a summary."""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.config import TOKENS, option
from r1cli.layout import LAYOUTS
from r1cli.models import remote_code_option
from r1cli.templates import TEMPLATES


def _engines() -> list[str]:
    from r1cli.generation import ENGINES

    return list(ENGINES)


@dataclass
class SamplingOptions:
    """What is sampled and how (the model to sample is the stage's own option)."""

    trust_remote_code: bool = remote_code_option()

    dataset: str | None = option(
        None, "Prompts to sample, a dataset spec (task:NAME?..., a file, a folder, a hub dataset); an answer "
        "column to check against, unless --judge.", short="-d", required=True)
    num_samples: int = option(4, "Responses sampled per prompt.", short="-k", min=1)
    temperature: float = option(0.6, "Sampling temperature.", min=0)
    top_p: float = option(0.95, "Nucleus sampling top-p.", min=0, max=1, min_open=True)
    max_completion_length: int = option(
        2048, "Most new tokens per response; a longer one is truncated and rejected.", min=1, **TOKENS)
    seed: int = option(0, "Seed of sampling and of the random per-prompt pick; the same seed, the same dataset.", min=0, max=2**32 - 1)
    template: str = option("chat", "How prompts are rendered for the model: chat (its chat template, with the "
                           "boxed-answer instruction), r1-zero, boxed or plain.", choices=TEMPLATES)
    prefill: str = option("", "Text the response starts with, e.g. '<think>\\n' (\\n is a newline); part of the "
                          "response.")
    system_prompt: str | None = option(None, "System prompt for the chat template.")
    engine: str = option("auto", "Generation engine: auto (vLLM if it loads, else transformers), vllm, server, hf.",
                         choices=_engines)
    server_url: list[str] = option(
        [], "URL of an OpenAI-compatible server, for --engine server. Repeat it to spread the requests over "
        "several servers (a request that fails is retried on another).")
    max_model_len: int | None = option(None, "Context length of the engine (default: the model's).", min=1, **TOKENS)
    shard_size: int = option(64, "Prompts per generation shard: each is verified while the next is sampled, "
                             "and --resume redoes at most one.", min=1)


@dataclass
class FilterOptions:
    """How samples are checked, filtered, deduplicated and mixed."""

    reward: str | None = option(None, "Reward that checks every row (e.g. accuracy, countdown, code); default: "
                                "each row's own `reward` column, else accuracy.")
    judge: str | None = option(None, "Judge model (any --model reference; with --judge-server-url, the model "
                               "those servers run): shown the question, reference and final answer, it says "
                               "correct or incorrect.")
    judge_server_url: list[str] = option([], "Server(s) running the --judge model (repeatable).")
    judge_when: str = option("unparsable", "When the judge is asked: unparsable (only where the rule reward "
                             "cannot read the answer or has no reference) or always (its verdict decides).",
                             choices=["unparsable", "always"])
    judge_max_completion_length: int = option(256, "Most new tokens of a judge's reply.", min=1, **TOKENS)
    language: str | None = option(None, "Language the reasoning must be written in (en, zh, ...); default: the "
                                  "row's `language` column, else the prompt's language.")
    min_language_consistency: float = option(
        0.9, "Least share of reasoning words in the target language (the language_consistency reward's "
        "measure); 0: off.", min=0, max=1)
    max_paragraph_chars: int = option(3000, "Longest paragraph of the reasoning, in characters; 0: off.", min=0)
    reject_code_blocks: bool = option(True, "Reject fenced code blocks in the reasoning of prompts that are not "
                                      "code problems.")
    max_repetition: float = option(0.5, "Largest share of repeated word 3-grams in the reasoning (the "
                                   "repetition reward's measure); 1: off.", min=0, max=1, min_open=True)
    near_duplicate_threshold: float = option(
        0.85, "Jaccard similarity (MinHash LSH on word 3-grams) at which two responses to one prompt are near "
        "duplicates; 0: off.", min=0, max=1)
    max_per_prompt: int = option(0, "Most responses kept per prompt; 0: no cap.", min=0)
    select: str = option("random", "Which responses a cap keeps.", choices=["random", "shortest"])
    decontaminate: list[str] = option(
        [], "Benchmarks whose problems must not be trained on, comma-separated (gsm8k, math500, aime24, amc23, "
        "or dataset specs): prompts sharing a word 8-gram with one are not sampled.")
    data_dir: str | None = option(
        None, "Local benchmark folder laid out as NAME/test.jsonl, for --decontaminate (default: the hub).")
    mix: list[str] = option(
        [], "SFT data to mix in, SPEC:FRACTION (repeatable): its rows make up FRACTION of the output (the "
        "paper: 200k non-reasoning of 800k, 0.25).")


@dataclass
class CurationOptions(FilterOptions, SamplingOptions):  # sampling options listed first
    """Every option of a curation run."""


@dataclass
class LayoutOptions:
    """How the kept responses are written (passed to `curate.prepare` by the stages that have it)."""

    layout: str = option(
        "r1", "How a kept response is written: r1 (re-written as <think>reasoning</think> and a summary with the "
        "answer, one assistant turn after the problem: the paper's SFT data) or sampled (prompt and response "
        "exactly as the model was given and wrote them, so a model trained on them is asked as the sampled one "
        "was: text prompts give prompt/completion text rows that r1 sft trains as they are).", choices=LAYOUTS)
