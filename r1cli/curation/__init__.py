"""The curation core: turn a model's samples into an SFT-ready dataset, the way DeepSeek-R1 built its
rejection-sampling data (section 2.3.3) and the way cold-start and distillation data are built too.

    sample -> verify -> filter (readability, reasoning length) -> judge -> format (R1 layout, summary)
    -> dedupe -> cap per prompt
    (prompts that overlap a benchmark are dropped before sampling; other SFT data can be mixed in after)

The R1 layout (r1cli.layout) and the readability filters (r1cli.readability) are on the floor below, shared
with the scoring core, which reports how readable evaluated samples are.

Modules:
  pipeline       the Curator: per-sample verdicts and reasons, verification overlapping generation, judge
                 hand-off, dedupe and cap, the per-reason counts (REASONS)
  judge          the generative judge: prompt, strict verdict parsing, greedy judging through the generation core
  dedupe         exact and MinHash-LSH near duplicates, the per-prompt cap
  decontaminate  benchmark 8-gram index
  output         the dataset columns, the non-reasoning mix, rejected samples, the printed table
  curate         one run end to end (`prepare` checks and loads, `execute` samples and writes)
  options        the options of a curation run, declared once (CurationOptions) for every stage that curates
"""

from r1cli.curation.pipeline import JUDGE_WHEN, REASONS, Curator, Sample, Settings

__all__ = ["JUDGE_WHEN", "REASONS", "Curator", "Sample", "Settings"]
