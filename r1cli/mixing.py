"""Dataset mixing core: weighted mixtures of datasets, computed on Arrow.

A mixture is a list of dataset specs, each with an optional trailing ':WEIGHT' ("A:0.75,B"; a spec without
one weighs 1). Without any weight the datasets are concatenated, each row used once. With weights, they are
normalised into shares p_i of a mixture holding as many rows as the datasets together (N = sum of sizes);
dataset i gives round(p_i N) rows, drawn without replacement while its rows last, then cycled again in a new
shuffled order (a small dataset with a big weight is repeated, a big one with a small weight subsampled).
`mix_fractions` instead keeps a base dataset whole and adds others so they make up given fractions of the
output. Every draw is deterministic in the seed.

Only row numbers are handled in Python: `select` gives each dataset an indices mapping and
`concatenate_datasets` joins the mappings, so rows are never copied out of their Arrow tables (the paper's
SFT set is 600k reasoning + 200k non-reasoning rows; see bench/data_mix.py).
"""

from __future__ import annotations

import math
import re
from typing import Any

from r1cli.errors import UserError

# Characters that only a source or its query contain: after one of them, a final ':WORD' cannot be part of
# the source's name (task:arith is a name; task:arith?n=5:abc ends in a malformed weight).
_SOURCE_CHARS = set(":/?.=&")
_WORD = re.compile(r"[\w.+-]+")


def split_weight(item: str, flag: str = "--dataset") -> tuple[str, float | None]:
    """'A:0.75' -> ('A', 0.75); 'task:arith' -> ('task:arith', None). A malformed weight is a UserError."""
    head, sep, tail = item.rpartition(":")
    if not sep or not head or not _WORD.fullmatch(tail):
        return item, None  # no weight, or a colon inside the spec's query (e.g. a prompt format string)
    try:
        weight = float(tail)
    except ValueError:
        if not (_SOURCE_CHARS & set(head) or tail[:1] in "+-.0123456789"):
            return item, None  # a bare name such as task:arith
        raise UserError(f"mixing weight '{tail}' of '{head}' in {flag} is not a number "
                        f"(write SPEC:WEIGHT with a positive number, e.g. '{head}:0.5')") from None
    if not (weight > 0 and math.isfinite(weight)):
        raise UserError(f"mixing weight of '{head}' in {flag} must be a positive number, got {tail}")
    return head, weight


def parse_mixture(specs: list[str], flag: str = "--dataset") -> list[tuple[str, float | None]]:
    """`['A:0.75,B']` -> [('A', 0.75), ('B', None)]. Specs may be given comma-separated or one per item."""
    out = [split_weight(item, flag) for item in (s.strip() for chunk in specs for s in chunk.split(",")) if item]
    if not out:
        raise UserError(f"{flag} is required (give at least one dataset spec)")
    return out


def mixture_counts(sizes: list[int], weights: list[float | None]) -> list[int]:
    """Rows each dataset contributes: its size when no weight is given, else round(p_i * sum(sizes))."""
    if all(w is None for w in weights):
        return list(sizes)
    w = [1.0 if x is None else x for x in weights]
    total = sum(sizes)
    return [max(1, round(total * wi / sum(w))) for wi in w]


def sample_indices(size: int, count: int, seed: int):
    """`count` row numbers of a dataset of `size` (a numpy array): shuffled passes without replacement,
    each pass in a new order, the last one cut short."""
    import numpy as np

    rng = np.random.default_rng(seed)
    passes = [rng.permutation(size) for _ in range(-(-count // size))]
    return np.concatenate(passes)[:count] if passes else np.zeros(0, dtype=np.int64)


def draw(ds, count: int, seed: int):
    """`count` rows of `ds` drawn by `sample_indices` (an indices mapping over its table, no row copied)."""
    return ds.select(sample_indices(len(ds), count, seed).tolist())


def mix(datasets: list, weights: list[float | None], seed: int) -> tuple[Any, list[int]]:
    """The weighted mixture of `datasets` (same columns and types) and the rows each one gave."""
    from datasets import concatenate_datasets

    counts = mixture_counts([len(ds) for ds in datasets], weights)
    parts = [ds if w is None and count == len(ds) else draw(ds, count, seed + k)
             for k, (ds, w, count) in enumerate(zip(datasets, weights, counts, strict=True))]
    return concatenate_datasets(parts), counts


def fraction_counts(base_rows: int, fractions: list[float], flag: str = "--mix") -> list[int]:
    """Rows to add to `base_rows` so that each addition makes up its fraction of the output (to one row)."""
    if not all(0 < f < 1 for f in fractions) or sum(fractions) >= 1:
        raise UserError(f"mixing fractions in {flag} must each be in (0, 1) and add up to less than 1, "
                        f"got {', '.join(f'{f:g}' for f in fractions)}")
    total = base_rows / (1 - sum(fractions))
    return [round(f * total) for f in fractions]


def mix_fractions(base, others: list[tuple[Any, float]], seed: int, flag: str = "--mix") -> tuple[Any, list[int]]:
    """`base` whole, then rows of each other dataset (same columns and types) so that it makes up its fraction
    of the output, drawn like `mix`: without replacement while rows last, then cycled. `r1 reject-sample --mix
    SPEC:FRACTION` adds non-reasoning data to its samples this way. Returns (dataset, rows added)."""
    from datasets import concatenate_datasets

    counts = fraction_counts(len(base), [f for _, f in others], flag)
    parts = [draw(ds, count, seed + k) for k, ((ds, _), count) in enumerate(zip(others, counts, strict=True))]
    return concatenate_datasets([base, *parts]), counts


def build(specs: list[str], template: str, seed: int, flag: str = "--dataset") -> tuple[Any, dict]:
    """An SFT training set: every spec of the mixture loaded as prompt/completion pairs, formatted with
    `template` into one format (chat if any dataset is chat or the template is), and mixed.
    Returns (Dataset, info) with info = {conversational, rows, datasets: [{spec, schema, rows, used, weight}]}."""
    from r1cli import data

    mixture = parse_mixture(specs, flag)
    loaded = [data.load_pairs(spec) for spec, _ in mixture]
    conversational = template == "chat" or any(data.is_chat(ds, schema) for ds, schema in loaded)
    formatted = [data.to_pairs(ds, schema, template, conversational, spec)
                 for (spec, _), (ds, schema) in zip(mixture, loaded, strict=True)]
    mixed, counts = mix(formatted, [w for _, w in mixture], seed)
    parts = [{"spec": spec, "schema": schema, "rows": len(ds), "used": count, "weight": weight}
             for (spec, weight), (ds, schema), count in zip(mixture, loaded, counts, strict=True)]
    return mixed, {"conversational": conversational, "rows": len(mixed), "datasets": parts}
