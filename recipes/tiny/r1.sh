#!/usr/bin/env bash
# The whole DeepSeek-R1 recipe in miniature (make r1), CPU only, no download: every stage of the paper on the
# embedded tiny model and arithmetic task, each driven by its recipe in recipes/tiny/r1/ (or the demo's, beside it), each
# output folder's manifest naming the run it came from (r1 report RUNS draws that lineage).
#   1. base          r1 sft: the weak base, the demo's slipping teacher (60 % of the solutions where it matters)
#                    with its steps in words, 6 in 10 of them alternating English and French step to step
#   2. r1-zero       r1 grpo on the base with rule rewards only (accuracy, format): DeepSeek-R1-Zero, language
#                    mixing and all
#   3. cold start    r1 coldstart from R1-Zero's outputs (zero mode) on 800 easier problems (flat: none in the
#                    "(a+b)*c" shape where the base slips), the correct and readable ones (mixed languages
#                    filtered out) in the R1 layout
#                    "<think>\nSTEPS\n</think>\n\nANSWER"; the human pass (review.jsonl, here unedited) re-checked
#                    with --from-review
#   4. coldstart     r1 sft of the base on the reviewed cold-start set: the layout and one language, not the skill
#   5. r1-reasoning  r1 grpo with accuracy + the R1-layout format + language consistency on the RL prompts,
#                    half of them in the shape the cold start never saw, where RL finds the fix; the paper's ablation
#                    of that reward where the mixing is: R1-Zero's RL continued with it and without it
#                    (language-with, language-without; the cold start leaves no mixing to cure)
#   6. rejection     r1 reject-sample from it on new problems, non-reasoning rows (general requests) mixed in
#   7. r1-sft        r1 sft of the base on that mix
#   8. r1            r1 reward-model (helpfulness, harmlessness), then r1 align on reasoning + general prompts
#   9. distilled     r1 distill of r1 into a smaller student (its base trained as in step 1)
#  10. evaluation    every model on 200 held-out problems, the paper's protocol (K=16 at T=0.6, top-p 0.95):
#                    pass@1, cons@16, mean response tokens, share in the readable layout, share whose reasoning
#                    mixes languages (* marks an RL model that published its input weights); helpfulness and harm
#                    on held-out general prompts for r1-sft and r1. One table and OUT/summary.json, with the
#                    language ablation (pass@1 and mixed_frac with and without the language reward).
# Two lanes share the 2 cores (each stage keeps about one busy): the main lane runs the chain's spine, 1 to 9;
# the side lane runs what only needs the spine's earlier outputs (the reward models, the student's base, the
# ablation, most evaluations), waiting for each input to be published.
# The length-growth finding is its own recipe (make length-run, recipes/tiny/length-run.sh: its own base, ~10
# minutes): its means over the first and last 10 GRPO steps go into the summary when LENGTH_RUN (default
# runs/length) holds a finished run.
# DEMO_SEED (default 0) seeds every stage; DEMO_OUT (default runs/r1) is the output folder.
set -euo pipefail
SEED=${DEMO_SEED:-0}
OUT=${DEMO_OUT:-runs/r1}
R1=${R1:-r1}
PY=${PYTHON:-python}
HERE=$(dirname "$0")
source "$HERE/arith.sh"   # TASK, RL, VALID, TEST
GENERAL="task:general"
STUDENT="tiny?layers=2&hidden=64&intermediate=256"
LENGTH_RUN=${LENGTH_RUN:-runs/length}
START=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"
step() { echo "== $1 ($(( ($(date +%s) - START) / 60 )) min)"; }
# the paper's protocol (eval-all.sh, one definition): K=16 samples at T=0.6, top-p 0.95, here of 200 held-out
# problems (~40 s a model), with room for the worded steps
evaluate() {
  MODELS="$*" RUNS="$OUT" R1="$R1" DEMO_SEED="$SEED" EVAL_K=16 EVAL_BENCH="$TASK&n=200&split=test" \
    EVAL_MAX_TOKENS=128 bash "$HERE/eval-all.sh" > /dev/null
}

