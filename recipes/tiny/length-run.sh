#!/usr/bin/env bash
# Response length grows during RL, in miniature (make length-run), CPU only, no download:
#   1. the tiny model (a ~1M-parameter Llama, character tokenizer);
#   2. r1 sft on a teacher that works the steps in most solutions but, in 40% of them (task key `bare`),
#      writes the answer alone with an empty <think>. No slip: every teacher answer is right. The base
#      learns both habits; answering directly is short and, for a model this small, often wrong;
#   3. r1 eval: sampled held-out pass@1 on 500 test problems, the paper's protocol (K=16, T=0.6, top-p 0.95);
#   4. r1 grpo with the demo's recipe (accuracy + format rewards, T=1 rollouts). The accuracy reward favours
#      the worked solutions, so the mean response length rises with the accuracy (both are drawn in
#      grpo/curves.png). The final policy is published (--no-keep-best): it is the run's end we measure;
#   5. r1 eval again; OUT/summary.json holds the means over the first and last 10 GRPO steps of the training
#      accuracy and the mean completion length, and the sampled pass@1 before and after GRPO.
# DEMO_SEED (default 0) seeds SFT, GRPO and eval; DEMO_OUT (default runs/length) is the output folder;
# LENGTH_BARE (default 0.4) the fraction of answer-only teacher solutions.
set -euo pipefail
SEED=${DEMO_SEED:-0}
OUT=${DEMO_OUT:-runs/length}
R1=${R1:-r1}
source "$(dirname "$0")/arith.sh"   # TASK, RL, VALID, TEST
TRAIN="$TASK&bare=${LENGTH_BARE:-0.4}&n=3000"
START=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"
echo "== 1-2. SFT the tiny model on the teacher that sometimes skips the steps"
$R1 -q sft --config recipes/tiny/sft-base.yaml --dataset "$TRAIN" --max-steps "${DEMO_SFT_STEPS:-800}" --seed "$SEED" \
  --output "$OUT/sft"
eval_model() {  # $1 model folder, $2 output folder
  $R1 -q eval --model "$1" --benchmark "$TEST" --num-samples 16 --temperature 0.6 --top-p 0.95 --template plain \
    --max-completion-length 48 --engine hf --seed "$SEED" --output "$2"
}
echo "== 3. evaluate the SFT base (K=16, T=0.6)"
eval_model "$OUT/sft" "$OUT/eval-base"
echo "== 4. GRPO (the demo's recipe)"
$R1 -q grpo --config recipes/tiny/grpo.yaml --model "$OUT/sft" --dataset "$RL" --eval-dataset "$VALID" \
  --no-keep-best --seed "$SEED" --output "$OUT/grpo"
echo "== 5. evaluate the GRPO model (K=16, T=0.6)"
eval_model "$OUT/grpo" "$OUT/eval-grpo"
python - "$OUT" "$START" <<'PY'
import json, sys, time
from pathlib import Path
out, start = Path(sys.argv[1]), float(sys.argv[2])
def pass1(name):
    bench = json.loads((out / name / "results.json").read_text())["benchmarks"]
    return next(iter(bench.values()))["metrics"]["pass@1"]
# One record per GRPO step carries the training accuracy and the mean completion length (in tokens).
records = [json.loads(line) for line in (out / "grpo" / "metrics.jsonl").read_text().splitlines() if line.strip()]
steps = [r for r in records if "completions/mean_length" in r and "accuracy" in r]
def mean(rows, key):
    return round(sum(r[key] for r in rows) / len(rows), 4)
summary = {"acc_first10": mean(steps[:10], "accuracy"), "acc_last10": mean(steps[-10:], "accuracy"),
           "len_first10": mean(steps[:10], "completions/mean_length"),
           "len_last10": mean(steps[-10:], "completions/mean_length"),
           "base_pass@1": pass1("eval-base"), "grpo_pass@1": pass1("eval-grpo"),
           "minutes": round((time.time() - start) / 60, 2)}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
growth = 100 * (summary["len_last10"] / summary["len_first10"] - 1)
print(f"\n{'GRPO steps':<14}{'accuracy':>10}{'mean length (tokens)':>24}")
print(f"{'first 10':<14}{summary['acc_first10']:>10.3f}{summary['len_first10']:>24.1f}")
print(f"{'last 10':<14}{summary['acc_last10']:>10.3f}{summary['len_last10']:>24.1f}   ({growth:+.0f}%)")
print(f"held-out pass@1 (500 problems, K=16, T=0.6): SFT base {100 * summary['base_pass@1']:.1f}%, "
      f"+ GRPO {100 * summary['grpo_pass@1']:.1f}%   ({summary['minutes']} min)")
print(f"summary: {out / 'summary.json'}; curves: {out / 'grpo' / 'curves.png'}")
PY
