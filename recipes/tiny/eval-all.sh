#!/usr/bin/env bash
# Evaluate every model under a folder of runs with the paper's protocol (make eval-all): K samples per problem
# at T=0.6, top-p 0.95 (EVAL_K, default 16), on the embedded held-out test problems (EVAL_BENCH), at most
# EVAL_MAX_TOKENS response tokens (default 64; make r1's worded steps need more). A model is
# any run folder holding a checkpoint (config.json beside r1_manifest.json); each is asked with the prompt
# template it was trained with (its manifest's `template`). Results go to RUNS/eval/NAME, where NAME is the
# run's path under RUNS with "/" as "-"; a model already evaluated there is skipped, so a rerun only adds the
# new ones. Then one table: pass@1, cons@K, mean response tokens and the readable share per model.
# MODELS (space-separated model folders, paths under RUNS) evaluates those only; reward models are never evaluated.
#   RUNS=runs/demo bash recipes/tiny/eval-all.sh
set -euo pipefail
RUNS=${RUNS:-runs}
R1=${R1:-r1}
K=${EVAL_K:-16}
MAX_TOKENS=${EVAL_MAX_TOKENS:-64}
source "$(dirname "$0")/arith.sh"
BENCH=${EVAL_BENCH:-$TEST}
SEED=${DEMO_SEED:-0}
stage() { python -c 'import json, sys; print(json.load(open(sys.argv[1]))["stage"])' "$1/r1_manifest.json"; }
models=${MODELS:-$(find "$RUNS" -name r1_manifest.json -not -path "$RUNS/eval/*" -not -path "*/checkpoint-*" \
  -exec dirname {} \; | sort | while read -r dir; do
    [ -f "$dir/config.json" ] && [ "$(stage "$dir")" != reward-model ] && echo "$dir"; done)}
if [ -z "$models" ]; then
  echo "error: no model checkpoint under $RUNS (set RUNS to a folder of r1 runs)" >&2
  exit 2
fi
for dir in $models; do
  rel=${dir#"$RUNS"/}
  out="$RUNS/eval/${rel//\//-}"
  [ -f "$out/results.json" ] && continue
  template=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["options"].get("template") or "plain")' \
    "$dir/r1_manifest.json")
  echo "== eval $dir (template $template)"
  $R1 -q eval --model "$dir" --benchmark "$BENCH" --num-samples "$K" --temperature 0.6 --top-p 0.95 \
    --template "$template" --max-completion-length "$MAX_TOKENS" --engine hf --seed "$SEED" --output "$out" > /dev/null
done
python - "$RUNS" <<'PY'
import json, sys
from pathlib import Path
rows = []
for results in sorted(Path(sys.argv[1], "eval").glob("*/results.json")):
    (bench,) = json.loads(results.read_text())["benchmarks"].values()
    m, k = bench["metrics"], bench["num_samples"]
    rows.append((results.parent.name, m["pass@1"], m[f"cons@{k}"], m["mean_completion_tokens"], m["readable_frac"]))
print(f"\n{'model':<28}{'pass@1':>9}{'cons@K':>9}{'tokens':>8}{'readable':>10}")
for name, p1, cons, tokens, readable in rows:
    print(f"{name:<28}{100 * p1:>8.1f}%{100 * cons:>8.1f}%{tokens:>8.1f}{100 * readable:>9.1f}%")
PY
