#!/usr/bin/env bash
# The embedded align demo, CPU only, no download (make align-demo): DeepSeek-R1's stage 4 in miniature.
#   1. r1 sft of the tiny model on reasoning (task:arith, two thirds of the rows: arithmetic is what takes steps to
#      learn) and on a teacher for general requests (task:general) that, half the time, repeats the request's
#      secret (in its reasoning or its summary) and, half the time, closes with an unhelpful summary -> a base
#      that reasons and carries both behaviours;
#   2. two reward models (r1 reward-model): helpfulness on summaries, harmlessness on whole responses;
#   3. before: greedy held-out pass@1 on 500 arithmetic test problems (r1 eval), and on 50 held-out general
#      prompts (4 samples each, T=0.6) the helpfulness score of the summaries and the share of harmful responses;
#   4. r1 align: GRPO on a reasoning + general mix (70:30), rule rewards on reasoning rows, the two reward models
#      on general rows (helpfulness on the summary only, harmlessness on the whole response), a KL anchor to the
#      SFT model so reasoning keeps its pass@1;
#   5. after: the same measures; a before/after table and runs/align-demo/summary.json.
# DEMO_SEED (default 0) seeds every stage; DEMO_OUT (default runs/align-demo) is the output folder.
set -euo pipefail
SEED=${DEMO_SEED:-0}
OUT=${DEMO_OUT:-runs/align-demo}
R1=${R1:-r1}
PY=${PYTHON:-python}
HERE=$(dirname "$0")
ARITH="task:arith?style=expr&steps=2"
GENERAL="task:general"
START=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"
echo "== 1. SFT the tiny model on reasoning and on a leaky, terse teacher for general requests"
$R1 -q sft --model tiny --dataset "$ARITH&n=3000,$GENERAL?leak=0.5&terse=0.5&n=1500" --template plain \
  --max-steps "${DEMO_SFT_STEPS:-500}" --per-device-train-batch-size 32 --learning-rate 3e-3 \
  --lr-scheduler-type cosine --warmup-steps 0.05 --save-steps 0 --seed "$SEED" --output "$OUT/sft"
echo "== 2. reward models: helpfulness (summaries), harmlessness (whole responses)"
for aspect in helpfulness harmlessness; do
  $R1 -q reward-model --config "$HERE/reward-model.yaml" --dataset "task:prefs?aspect=$aspect&n=1000" \
    --seed "$SEED" --output "$OUT/rm-$aspect"
done
measure() {  # $1 model folder, $2 name
  $R1 -q eval --model "$1" --benchmark "$ARITH&n=500&split=test" --num-samples 1 --temperature 0 \
    --template plain --max-completion-length 48 --engine hf --seed "$SEED" --output "$OUT/eval-$2" > /dev/null
  $R1 -q eval --model "$1" --benchmark "$GENERAL?n=50&split=test" --num-samples 4 --template plain \
    --max-completion-length 96 --engine hf --reward-model "helpfulness=$OUT/rm-helpfulness" \
    --reward-model "harmlessness=$OUT/rm-harmlessness" --seed "$SEED" --output "$OUT/general-$2" > /dev/null
}
echo "== 3. measure the SFT model"
measure "$OUT/sft" before
echo "== 4. align"
$R1 -q align --config "$HERE/align.yaml" --model "$OUT/sft" \
  --dataset "$ARITH&n=2000&seed=1:0.7,$GENERAL?n=2000&seed=1:0.3" \
  --helpfulness-rm "$OUT/rm-helpfulness" --harmlessness-rm "$OUT/rm-harmlessness" --seed "$SEED" --output "$OUT/align"
echo "== 5. measure the aligned model"
measure "$OUT/align" after
$PY - "$OUT" "$START" <<'PY'
import json, sys, time
from pathlib import Path
out, start = Path(sys.argv[1]), float(sys.argv[2])
def pass1(name):
    bench = json.loads((out / f"eval-{name}" / "results.json").read_text())["benchmarks"]
    return next(iter(bench.values()))["metrics"]["pass@1"]
from r1cli.rewards.preference import summary as summary_of
from r1cli.tasks.general import leaks
def general_measures(name):
    """The reward model's mean helpfulness (r1 eval), and by the task's rules: the share of harmful responses (a
    secret-like code anywhere, reasoning included) and of summaries that state the reference reply (inside
    answer tags, R1-Zero's layout, or bare)."""
    folder = out / f"general-{name}"
    (bench,) = json.loads((folder / "results.json").read_text())["benchmarks"].values()
    samples = [json.loads(line) for line in (folder / "samples.jsonl").open()]
    helpful = [(summary_of(s["completion"]) or "").replace("<answer>", "").replace("</answer>", "").strip()
               == s["answer"] for s in samples]
    return {"helpfulness": round(bench["metrics"]["helpfulness"], 4),
            "harm": round(sum(leaks(s["completion"]) for s in samples) / len(samples), 4),
            "helpful_frac": round(sum(helpful) / len(helpful), 4)}
general = {name: general_measures(name) for name in ("before", "after")}
summary = {"helpfulness_before": general["before"]["helpfulness"], "helpfulness_after": general["after"]["helpfulness"],
           "harm_before": general["before"]["harm"], "harm_after": general["after"]["harm"],
           "pass@1_before": pass1("before"), "pass@1_after": pass1("after"),
           "helpful_frac_before": general["before"]["helpful_frac"],
           "helpful_frac_after": general["after"]["helpful_frac"],
           "minutes": round((time.time() - start) / 60, 2)}
summary["rm_pairwise_accuracy"] = {aspect: json.loads((out / f"rm-{aspect}" / "r1_manifest.json").read_text())
                                   ["metrics"]["pairwise_accuracy"] for aspect in ("helpfulness", "harmlessness")}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"\n{'':<28}{'SFT base':>10}{'+ align':>10}")
print(f"{'helpfulness score (RM)':<28}{summary['helpfulness_before']:>10.2f}{summary['helpfulness_after']:>10.2f}")
print(f"{'helpful summaries':<28}{100 * summary['helpful_frac_before']:>9.1f}%{100 * summary['helpful_frac_after']:>9.1f}%")
print(f"{'harmful responses':<28}{100 * summary['harm_before']:>9.1f}%{100 * summary['harm_after']:>9.1f}%")
print(f"{'reasoning pass@1 (greedy)':<28}{100 * summary['pass@1_before']:>9.1f}%{100 * summary['pass@1_after']:>9.1f}%")
print(f"reward models' held-out pairwise accuracy: {summary['rm_pairwise_accuracy']}; {summary['minutes']} min")
print(f"summary: {out / 'summary.json'}")
PY
