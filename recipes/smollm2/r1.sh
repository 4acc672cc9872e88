#!/usr/bin/env bash
# The R1 chain on a real pretrained model (make smollm2-r1): every stage on SmolLM2-135M-Instruct (make smollm2
# builds models/smollm2-135m-instruct), in its own chat template, at the smallest size that still means
# something, on word problems it can partly solve (task.sh); each output feeds the next, each step's recipe is
# in recipes/smollm2/. SCAFFOLDING, NOT RUN END TO END YET: the sizes are first guesses towards <= 40 minutes on
# 2 cores, to be measured.
#   1. base eval     r1 eval of the base: K=4 on 50 held-out word problems (vLLM), and GSM8K's row
#   2. r1-zero       r1 grpo: accuracy + format rewards, the R1-Zero instruction as system prompt
#   3. cold start    r1 coldstart from r1-zero's samples, the (unedited) review re-checked; r1 sft of the base
#   4. rejection     r1 reject-sample from r1-zero (kept as sampled), then r1 sft of the base on it: r1-sft
#   5. r1            r1 reward-model x2 on the SmolLM2 backbone, r1 align of r1-sft
#   6. distilled     r1 distill of r1 into a smaller student
#   7. evaluation    every model as in step 1; r1 report; OUT/summary.json
# DEMO_SEED (default 0) seeds every stage; DEMO_OUT (default runs/smollm2-r1) is the output folder; SMOLLM2 the
# model folder; DATA the folder of the shared benchmark files (default ../shared/data).
set -euo pipefail
SEED=${DEMO_SEED:-0}
OUT=${DEMO_OUT:-runs/smollm2-r1}
BASE=${SMOLLM2:-models/smollm2-135m-instruct}
DATA=${DATA:-../shared/data}
R1=${R1:-r1}
PY=${PYTHON:-python}
HERE=$(dirname "$0")
source "$HERE/task.sh"   # TASK, RL, TEST, R1_ZERO_SYSTEM
STUDENT="tiny?layers=2&hidden=64&intermediate=256"
START=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"
step() { echo "== $1 ($(( ($(date +%s) - START) / 60 )) min)"; }

step "1. the base, evaluated (and GSM8K's row)"
$R1 -q eval --config "$HERE/eval.yaml" --model "$BASE" --benchmark "$TEST" --system-prompt "$R1_ZERO_SYSTEM" \
  --seed "$SEED" --output "$OUT/eval/base" > /dev/null
$R1 -q eval --config "$HERE/eval.yaml" --model "$BASE" --benchmark "$DATA/gsm8k/test.jsonl?limit=50" \
  --seed "$SEED" --output "$OUT/eval/base-gsm8k" > /dev/null
step "2. R1-Zero: GRPO with the rule rewards"
$R1 -q grpo --config "$HERE/grpo.yaml" --model "$BASE" --dataset "$RL" --system-prompt "$R1_ZERO_SYSTEM" \
  --seed "$SEED" --output "$OUT/r1-zero"
step "3. cold start: data from R1-Zero, the review re-checked, SFT of the base"
$R1 -q coldstart --config "$HERE/coldstart.yaml" --model "$OUT/r1-zero" --dataset "$RL&n=40" --num-samples 2 \
  --max-completion-length 256 --seed "$SEED" --output "$OUT/coldstart-data" > /dev/null
$R1 -q coldstart --from-review "$OUT/coldstart-data/review.jsonl" --output "$OUT/coldstart-reviewed" > /dev/null
$R1 -q sft --config "$HERE/sft.yaml" --model "$BASE" --dataset "$OUT/coldstart-reviewed" --seed "$SEED" \
  --output "$OUT/coldstart"
step "4. rejection sampling from R1-Zero, SFT of the base on it"
$R1 -q reject-sample --config "$HERE/reject-sample.yaml" --model "$OUT/r1-zero" --dataset "$RL&n=60" \
  --system-prompt "$R1_ZERO_SYSTEM" --seed "$SEED" --output "$OUT/reject-sample" > /dev/null
$R1 -q sft --config "$HERE/sft.yaml" --model "$BASE" --dataset "$OUT/reject-sample" --seed "$SEED" \
  --output "$OUT/r1-sft"
step "5. reward models on the SmolLM2 backbone, then align"
for aspect in helpfulness harmlessness; do
  $R1 -q reward-model --config "$HERE/reward-model.yaml" --model "$BASE" --dataset "task:prefs?aspect=$aspect&n=200" \
    --seed "$SEED" --output "$OUT/rm-$aspect"
done
$R1 -q align --config "$HERE/align.yaml" --model "$OUT/r1-sft" --dataset "$TASK&n=200&seed=4:0.7,task:general?n=200:0.3" \
  --system-prompt "$R1_ZERO_SYSTEM" --helpfulness-rm "$OUT/rm-helpfulness" --harmlessness-rm "$OUT/rm-harmlessness" \
  --seed "$SEED" --output "$OUT/r1"
step "6. distillation into a smaller student"
$R1 -q distill --config "$HERE/distill.yaml" --teacher "$OUT/r1" --student "$STUDENT" --dataset "$RL&n=60" \
  --system-prompt "$R1_ZERO_SYSTEM" --seed "$SEED" --output "$OUT/distilled" > /dev/null
step "7. evaluation, report, summary"
for name in r1-zero coldstart r1-sft r1 distilled/student; do
  $R1 -q eval --config "$HERE/eval.yaml" --model "$OUT/$name" --benchmark "$TEST" --system-prompt "$R1_ZERO_SYSTEM" \
    --seed "$SEED" --output "$OUT/eval/${name//\//-}" > /dev/null
done
$R1 -q report "$OUT" --output "$OUT/report" > /dev/null
$PY - "$OUT" "$START" <<'PY'
import json, sys, time
from pathlib import Path
out, start = Path(sys.argv[1]), float(sys.argv[2])
models = {}
for folder in sorted((out / "eval").iterdir()):
    for bench, res in json.loads((folder / "results.json").read_text())["benchmarks"].items():
        m = res["metrics"]
        models[folder.name] = {"pass@1": m["pass@1"], "cons@4": m.get("cons@4"),
                               "mean_tokens": m["mean_completion_tokens"], "truncated": m["truncated_frac"]}
# the R1-Zero effect: the format and accuracy rewards over the first and last 10 GRPO steps
records = [json.loads(line) for line in (out / "r1-zero" / "metrics.jsonl").open()]
steps = [r for r in records if "loss" in r]
def mean(key, part):
    values = [r[key] for r in part if key in r]
    return round(sum(values) / len(values), 4) if values else None
grpo = {"format_first10": mean("rewards/format_reward/mean", steps[:10]),
        "format_last10": mean("rewards/format_reward/mean", steps[-10:]),
        "acc_first10": mean("accuracy", steps[:10]), "acc_last10": mean("accuracy", steps[-10:])}
summary = {"minutes": round((time.time() - start) / 60, 2), "models": models, "grpo": grpo}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps(summary, indent=2))
PY
