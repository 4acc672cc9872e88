#!/usr/bin/env bash
# R1-Zero's story on code, CPU only, no download (make code-demo):
#   1. the tiny model (a ~1M-parameter Llama, character tokenizer);
#   2. r1 sft on task:code, whose teacher writes a plausible but wrong program in 60% of the problems where it
#      matters (it drops the parentheses of "3(x+2)", or makes the bounds of "count 4<=x<=9" strict)
#      -> a weak base that writes both programs;
#   3. r1 eval: greedy held-out pass@1 (the program passes all its hidden tests) on 300 test problems;
#   4. r1 grpo with the all-or-nothing test reward (code_binary), checkpoint kept by a validation set drawn
#      from the *train* split (never the test problems);
#   5. r1 eval again; a before/after table and runs/code-demo/summary.json.
# DEMO_SEED (default 0) seeds SFT and GRPO; DEMO_OUT (default runs/code-demo) is the output folder.
set -euo pipefail
SEED=${DEMO_SEED:-0}
OUT=${DEMO_OUT:-runs/code-demo}
R1=${R1:-r1}
TASK="task:code"
RL="$TASK?n=2000&seed=1"       # the RL prompts
VALID="$TASK?n=100&seed=2"     # validation during GRPO: the train split, never the test problems
TEST="$TASK?n=300&split=test"  # the held-out problems of the table
START=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"
echo "== 1-2. SFT the tiny model on the teacher that writes the wrong program"
$R1 -q sft --config recipes/tiny/sft-code.yaml --max-steps "${DEMO_SFT_STEPS:-500}" --seed "$SEED" \
  --output "$OUT/sft"
eval_model() {  # $1 model folder, $2 output folder
  $R1 -q eval --model "$1" --benchmark "$TEST" --num-samples 1 --temperature 0 --template plain \
    --max-completion-length 96 --engine hf --seed "$SEED" --output "$2"
}
echo "== 3. evaluate the SFT base"
eval_model "$OUT/sft" "$OUT/eval-base"
echo "== 4. GRPO (R1-Zero style, all-or-nothing test reward)"
$R1 -q grpo --config recipes/tiny/grpo-code.yaml --model "$OUT/sft" --dataset "$RL" --eval-dataset "$VALID" \
  --seed "$SEED" --output "$OUT/grpo"
echo "== 5. evaluate the GRPO model"
eval_model "$OUT/grpo" "$OUT/eval-grpo"
python - "$OUT" "$START" <<'PY'
import json, sys, time
from pathlib import Path
out, start = Path(sys.argv[1]), float(sys.argv[2])
def pass1(name):
    bench = json.loads((out / name / "results.json").read_text())["benchmarks"]
    return next(iter(bench.values()))["metrics"]["pass@1"]
base, grpo = pass1("eval-base"), pass1("eval-grpo")
summary = {"base_pass@1": base, "grpo_pass@1": grpo, "gain_points": round(100 * (grpo - base), 1),
           "minutes": round((time.time() - start) / 60, 2)}
grpo_manifest = json.loads((out / "grpo" / "r1_manifest.json").read_text())["metrics"]
summary["grpo_best_step"] = grpo_manifest.get("best_step")
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"\n{'model':<10}{'held-out pass@1 (300 programs, all tests, greedy)':>52}")
print(f"{'SFT base':<10}{100 * base:>51.1f}%")
print(f"{'+ GRPO':<10}{100 * grpo:>51.1f}%   ({summary['gain_points']:+.1f} points, {summary['minutes']} min)")
print(f"summary: {out / 'summary.json'}")
PY
