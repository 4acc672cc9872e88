"""The written dataset: its columns (chat turns or, for plain-text prompts, prompt/completion texts), the
non-reasoning mix (fraction exact to one row, no think block added to rows without reasoning, replies with one
re-written in the R1 layout, text beside text rows), the rejected records and the mix's one-line errors."""

from __future__ import annotations

import pytest

from r1cli import data
from r1cli.curation import Sample
from r1cli.curation.output import features, kept_dataset, load_mixes, mix, rejected_rows
from r1cli.errors import UserError

ROWS = [{"id": f"p{i}", "prompt": f"({i}+1)*2", "answer": str(2 * i + 2)} for i in range(30)]


def kept(n: int) -> list[Sample]:
    out = []
    for i in range(n):
        s = Sample(i, 0, "", 7, "stop", reason="kept", verified_by="rule")
        s.reasoning, s.summary = f"{i}+1={i + 1}\n{i + 1}*2={2 * i + 2}", str(2 * i + 2)
        out.append(s)
    return out


def chat_file(tmp_path, n=7):
    rows = [{"messages": [{"role": "user", "content": f"hello {i}"},
                          {"role": "assistant", "content": f"Hi! ({i})"}]} for i in range(n)]
    data.write_jsonl(rows, tmp_path / "chat.jsonl")
    pc = [{"prompt": f"say {i}", "completion": f"{i}"} for i in range(3)]
    data.write_jsonl(pc, tmp_path / "pc.jsonl")
    return str(tmp_path / "chat.jsonl"), str(tmp_path / "pc.jsonl")


def test_kept_rows_are_sft_ready(tmp_path):
    ds = kept_dataset(kept(3), ROWS, "task:arith")
    assert ds.features == features() and len(ds) == 3
    row = ds[1]
    assert row["messages"] == [{"role": "user", "content": "(1+1)*2"},
                               {"role": "assistant", "content": "<think>\n1+1=2\n2*2=4\n</think>\n\n4"}]
    assert (row["prompt"], row["answer"], row["id"], row["source"], row["num_tokens"], row["verified_by"]) == (
        "(1+1)*2", "4", "p1", "task:arith", 7, "rule")
    assert len(kept_dataset([], ROWS, "x")) == 0  # nothing kept still writes the schema
    data.save(ds, tmp_path)
    pairs, schema = data.load_pairs(str(tmp_path))  # what r1 sft reads
    assert schema == "messages" and len(pairs) == 3


def test_sampled_layout_keeps_prompt_and_response_as_sampled(tmp_path):
    samples = kept(3)
    for s in samples:
        s.text = f"<think>\n{s.reasoning}\n</think>\n<answer>{s.summary}</answer>"  # as the model wrote it
    rendered = [f"Q: {r['prompt']}" for r in ROWS]  # what the model was given
    ds = kept_dataset(samples, ROWS, "task:arith", sampled_prompts=rendered, text=True)
    assert ds.features == features(text=True) and "messages" not in ds.column_names
    assert (ds[1]["prompt"], ds[1]["completion"]) == ("Q: (1+1)*2", samples[1].text)
    data.save(ds, tmp_path / "text")
    pairs, schema = data.load_pairs(str(tmp_path / "text"))
    assert schema == "prompt-completion"
    assert data.to_pairs(pairs, schema, "plain", False)[1] == {"prompt": "Q: (1+1)*2", "completion": samples[1].text}
    assert kept_dataset([], ROWS, "x", sampled_prompts=rendered, text=True).features == features(text=True)

    turns = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": r["prompt"]}] for r in ROWS]
    chat = kept_dataset(samples, ROWS, "task:arith", sampled_prompts=turns)
    assert chat.features == features() and chat[1]["messages"] == [
        *turns[1], {"role": "assistant", "content": samples[1].text}]


def test_r1_layout_as_text_rows(tmp_path):
    """--template plain: the problem as it is and the R1-layout response, a pair r1 sft trains as text."""
    ds = kept_dataset(kept(3), ROWS, "task:arith", text=True)
    assert ds.features == features(text=True)
    assert (ds[1]["prompt"], ds[1]["completion"]) == ("(1+1)*2", "<think>\n1+1=2\n2*2=4\n</think>\n\n4")
    data.save(ds, tmp_path)
    pairs, schema = data.load_pairs(str(tmp_path))
    assert schema == "prompt-completion"
    assert data.to_pairs(pairs, schema, "plain", False)[1] == {"prompt": ds[1]["prompt"],
                                                               "completion": ds[1]["completion"]}


