"""Duplicate responses to one prompt: exact duplicates after normalising case and whitespace, and near
duplicates by MinHash LSH (datasketch) on word shingles, then at most K responses kept per prompt.

Near duplicates: each response is a set of word 3-grams (words of r1cli.rewards.words, the rewards'
tokeniser); two responses whose estimated Jaccard similarity reaches the threshold are near duplicates, and
the later one goes. The LSH index only proposes candidates; each is confirmed on its MinHash estimate.
Everything is deterministic: fixed MinHash seed, responses visited in sample order, a seeded random pick.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from r1cli.rewards.words import words

SHINGLE = 3
NUM_PERM = 128
MINHASH_SEED = 1
LSH_CEILING = 0.9


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def shingles(text: str, k: int = SHINGLE) -> list[bytes]:
    """The word k-grams of a text (the whole word sequence when it is shorter than k)."""
    w = words(text)
    grams = {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}
    return [g.encode() for g in sorted(grams)]


def duplicates(texts: Sequence[str], threshold: float) -> list[str | None]:
    """Per text, "duplicate", "near_duplicate" or None (kept), comparing each text with the earlier kept
    ones. `threshold` is the Jaccard similarity at which texts are near duplicates; 0 switches that off."""
    out: list[str | None] = [None] * len(texts)
    seen: set[str] = set()
    for i, t in enumerate(texts):
        key = normalize(t)
        if key in seen:
            out[i] = "duplicate"
        seen.add(key)
    if threshold <= 0:
        return out
    from datasketch import MinHash, MinHashLSH

    todo = [i for i, r in enumerate(out) if r is None]
    if len(todo) < 2:
        return out
    hashes = MinHash.bulk([shingles(texts[i]) for i in todo], num_perm=NUM_PERM, seed=MINHASH_SEED)
    by_index = dict(zip(todo, hashes, strict=True))
    # The index only proposes candidates, so it may cast a wider net than asked; above ~0.95 it cannot be
    # built at all (fewer than two bands), hence the ceiling.
    lsh = MinHashLSH(threshold=min(threshold, LSH_CEILING), num_perm=NUM_PERM)
    for i, h in by_index.items():
        if any(by_index[j].jaccard(h) >= threshold for j in lsh.query(h)):
            out[i] = "near_duplicate"
        else:
            lsh.insert(i, h)
    return out


def cap(lengths: Sequence[int], k: int, select: str, key: str, seed: int) -> list[bool]:
    """Which of a prompt's responses stay under a cap of `k` (0: no cap): the `k` shortest (ties: earlier),
    or `k` at random, seeded by `seed` and the prompt's `key` so the pick does not depend on other prompts."""
    n = len(lengths)
    if not k or n <= k:
        return [True] * n
    if select == "shortest":
        chosen = sorted(range(n), key=lambda i: (lengths[i], i))[:k]
    elif select == "random":
        digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
        chosen = random.Random(int.from_bytes(digest, "big")).sample(range(n), k)
    else:
        raise ValueError(f"unknown selection {select!r} (random or shortest)")
    picked = set(chosen)
    return [i in picked for i in range(n)]