main_lane() {
  step "1. base: SFT on the slipping teacher, its steps in words, 6 in 10 mixing English and French"
  $R1 -q sft --config "$HERE/r1/sft-base.yaml" --seed "$SEED" --output "$OUT/base"
  step "2. R1-Zero: GRPO with rule rewards on the base"
  $R1 -q grpo --config "$HERE/r1/grpo-zero.yaml" --model "$OUT/base" --dataset "$RL" --eval-dataset "$VALID" \
    --seed "$SEED" --output "$OUT/r1-zero"
  step "3. cold-start data from R1-Zero's outputs, then the (unedited) review re-checked"
  $R1 -q coldstart --config "$HERE/r1/coldstart.yaml" --model "$OUT/r1-zero" --seed "$SEED" \
    --output "$OUT/coldstart-data" > /dev/null
  $R1 -q coldstart --from-review "$OUT/coldstart-data/review.jsonl" --output "$OUT/coldstart-reviewed" > /dev/null
  step "4. cold start: SFT of the base on it"
  $R1 -q sft --config "$HERE/r1/sft-coldstart.yaml" --model "$OUT/base" --dataset "$OUT/coldstart-reviewed" \
    --seed "$SEED" --output "$OUT/coldstart"
  step "5. reasoning RL: accuracy + R1 layout + language consistency"
  $R1 -q grpo --config "$HERE/r1/grpo-reasoning.yaml" --model "$OUT/coldstart" --dataset "$RL" \
    --eval-dataset "$VALID" --seed "$SEED" --output "$OUT/r1-reasoning"
  step "6. rejection sampling + non-reasoning rows"
  $R1 -q reject-sample --config "$HERE/r1/reject-sample.yaml" --model "$OUT/r1-reasoning" --seed "$SEED" \
    --output "$OUT/reject-sample" > /dev/null
  step "7. R1 SFT: the base on the curated mix"
  $R1 -q sft --config "$HERE/r1/sft-mix.yaml" --model "$OUT/base" --dataset "$OUT/reject-sample" --seed "$SEED" \
    --output "$OUT/r1-sft"
  step "8. RL for all scenarios: align with the two reward models"
  after "$OUT/rm-harmlessness"
  $R1 -q align --config "$HERE/r1/align.yaml" --model "$OUT/r1-sft" \
    --dataset "$TASK&n=2000&seed=1:0.7,$GENERAL?n=2000&seed=1:0.3" \
    --helpfulness-rm "$OUT/rm-helpfulness" --harmlessness-rm "$OUT/rm-harmlessness" --seed "$SEED" --output "$OUT/r1"
  step "9. distillation into the smaller student"
  after "$OUT/student-base"
  $R1 -q distill --config "$HERE/r1/distill.yaml" --teacher "$OUT/r1" --student "$OUT/student-base" --seed "$SEED" \
    --output "$OUT/student-distilled" > /dev/null
  step "10. evaluation (main lane): the distilled student, r1, and both on general prompts"
  evaluate "$OUT/student-distilled/student" "$OUT/r1"
  for name in r1-sft r1; do  # 4 samples of 50 held-out general prompts, judged by the two reward models
    $R1 -q eval --model "$OUT/$name" --benchmark "$GENERAL?n=50&split=test" --num-samples 4 --template plain \
      --max-completion-length 96 --engine hf --reward-model "helpfulness=$OUT/rm-helpfulness" \
      --reward-model "harmlessness=$OUT/rm-harmlessness" --seed "$SEED" --output "$OUT/general-$name" > /dev/null
  done
}

side_lane() {
  step "8a. two reward models (helpfulness, harmlessness) and 9a. the student's base (side lane)"
  for aspect in helpfulness harmlessness; do
    $R1 -q reward-model --config "$HERE/reward-model.yaml" --dataset "task:prefs?aspect=$aspect&n=1000" \
      --seed "$SEED" --output "$OUT/rm-$aspect"
  done
  $R1 -q sft --config "$HERE/r1/sft-base.yaml" --model "$STUDENT" --seed "$SEED" --output "$OUT/student-base"
  evaluate "$OUT/student-base"
  after "$OUT/base"
  evaluate "$OUT/base"
  after "$OUT/r1-zero"
  step "5b. the language reward's ablation: R1-Zero's RL continued with it, then without it (side lane)"
  $R1 -q grpo --config "$HERE/r1/grpo-language.yaml" --model "$OUT/r1-zero" \
    --dataset "$RL" --eval-dataset "$VALID" --seed "$SEED" --output "$OUT/language-with"
  $R1 -q grpo --config "$HERE/r1/grpo-language.yaml" --reward accuracy --reward format:0.5 --model "$OUT/r1-zero" \
    --dataset "$RL" --eval-dataset "$VALID" --seed "$SEED" --output "$OUT/language-without"
  step "10. evaluation (side lane): every other model as it is published"
  evaluate "$OUT/r1-zero" "$OUT/language-with" "$OUT/language-without"
  for name in coldstart r1-reasoning r1-sft; do
    after "$OUT/$name"
    evaluate "$OUT/$name"
  done
}

# Wait until the other lane has published the run folder $1 (r1 renames a finished run into place, manifest
# and all). A lane that fails stops the whole script, and with it the other lane.
after() { until [ -f "$1/r1_manifest.json" ]; do sleep 5; done; }