def test_mixed_replies_take_the_r1_layout_and_become_text_beside_text_rows(tmp_path):
    rows = [{"prompt": f"note {i}", "completion": f"<think>\nread it\n</think>\n<answer>Noted {i}.</answer>"}
            for i in range(5)]
    data.write_jsonl(rows, tmp_path / "general.jsonl")
    spec = f"{tmp_path / 'general.jsonl'}:0.5"
    out, _ = mix(kept_dataset(kept(5), ROWS, "t", text=True), load_mixes([spec], text=True), seed=0)
    mixed = [r for r in out if r["source"] != "t"]
    assert out.features == features(text=True) and len(mixed) == 5
    assert {(r["prompt"], r["completion"]) for r in mixed} == {
        (f"note {i}", f"<think>\nread it\n</think>\n\nNoted {i}.") for i in range(5)}
    out, _ = mix(kept_dataset(kept(5), ROWS, "t"), load_mixes([spec], layout="sampled"), seed=0)
    assert {r["messages"][-1]["content"] for r in out if r["source"] != "t"} == {r["completion"] for r in rows}


def test_text_rows_refuse_a_mix_they_cannot_hold(tmp_path):
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
                          {"role": "assistant", "content": "Hi."}]}]
    data.write_jsonl(rows, tmp_path / "sys.jsonl")
    with pytest.raises(UserError, match=r"--mix .*sys.jsonl: row 0 has a system prompt or several turns"):
        load_mixes([f"{tmp_path / 'sys.jsonl'}:0.2"], text=True)
    assert len(load_mixes([f"{tmp_path / 'sys.jsonl'}:0.2"])[0][1]) == 1  # chat rows hold it


@pytest.mark.parametrize("n_kept, fraction", [(20, 0.25), (17, 0.1), (3, 0.5)])
def test_mix_fraction_exact_to_one_row(tmp_path, n_kept, fraction):
    chat, _ = chat_file(tmp_path)
    mixes = load_mixes([f"{chat}:{fraction}"])
    out, added = mix(kept_dataset(kept(n_kept), ROWS, "task:arith"), mixes, seed=0)
    mixed_rows = [r for r in out if r["source"] == chat]
    assert added == {chat: len(mixed_rows)} and len(out) == n_kept + len(mixed_rows)
    assert abs(len(mixed_rows) - fraction * len(out)) <= 1
    for r in mixed_rows:  # a reply without reasoning stays without a think block
        assert r["messages"][0]["content"].startswith("hello") and "<think>" not in r["messages"][-1]["content"]
        assert r["answer"] == "" and r["num_tokens"] is None and r["verified_by"] is None
    assert mix(kept_dataset(kept(n_kept), ROWS, "x"), mixes, seed=0)[0]["id"] == out["id"]  # seeded


def test_two_mixes_and_prompt_completion_rows(tmp_path):
    chat, pc = chat_file(tmp_path)
    out, added = mix(kept_dataset(kept(12), ROWS, "t"), load_mixes([f"{chat}:0.2,{pc}:0.2"]), seed=1)
    assert added == {chat: 4, pc: 4} and len(out) == 20
    said = [r["messages"] for r in out if r["source"] == pc]
    assert all(m[0]["content"].startswith("say ") and m[1]["role"] == "assistant" for m in said)


@pytest.mark.parametrize("spec, message", [
    ("{chat}:1.5", "must each be in \\(0, 1\\)"),
    ("{chat}:0.6,{pc}:0.5", "add up to less than 1"),
    ("{chat}", "SPEC:FRACTION"),
    ("{chat}:-0.1", "positive number"),
    ("missing.jsonl:0.2", "not found"),
])
def test_mix_errors(tmp_path, spec, message):
    chat, pc = chat_file(tmp_path)
    with pytest.raises(UserError, match=message):
        load_mixes([spec.format(chat=chat, pc=pc)])


def test_rejected_records_say_why():
    s = Sample(2, 1, "<think>x</think> 5", 9, "stop", extracted="5", reason="wrong")
    (rec,) = rejected_rows([s], ROWS)
    assert rec == {"id": "p2", "sample": 1, "reason": "wrong", "prompt": "(2+1)*2", "answer": "6", "extracted": "5",
                   "completion": "<think>x</think> 5", "num_tokens": 9, "finish_reason": "stop"}
