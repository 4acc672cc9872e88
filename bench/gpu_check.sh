#!/usr/bin/env bash
# The GPU check (make gpu-check): sft, grpo (transformers generation, no vLLM), reward-model, distill (on-policy,
# the student being the sft output, so teacher and student share a vocabulary) and eval (hf engine) on CUDA in
# bf16, on the tiny model and, when its folder is there, SmolLM2-135M-Instruct; one line per stage, then exit 1
# if any stage failed. Each stage is a few steps at tiny sizes: the whole check is meant to finish in well under
# 8 minutes on one GPU. It is never a test dependency.
#
#   bash bench/gpu_check.sh            on the GPU machine (torch and transformers there, no network): installs the
#                                      wheels in .whl/ (bench/gpu_wheels.sh downloads them here) into
#                                      /tmp/r1-site, checks that CUDA and bf16 are there, runs every stage
#   bash bench/gpu_check.sh --dry-run  here on CPU with the installed r1cli: the tiny model only, 1 step each, no
#                                      wheels; shows that the script and its stages run (tests/test_gpu_check.py)
#
# Environment: PYTHON (default python3), SMOLLM2 (default models/smollm2-135m-instruct; skipped when missing),
# GPU_CHECK_OUT (default a fresh temporary folder; every stage's log is kept there).
set -uo pipefail
DRY=0
case "${1:-}" in
  --dry-run) DRY=1 ;;
  "") ;;
  *) echo "error: unknown argument $1 (use --dry-run or nothing)" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
OUT=${GPU_CHECK_OUT:-$(mktemp -d -t r1-gpu-check.XXXXXX)}
SMOLLM2=${SMOLLM2:-$ROOT/models/smollm2-135m-instruct}
mkdir -p "$OUT"

if [ "$DRY" = 1 ]; then
  STEPS=1
  MODELS="tiny"
  export CUDA_VISIBLE_DEVICES=""   # the dry run is the CPU path, whatever the machine has
else
  STEPS=4
  shopt -s nullglob
  wheels=("$ROOT"/.whl/*.whl)
  if [ ${#wheels[@]} -eq 0 ]; then
    echo "error: no wheels in $ROOT/.whl (run bash bench/gpu_wheels.sh where PyPI is reachable, carry .whl)" >&2
    exit 2
  fi
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/r1-site \
    "${wheels[@]}" || exit 1
  export PYTHONPATH="$ROOT:/tmp/r1-site${PYTHONPATH:+:$PYTHONPATH}"
  "$PY" -c "import torch; assert torch.cuda.is_available() and torch.cuda.is_bf16_supported(), 'no CUDA bf16'" \
    || exit 1
  MODELS="tiny"
  if [ -f "$SMOLLM2/config.json" ]; then MODELS="tiny smollm2"; else echo "smollm2: skipped, $SMOLLM2 missing"; fi
fi
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
"$PY" -c "import torch, transformers, trl, r1cli; print(f'torch {torch.__version__}, transformers \
{transformers.__version__}, trl {trl.__version__}, r1cli from {r1cli.__file__}, cuda: {torch.cuda.is_available()}')"

FAILED=0
# stage NAME MODEL_LABEL FOLDER ARGS...: run `r1 ARGS --output FOLDER`, print one line (time, device and what
# the manifest says), keep the log beside the folder
stage() {
  local name=$1 label=$2 dir=$3
  shift 3
  local t0=$SECONDS
  if "$PY" -m r1cli -q "$@" --output "$dir" > "$dir.log" 2>&1; then
    echo "$name $label: ok in $((SECONDS - t0)) s, $("$PY" "$ROOT/bench/gpu_check_line.py" "$dir")"
  else
    FAILED=1
    echo "$name $label: FAILED in $((SECONDS - t0)) s: $(grep -v '^\s*$' "$dir.log" | tail -n 1) (log: $dir.log)"
  fi
}

for label in $MODELS; do
  if [ "$label" = tiny ]; then model=tiny template=plain; else model=$SMOLLM2 template=chat; fi
  base="$OUT/$label"
  mkdir -p "$base"
  train=(--max-steps "$STEPS" --save-steps 0 --per-device-train-batch-size 8)
  stage sft "$label" "$base/sft" sft --model "$model" --dataset "task:arith?n=64" --template "$template" \
    "${train[@]}"
  stage grpo "$label" "$base/grpo" grpo --model "$model" --dataset "task:arith?n=16" --template "$template" \
    --reward accuracy --reward format:0.5 --group-size 4 --max-completion-length 32 --use-vllm false "${train[@]}"
  stage reward-model "$label" "$base/rm" reward-model --model "$model" \
    --dataset "task:prefs?aspect=helpfulness&n=64" "${train[@]}"
  stage distill "$label" "$base/distill" distill --method on-policy --teacher "$model" --student "$base/sft" \
    --dataset "task:arith?n=16" --template "$template" --max-completion-length 32 "${train[@]}"
  stage eval "$label" "$base/eval" eval --model "$base/sft" --engine hf --benchmark "task:arith?split=test&n=8" \
    --num-samples 2 --template "$template" --max-completion-length 32
done
echo "logs and outputs: $OUT"
exit $FAILED
