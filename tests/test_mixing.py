"""The mixing core: weight parsing, exact row counts, determinism in the seed, cycling, fractions, and SFT sets
built from the three schemas."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from r1cli import data, mixing
from r1cli.errors import UserError


def labelled(name: str, n: int):
    """A dataset of `n` rows whose rows say where they come from."""
    import datasets

    return datasets.Dataset.from_dict({"src": [name] * n, "i": list(range(n))})


def write_jsonl(path: Path, rows: list[dict]) -> str:
    data.write_jsonl(rows, path)
    return str(path)


def test_parse_mixture_takes_only_a_trailing_number_as_weight():
    assert mixing.parse_mixture(["task:arith?n=100&seed=1:0.75,data/x.jsonl:0.25"]) == [
        ("task:arith?n=100&seed=1", 0.75), ("data/x.jsonl", 0.25)]
    assert mixing.parse_mixture(["task:arith", "task:countdown?n=5:2", "runs/a:1e-1"]) == [
        ("task:arith", None), ("task:countdown?n=5", 2.0), ("runs/a", 0.1)]
    # a colon inside the query (a prompt format string) is part of the spec, not a weight
    assert mixing.parse_mixture(["d.jsonl?prompt=Q: {question}"]) == [("d.jsonl?prompt=Q: {question}", None)]
    with pytest.raises(UserError, match="--dataset is required"):
        mixing.parse_mixture([","])


@pytest.mark.parametrize("item", ["task:arith?n=5:abc", "task:arith:abc", "runs/a:-1", "d.jsonl:0", "runs/a:inf",
                                  "task:arith?n=5:nan", "runs/a:x1"])
def test_bad_weights_say_mixing_weight_and_name_the_spec(item):
    with pytest.raises(UserError) as e:
        mixing.parse_mixture([item], flag="--mix")
    msg = str(e.value)
    assert "mixing weight" in msg and "--mix" in msg and item.rpartition(":")[0] in msg and "\n" not in msg


def test_mixture_counts():
    assert mixing.mixture_counts([100, 50], [None, None]) == [100, 50]  # no weights: concatenation
    assert mixing.mixture_counts([100, 50], [0.75, 0.25]) == [112, 38]  # shares of N = 150 rows
    assert mixing.mixture_counts([100, 50], [3.0, None]) == [112, 38]  # a missing weight counts 1
    assert mixing.mixture_counts([1000, 1], [1.0, 1e-6]) == [1001, 1]  # every weighted dataset gives a row


def test_sample_indices_pass_without_replacement_then_cycle():
    idx = mixing.sample_indices(10, 25, seed=0)
    assert len(idx) == 25 and sorted(idx[:10]) == list(range(10)) and sorted(idx[10:20]) == list(range(10))
    assert len(set(idx[20:].tolist())) == 5
    assert list(idx[:10]) != list(idx[10:20])  # each pass in a new order
    assert mixing.sample_indices(10, 25, seed=0).tolist() == idx.tolist()
    assert mixing.sample_indices(10, 25, seed=1).tolist() != idx.tolist()
    assert len(set(mixing.sample_indices(100, 30, seed=1).tolist())) == 30  # subsampling: no repeats
    assert len(mixing.sample_indices(5, 0, seed=0)) == 0


def test_mix_gives_exact_counts_and_is_deterministic_in_the_seed():
    a, b = labelled("a", 300), labelled("b", 100)
    mixed, counts = mixing.mix([a, b], [0.5, 0.5], seed=3)
    assert counts == [200, 200] and len(mixed) == 400
    assert Counter(mixed["src"]) == {"a": 200, "b": 200}
    a_rows = [i for s, i in zip(mixed["src"], mixed["i"], strict=True) if s == "a"]
    assert len(set(a_rows)) == 200  # the big dataset is subsampled without replacement
    again, _ = mixing.mix([a, b], [0.5, 0.5], seed=3)
    other, _ = mixing.mix([a, b], [0.5, 0.5], seed=4)
    assert again["i"] == mixed["i"] and other["i"] != mixed["i"]


def test_small_dataset_with_big_weight_is_cycled():
    big, small = labelled("big", 90), labelled("small", 10)
    mixed, counts = mixing.mix([big, small], [1, 9], seed=0)
    assert counts == [10, 90]
    seen = Counter(i for s, i in zip(mixed["src"], mixed["i"], strict=True) if s == "small")
    assert set(seen) == set(range(10)) and set(seen.values()) == {9}  # every row 9 times, none more


def test_unweighted_mix_concatenates_in_order():
    mixed, counts = mixing.mix([labelled("a", 3), labelled("b", 2)], [None, None], seed=0)
    assert counts == [3, 2] and mixed["src"] == ["a"] * 3 + ["b"] * 2 and mixed["i"] == [0, 1, 2, 0, 1]


@pytest.mark.parametrize("base_rows,fractions", [(600, [0.25]), (1000, [0.1, 0.2]), (7, [0.3]), (5, [0.9])])
def test_mix_fractions_make_up_their_fraction_to_one_row(base_rows, fractions):
    others = [(labelled(f"o{k}", 13), f) for k, f in enumerate(fractions)]
    mixed, added = mixing.mix_fractions(labelled("base", base_rows), others, seed=0)
    n = Counter(mixed["src"])
    assert n["base"] == base_rows and mixed["src"][:base_rows] == ["base"] * base_rows
    for k, f in enumerate(fractions):
        assert n[f"o{k}"] == added[k] and abs(added[k] - f * len(mixed)) <= 1


def test_mix_fractions_reject_impossible_fractions():
    for fractions in ([0.6, 0.4], [1.0], [0.0], [-0.1]):
        with pytest.raises(UserError, match="mixing fractions in --mix"):
            mixing.mix_fractions(labelled("base", 5), [(labelled("o", 5), f) for f in fractions], seed=0)


# ------------------------------------------------------------------------------------- SFT sets from specs


def test_schemas_are_detected_and_mixed_into_chat_format(tmp_path):
    chat = write_jsonl(tmp_path / "chat.jsonl", [
        {"messages": [{"role": "user", "content": "1+1"}, {"role": "assistant", "content": "2"}]}] * 4)
    pc = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "2+2", "completion": "<answer>4</answer>"}] * 4)
    ds, info = mixing.build([f"{chat}:1,{pc}:1,task:arith?n=4"], "plain", seed=0)
    assert [d["schema"] for d in info["datasets"]] == ["messages", "prompt-completion", "canonical"]
    assert info["conversational"] and len(ds) == 12 and ds.column_names == ["prompt", "completion"]
    rows = list(ds)
    assert {"prompt": [{"role": "user", "content": "2+2"}],
            "completion": [{"role": "assistant", "content": "<answer>4</answer>"}]} in rows
    assert rows[0] == {"prompt": [{"role": "user", "content": "1+1"}],
                       "completion": [{"role": "assistant", "content": "2"}]}
    task = rows[-1]
    assert task["prompt"][0]["role"] == "user" and task["completion"][0]["content"].startswith("<think>\n")


def test_messages_must_end_with_the_assistant(tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    with pytest.raises(UserError, match="row 0.*assistant"):
        mixing.build([bad], "plain", seed=0)


def test_text_prompts_follow_the_template():
    ds, info = mixing.build(["task:arith?n=4"], "r1-zero", seed=0)
    assert not info["conversational"]
    row = ds[0]
    assert row["prompt"].startswith("A conversation between User and Assistant") and row["prompt"].endswith(
        "Assistant:")
    assert row["completion"].startswith(" <think>\n")
    plain, _ = mixing.build(["task:arith?n=4"], "plain", seed=0)
    assert plain[0]["completion"].startswith("<think>\n") and "Assistant" not in plain[0]["prompt"]
    chat, info = mixing.build(["task:arith?n=4"], "chat", seed=0)
    assert info["conversational"] and chat[0]["prompt"][0]["role"] == "user"


def test_a_chat_completion_makes_the_set_conversational(tmp_path):
    pc = write_jsonl(tmp_path / "pc.jsonl", [
        {"prompt": "2+2", "completion": [{"role": "assistant", "content": "4"}]}])
    ds, info = mixing.build([pc], "plain", seed=0)
    assert info["conversational"]
    assert ds[0] == {"prompt": [{"role": "user", "content": "2+2"}],
                     "completion": [{"role": "assistant", "content": "4"}]}