set -m   # each lane in its own process group, so that a failure (or Ctrl-C) stops a lane's running stage too
LANES=""
trap 'for pid in $LANES; do kill -TERM -- "-$pid" 2> /dev/null || true; done' EXIT
main_lane & LANES="$!"
side_lane & LANES="$LANES $!"
for _ in $LANES; do wait -n; done   # the first lane to fail ends the script (set -e)
LANES=""
$PY - "$OUT" "$START" "$LENGTH_RUN" <<'PY'
import json, sys, time
from pathlib import Path
out, start, length = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
# model name -> its folder under OUT (eval-all names its evaluation by that path, "/" as "-")
names = {"base": "base", "r1-zero": "r1-zero", "coldstart": "coldstart", "r1-reasoning": "r1-reasoning",
         "language-with": "language-with", "language-without": "language-without", "r1-sft": "r1-sft", "r1": "r1",
         "student-base": "student-base",
         "student-distilled": "student-distilled/student"}
models = {}
for name, folder in names.items():
    results = out / "eval" / folder.replace("/", "-") / "results.json"
    (bench,) = json.loads(results.read_text())["benchmarks"].values()
    m, k = bench["metrics"], bench["num_samples"]
    # the paper's finding that majority voting beats one sample, as measured (cons minus pass@1, in points)
    models[name] = {"pass@1": m["pass@1"], f"cons@{k}": m[f"cons@{k}"],
                    "cons_minus_pass1": round(100 * (m[f"cons@{k}"] - m["pass@1"]), 2),
                    "mean_tokens": m["mean_completion_tokens"], "readable_frac": m["readable_frac"],
                    "mixed_frac": m["mixed_frac"]}
    # an RL run whose keep-best found no step better than its input published the input weights unchanged
    manifest = out / folder / "r1_manifest.json"
    if manifest.is_file() and (json.loads(manifest.read_text()).get("metrics") or {}).get("published_input"):
        models[name]["published_input"] = True
from r1cli.tasks.general import leaks
for name in ("r1-sft", "r1"):
    (general,) = json.loads((out / f"general-{name}" / "results.json").read_text())["benchmarks"].values()
    texts = [json.loads(line)["completion"] for line in (out / f"general-{name}" / "samples.jsonl").open()]
    # harm as the task defines it (a secret-like code anywhere in the response): a rule, not the reward model
    # align was trained against
    models[name].update(helpfulness=round(general["metrics"]["helpfulness"], 4),
                        harm=round(sum(map(leaks, texts)) / len(texts), 4))
# finding (2) is make length-run's (LENGTH_RUN), when it has run
run = json.loads((length / "summary.json").read_text()) if (length / "summary.json").is_file() else None
# the paper's ablation of the language reward: the same RL from R1-Zero, with and without it
ablation = {side: {key: models[f"language-{side}"][key] for key in ("pass@1", "mixed_frac")}
            for side in ("with", "without")}
summary = {"minutes": round((time.time() - start) / 60, 2), "models": models, "language_ablation": ablation,
           "length_run": run and {key: run[key] for key in ("acc_first10", "acc_last10", "len_first10", "len_last10")}}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
k = next(int(key[5:]) for key in models["base"] if key.startswith("cons@"))
print(f"\n{'model':<19}{'pass@1':>8}{f'cons@{k}':>9}{'tokens':>8}{'readable':>10}{'mixed':>8}{'helpful':>9}{'harm':>7}")
for name, m in models.items():
    extra = f"{m['helpfulness']:>9.2f}{100 * m['harm']:>6.1f}%" if "harm" in m else ""
    shown = name + (" *" if m.get("published_input") else "")
    print(f"{shown:<19}{100 * m['pass@1']:>7.1f}%{100 * m[f'cons@{k}']:>8.1f}%{m['mean_tokens']:>8.1f}"
          f"{100 * m['readable_frac']:>9.1f}%{100 * m['mixed_frac']:>7.1f}%{extra}")
if any(m.get("published_input") for m in models.values()):
    print("* keep-best published its input weights: no RL step beat the input model on the held-out set")
lr = summary["length_run"]
w, wo = ablation["with"], ablation["without"]
print(f"language reward ablation: pass@1 {100 * w['pass@1']:.1f} % with, {100 * wo['pass@1']:.1f} % without; "
      f"mixed {100 * w['mixed_frac']:.1f} % with, {100 * wo['mixed_frac']:.1f} % without")
if lr:
    print(f"length run (GRPO, first -> last 10 steps): accuracy {lr['acc_first10']:.3f} -> {lr['acc_last10']:.3f}, "
          f"mean length {lr['len_first10']:.1f} -> {lr['len_last10']:.1f} tokens")
else:
    print(f"no length run in {length}: make length-run measures that finding")
print(f"{summary['minutes']} min; summary: {out / 'summary.json'}; r1 report {out} draws the lineage and curves")
PY
