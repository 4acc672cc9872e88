#!/usr/bin/env bash
# The paper's distillation finding in miniature, CPU only, no download (make distill-demo): a student smaller
# than the demo's model (2 layers, 64 wide, against 4 and 128) starts from the same weak base training as the
# demo (r1 sft on the slipping teacher), then either
#   (a) RL alone: the demo's GRPO recipe on the student, or
#   (b) distilled: r1 distill from the demo's GRPO-trained teacher on the same RL prompts (its correct traces,
#       curated as reject-sample does and kept as sampled, fine-tune the student base with plain SFT);
# greedy held-out pass@1 on 500 test problems for the base, (a) and (b): a table and runs/distill-demo/summary.json.
# The teacher is runs/demo/grpo (DEMO_TEACHER), built by recipes/tiny/demo.sh when it is missing.
# DEMO_SEED (default 0) seeds every stage; DISTILL_OUT (default runs/distill-demo) is the output folder.
set -euo pipefail
SEED=${DEMO_SEED:-0}
OUT=${DISTILL_OUT:-runs/distill-demo}
TEACHER=${DEMO_TEACHER:-runs/demo/grpo}
R1=${R1:-r1}
STUDENT="tiny?layers=2&hidden=64&intermediate=256"
source "$(dirname "$0")/arith.sh"   # TASK, RL, VALID, TEST
START=$(date +%s)
if [ ! -f "$TEACHER/r1_manifest.json" ]; then
  echo "== 0. the teacher: the embedded demo (SFT base + GRPO)"
  DEMO_SEED="$SEED" DEMO_OUT="$(dirname "$TEACHER")" R1="$R1" bash recipes/tiny/demo.sh
fi
rm -rf "$OUT"
mkdir -p "$OUT"
echo "== 1. the student base: SFT of the smaller model on the slipping teacher (as the demo's base)"
$R1 -q sft --config recipes/tiny/sft-base.yaml --model "$STUDENT" --max-steps "${DEMO_SFT_STEPS:-800}" --seed "$SEED" \
  --output "$OUT/base"
eval_model() {  # $1 model folder, $2 output folder, $3 prompt template
  $R1 -q eval --model "$1" --benchmark "$TEST" --num-samples 1 --temperature 0 --template "$3" \
    --max-completion-length 48 --engine hf --seed "$SEED" --output "$2"
}
eval_model "$OUT/base" "$OUT/eval-base" plain
echo "== 2a. RL alone: the demo's GRPO recipe on the student base"
$R1 -q grpo --config recipes/tiny/grpo.yaml --model "$OUT/base" --dataset "$RL" --eval-dataset "$VALID" \
  --seed "$SEED" --output "$OUT/rl"
eval_model "$OUT/rl" "$OUT/eval-rl" plain
echo "== 2b. distilled: the teacher's curated traces on the same prompts fine-tune the student base"
$R1 -q distill --config recipes/tiny/distill.yaml --teacher "$TEACHER" --student "$OUT/base" --dataset "$RL" \
  --seed "$SEED" --output "$OUT/distill"
# The traces are kept as sampled (plain prompts), so the distilled student is asked as the base and the teacher.
eval_model "$OUT/distill/student" "$OUT/eval-distilled" plain
python - "$OUT" "$START" <<'PY'
import json, sys, time
from pathlib import Path
out, start = Path(sys.argv[1]), float(sys.argv[2])
def pass1(name):
    bench = json.loads((out / name / "results.json").read_text())["benchmarks"]
    return next(iter(bench.values()))["metrics"]["pass@1"]
summary = {"base_pass@1": pass1("eval-base"), "rl_pass@1": pass1("eval-rl"),
           "distilled_pass@1": pass1("eval-distilled"), "minutes": round((time.time() - start) / 60, 2)}
traces = json.loads((out / "distill" / "traces" / "r1_manifest.json").read_text())["metrics"]
summary["traces"] = traces["rows"]
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"\n{'student (2 layers, 64 wide)':<30}{'held-out pass@1 (500 problems, greedy)':>42}")
print(f"{'SFT base':<30}{100 * summary['base_pass@1']:>41.1f}%")
print(f"{'(a) + GRPO (RL alone)':<30}{100 * summary['rl_pass@1']:>41.1f}%")
print(f"{'(b) + distillation':<30}{100 * summary['distilled_pass@1']:>41.1f}%   ({summary['traces']:,} traces)")
gap = 100 * (summary["distilled_pass@1"] - summary["rl_pass@1"])
print(f"distilled - RL alone: {gap:+.1f} points, {summary['minutes']} min; summary: {out / 'summary.json'}")
PY
