"""The summarizer of `r1 coldstart --summary model`: a model shown a question and a verified chain of thought,
asked for the short, faithful summary that follows the reasoning in the R1 layout (DeepSeek-R1 section 2.3.1
summarises each cold-start response for readability). It must not solve the problem again; it restates what
the reasoning found, in the question's language, ending with the boxed answer. A summary whose answer is not
the verified one is rejected by the Curator, so a summarizer that drifts costs samples, never correctness.

Summarizers run greedily through the generation core, any engine, in resumable shards of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from r1cli import log

SHARD_SIZE = 64
INSTRUCTION = (
    "Below are a question and someone's reasoning about it. Write the short summary a reader sees after that "
    "reasoning: two to four sentences in the language of the question, stating the key steps the reasoning "
    "took and the result it reached. Report the reasoning faithfully; do not solve the question yourself and "
    "do not change its result. End with the final answer in \\boxed{}.")


def build_prompt(question: str, reasoning: str) -> str:
    return f"{INSTRUCTION}\n\nQuestion:\n{question.strip()}\n\nReasoning:\n{reasoning.strip()}\n\nSummary:"


def ask(engine, prompts: Sequence[str], *, max_new_tokens: int, shard_dir: Path | None = None,
        resume: bool = False) -> list[str | None]:
    """The summary for each prompt, greedy, in the model's chat template when it has one; None where the
    reply ran out of tokens or is empty."""
    from r1cli.generation import Sampling, generate

    chat = bool(getattr(engine.tokenizer, "chat_template", None))
    sampling = Sampling(n=1, temperature=0.0, top_p=1.0, max_new_tokens=max_new_tokens, seed=0, chat_template=chat)
    outs = generate(engine, list(prompts), sampling, shard_dir=shard_dir, shard_size=SHARD_SIZE, resume=resume,
                    progress_desc="summarizing")
    return [c[0].text.strip() if c[0].finish_reason == "stop" and c[0].text.strip() else None for c in outs]


def prompts(curator) -> list[str]:
    """The summarizer's prompt for each verified candidate of a Curator, in its candidates() order."""
    from r1cli.templates import prompt_text

    return [build_prompt(prompt_text(curator.rows[s.row]["prompt"]), s.reasoning) for s in curator.candidates()]


def revise(cfg, curator, work: Path) -> None:
    """The curation core's revise step (after the judge, before dedupe): --summarizer writes the summary of
    every verified candidate, in summary-shards/ of `work`; the Curator rejects one without the verified answer."""
    from r1cli.generation import open_engine

    todo = prompts(curator)
    if not todo:
        return
    log.info("asking the summarizer for %d summaries", len(todo))
    engine = "auto" if cfg.engine == "server" else cfg.engine
    with open_engine(cfg.summarizer, engine, trust_remote_code=cfg.trust_remote_code) as eng:
        curator.apply_summaries(ask(eng, todo, max_new_tokens=cfg.summarizer_max_completion_length,
                                    shard_dir=work / "summary-shards", resume=cfg.resume))
