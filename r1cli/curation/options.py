"""The options of a curation run, declared once: every stage that samples and curates through this core
(reject-sample, coldstart, distill) inherits them, so names, help and bounds cannot drift apart; how the model
is sampled is the generation core's `SamplingOptions`, which `r1 eval` shares. `curate` reads them by
these names. `LayoutOptions` is for the stages that write the curated responses as traces (reject-sample,
distill); coldstart always re-writes them with a summary."""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.config import TOKENS, option
from r1cli.generation.options import SamplingOptions
from r1cli.layout import LAYOUTS


def _decontaminate_help() -> str:
    from r1cli.benchmarks import BENCHMARKS

    return (f"Benchmarks whose problems must not be trained on, comma-separated ({', '.join(BENCHMARKS)}, or "
            "dataset specs): prompts sharing a word 8-gram with one are not sampled.")


# The judge's options, shared with `r1 eval --judge` (one declaration: one name, help and bound everywhere).
def judge_option():
    return option(None, "Judge model (any --model reference; with --judge-server-url, the model those servers "
                  "run): shown the question, reference and final answer, it says correct or incorrect.")


def judge_server_url_option():
    return option([], "Server(s) running the --judge model (repeatable).")


def judge_max_completion_length_option():
    return option(256, "Most new tokens of a judge's reply.", min=1, **TOKENS)


@dataclass
class PromptOptions:
    """The prompts a curation run samples (the model to sample is the stage's own option)."""

    dataset: str | None = option(
        None, "Prompts to sample, a dataset spec (task:NAME?..., a file, a folder, a hub dataset); an answer "
        "column to check against, unless --judge.", short="-d", required=True)


@dataclass
class FilterOptions:
    """How samples are checked, filtered, deduplicated and mixed."""

    reward: str | None = option(None, "Reward that checks every row (e.g. accuracy, countdown, code, or your own "
                                "function: path/to/file.py:FUNCTION or package.module:FUNCTION); default: each "
                                "row's own `reward` column, else accuracy.")
    judge: str | None = judge_option()
    judge_server_url: list[str] = judge_server_url_option()
    judge_when: str = option("unparsable", "When the judge is asked: unparsable (only where the rule reward "
                             "cannot read the answer or has no reference) or always (its verdict decides).",
                             choices=["unparsable", "always"])
    judge_max_completion_length: int = judge_max_completion_length_option()
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
    decontaminate: list[str] = option([], _decontaminate_help)
    data_dir: str | None = option(
        None, "Local benchmark folder laid out as NAME/test.jsonl, for --decontaminate (default: the hub).")
    mix: list[str] = option(
        [], "SFT data to mix in, SPEC:FRACTION (repeatable): its rows make up FRACTION of the output (the "
        "paper: 200k non-reasoning of 800k, 0.25).")


@dataclass
class CurationOptions(FilterOptions, SamplingOptions, PromptOptions):  # the prompts, then how they are sampled
    """Every option of a curation run."""


@dataclass
class LayoutOptions:
    """How the kept responses are written (passed to `curate.prepare` by the stages that have it)."""

    layout: str = option(
        "r1", "How a kept response is written: r1 (re-written as <think>reasoning</think> and a summary with the "
        "answer, one assistant turn after the problem: the paper's SFT data) or sampled (prompt and response "
        "exactly as the model was given and wrote them, so a model trained on them is asked as the sampled one "
        "was: text prompts give prompt/completion text rows that r1 sft trains as they are).", choices=LAYOUTS)
