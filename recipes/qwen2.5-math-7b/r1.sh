#!/usr/bin/env bash
# The whole DeepSeek-R1 recipe (arXiv 2501.12948) on a real base model, Qwen2.5-Math-7B, on nodes of 8 H100s: the
# worked example of r1 at scale. Each step is one stage driven by its recipe in this folder (the recipe's first
# lines give the step's command on its own); each output is a folder under runs/qwen7b/ whose manifest names its
# upstream, so `r1 report runs/qwen7b` draws the lineage at the end.
# NOT RUN by the project (no GPU where it is developed): tests/test_recipe_scripts.py checks every r1 command below
# against the stages' options, and docs/r1-at-scale.md estimates each step's wall-clock, with its arithmetic.
#
#   R1-Zero, section 2.2         1. r1 grpo on the base: the R1-Zero prompt, accuracy + format rewards   -> r1-zero
#   R1, section 2.3.1            2. r1 coldstart: R1-Zero's verified, readable outputs in the R1 layout -> coldstart
#                                3. r1 sft of the base on the cold-start set                       -> coldstart-sft
#   R1, section 2.3.2            4. r1 grpo, reasoning RL: accuracy + format + language consistency -> r1-reasoning
#   R1, section 2.3.3            5. r1 reject-sample from 4, a quarter of non-reasoning chat mixed in -> reject-sample
#                                6. r1 sft of the base on that mix (the paper's 800k-sample SFT)   -> r1-sft
#   R1, section 2.3.4            7. r1 reward-model: a harmlessness judge on safety pairs          -> rm-harmlessness
#                                8. r1 align: reasoning + general prompts, two reward models       -> r1
#   Distillation, section 2.4    9. r1 distill: Qwen2.5-Math-1.5B on the final model's traces      -> distill/student
#   Evaluation, section 3       10. r1 eval of every model (T=0.6, top-p 0.95; 16 samples, 64 on AIME) -> eval/, report/
#
# Where it runs: start it on the first node of NODES. Training (steps 1, 3, 4, 6, 7, 8, 9) uses this node's 8 GPUs:
# accelerate with DeepSpeed ZeRO-3 (recipes/accelerate/zero3.yaml), and the RL steps generate their rollouts with
# vLLM colocated on the training GPUs. Sampling (steps 2, 5, 9, 10) uses one `vllm serve` per node of NODES, data
# parallel over its GPUs, started and stopped below; the r1 process itself only sends requests and verifies the
# answers. Every node sees this checkout and runs/ at the same path (a shared filesystem), has the GPU environment
# (`pip install -e '.[gpu]' deepspeed`) on its PATH, and is reached from the first one by ssh.
#
#   SAFETY_PAIRS=DATASET NODES="node1 node2 node3 node4" bash recipes/qwen2.5-math-7b/r1.sh
#
# A step whose output is already finished is skipped, so the same command continues an interrupted chain. A step
# killed midway leaves OUTPUT.partial: run that step's command once by hand with --resume, then this script again.
set -euo pipefail
cd "$(dirname "$0")/../.."               # the repository root: recipe paths below are relative to it
HERE=recipes/qwen2.5-math-7b
ZERO3=recipes/accelerate/zero3.yaml
OUT=${R1_OUT:-runs/qwen7b}
read -ra NODES <<< "${NODES:-$(hostname)}"  # the sampling nodes, as `hostname` names them; the first is this one
FIRST=${NODES[0]}

BASE=Qwen/Qwen2.5-Math-7B                # the base model (a 4,096-token context: every budget below fits in it)
STUDENT=Qwen/Qwen2.5-Math-1.5B           # the distillation student
MATH='DigitalLearningGmbH/MATH-lighteval?split=train'                       # 7,500 problems: the RL prompts
PROBLEMS='open-r1/OpenR1-Math-220k?split=train&prompt=problem&answer=answer' # 94k problems: the sampled prompts
CHAT='HuggingFaceH4/ultrachat_200k?split=train_sft'                         # non-reasoning SFT data
GENERAL='HuggingFaceH4/ultrafeedback_binarized?split=train_prefs'           # general prompts (no answer) for align
JUDGE=Qwen/Qwen2.5-7B-Instruct           # reads the answers math-verify cannot parse (step 5)
HELPFULNESS_RM=Skywork/Skywork-Reward-V2-Qwen3-1.7B
# Harmlessness preference pairs: a dataset spec with chosen/rejected columns (the safer response chosen), e.g. a
# harmlessness split of a public preference set saved as a local file. The chain stops here, before any GPU time,
# when it is not given.
: "${SAFETY_PAIRS:?set SAFETY_PAIRS to a dataset of harmlessness preference pairs (chosen/rejected)}"
mkdir -p "$OUT/logs"

# --- the steps' bookkeeping and the vLLM servers --------------------------------------------------------------
step() {  # step OUTPUT TITLE: print the step's title; false (skip the step) when OUTPUT is already finished
  if [ -f "$1/r1_manifest.json" ]; then echo "== $2: $1 is finished, skipped"; return 1; fi
  echo "== $2"
}
on() {  # on NODE COMMAND: run COMMAND on NODE in this folder (directly on this node, by ssh on the others)
  # shellcheck disable=SC2029  # the command is written here, on purpose, and run there
  if [ "$1" = "$(hostname)" ]; then bash -c "$2"; else ssh "$1" "cd '$PWD' || exit 1; $2"; fi
}
SERVERS=()  # "node pid" of each server started, for stop_servers
serve() {  # serve MODEL PORT GPUS NODE...: one `vllm serve MODEL` per NODE, data parallel over GPUS (0,1,...)
  local model=$1 port=$2 gpus=$3 node i waited pids=()
  shift 3
  local size=$(( $(tr -cd , <<< "$gpus" | wc -c) + 1 ))
  for node in "$@"; do
    pids+=("$(on "$node" "CUDA_VISIBLE_DEVICES=$gpus nohup vllm serve $model --port $port --data-parallel-size $size \
      --max-model-len 4096 --seed 0 < /dev/null > $OUT/logs/vllm-$node-$port.log 2>&1 & echo \$!")")
    SERVERS+=("$node ${pids[-1]}")
  done
  i=0
  # A 7B model loads in minutes; a server that exits, or is not up within 30 minutes, stops the chain.
  for node in "$@"; do
    waited=0
    until curl -sf "http://$node:$port/health" > /dev/null; do
      if [ "$waited" -ge 1800 ] || ! on "$node" "kill -0 ${pids[i]} 2> /dev/null"; then
        echo "error: vllm serve $model on $node did not start; see $OUT/logs/vllm-$node-$port.log" >&2
        exit 1
      fi
      sleep 10
      waited=$((waited + 10))
    done
    i=$((i + 1))
  done
}
stop_servers() {  # stop every server serve started and wait until each has exited (its GPUs are free again)
  local entry node pid
  for entry in "${SERVERS[@]}"; do
    read -r node pid <<< "$entry"
    on "$node" "kill $pid 2> /dev/null; while kill -0 $pid 2> /dev/null; do sleep 2; done" || true
  done
  SERVERS=()
}
trap stop_servers EXIT
URLS=()
server_urls() {  # server_urls PORT: URLS holds one --server-url per node of NODES
  URLS=()
  for node in "${NODES[@]}"; do URLS+=(--server-url "http://$node:$1"); done
}

# --- R1-Zero --------------------------------------------------------------------------------------------------
if step "$OUT/r1-zero" "1. R1-Zero: GRPO on the base model, rule rewards only (section 2.2)"; then
  accelerate launch --config_file "$ZERO3" -m r1cli grpo --config "$HERE/grpo-zero.yaml" \
    --model "$BASE" --dataset "$MATH" --output "$OUT/r1-zero"
fi

# --- R1: cold start, reasoning RL, rejection sampling + SFT, RL for all scenarios -------------------------------
if step "$OUT/coldstart" "2. cold-start data from the R1-Zero checkpoint (section 2.3.1)"; then
  serve "$OUT/r1-zero" 8000 0,1,2,3,4,5,6,7 "${NODES[@]}"
  server_urls 8000
  r1 coldstart --config "$HERE/coldstart.yaml" --model "$OUT/r1-zero" --dataset "$PROBLEMS&limit=16000" \
    "${URLS[@]}" --output "$OUT/coldstart"
  stop_servers
fi
# (Optional, as the paper's people did: review $OUT/coldstart/review.jsonl, then `r1 coldstart --from-review`.)
if step "$OUT/coldstart-sft" "3. SFT of the base on the cold-start set (section 2.3.1)"; then
  accelerate launch --config_file "$ZERO3" -m r1cli sft --config "$HERE/sft-coldstart.yaml" \
    --model "$BASE" --dataset "$OUT/coldstart" --output "$OUT/coldstart-sft"
fi
if step "$OUT/r1-reasoning" "4. reasoning RL with the language consistency reward (section 2.3.2)"; then
  accelerate launch --config_file "$ZERO3" -m r1cli grpo --config "$HERE/grpo-reasoning.yaml" \
    --model "$OUT/coldstart-sft" --dataset "$MATH" --output "$OUT/r1-reasoning"
fi
if step "$OUT/reject-sample" "5. rejection sampling, non-reasoning data mixed in (section 2.3.3)"; then
  serve "$OUT/r1-reasoning" 8000 0,1,2,3,4,5,6 "${NODES[@]}"    # GPU 7 of the first node serves the judge
  serve "$JUDGE" 8100 7 "$FIRST"
  server_urls 8000
  r1 reject-sample --config "$HERE/reject-sample.yaml" --model "$OUT/r1-reasoning" --dataset "$PROBLEMS" \
    "${URLS[@]}" --judge "$JUDGE" --judge-server-url "http://$FIRST:8100" --mix "$CHAT:0.25" \
    --output "$OUT/reject-sample"
  stop_servers
fi
if step "$OUT/r1-sft" "6. SFT of the base on the rejection-sampling mix, two epochs (section 2.3.3)"; then
  accelerate launch --config_file "$ZERO3" -m r1cli sft --config "$HERE/sft-r1.yaml" \
    --model "$BASE" --dataset "$OUT/reject-sample" --output "$OUT/r1-sft"
fi
if step "$OUT/rm-harmlessness" "7. the harmlessness reward model (section 2.3.4)"; then
  accelerate launch --config_file "$ZERO3" -m r1cli reward-model --config "$HERE/reward-model.yaml" \
    --dataset "$SAFETY_PAIRS" --output "$OUT/rm-harmlessness"
fi
if step "$OUT/r1" "8. RL for all scenarios: reasoning and general prompts (section 2.3.4)"; then
  accelerate launch --config_file "$ZERO3" -m r1cli align --config "$HERE/align.yaml" \
    --model "$OUT/r1-sft" --dataset "$MATH:0.6,$GENERAL:0.4" \
    --helpfulness-rm "$HELPFULNESS_RM" --harmlessness-rm "$OUT/rm-harmlessness:0.5" --output "$OUT/r1"
fi

# --- distillation ---------------------------------------------------------------------------------------------
if step "$OUT/distill/student" "9. distillation of the final model into $STUDENT (section 2.4)"; then
  if [ ! -f "$OUT/distill-sample/traces/r1_manifest.json" ]; then
    # The teacher's traces, sampled against the servers by one process; the student this command also trains,
    # for one step on GPU 7, is only a check: the student of record is trained next, on all 8 GPUs.
    serve "$OUT/r1" 8000 0,1,2,3,4,5,6 "${NODES[@]}"
    server_urls 8000
    CUDA_VISIBLE_DEVICES=7 r1 distill --config "$HERE/distill.yaml" --teacher "$OUT/r1" --student "$STUDENT" \
      --dataset "$PROBLEMS" "${URLS[@]}" --max-steps 1 --output "$OUT/distill-sample"
    stop_servers
  fi
  accelerate launch --config_file "$ZERO3" -m r1cli distill --config "$HERE/distill.yaml" \
    --teacher "$OUT/r1" --student "$STUDENT" --traces "$OUT/distill-sample/traces" --output "$OUT/distill"
fi

# --- evaluation -----------------------------------------------------------------------------------------------
evaluate() {  # evaluate NAME MODEL TEMPLATE: MATH-500 and AMC 2023 (16 samples), AIME 2024 (64), one server set
  step "$OUT/eval/$1-aime" "10. evaluate $1 ($2), the paper's protocol (section 3)" || return 0
  serve "$2" 8000 0,1,2,3,4,5,6,7 "${NODES[@]}"
  server_urls 8000
  [ -f "$OUT/eval/$1/r1_manifest.json" ] || r1 eval --config "$HERE/eval.yaml" --model "$2" --template "$3" \
    "${URLS[@]}" --output "$OUT/eval/$1"
  r1 eval --config "$HERE/eval-aime.yaml" --model "$2" --template "$3" "${URLS[@]}" --output "$OUT/eval/$1-aime"
  stop_servers
}
evaluate base "$BASE" r1-zero                   # the base and R1-Zero are asked in the R1-Zero template,
evaluate r1-zero "$OUT/r1-zero" r1-zero
evaluate coldstart "$OUT/coldstart-sft" chat    # the others in their chat template
evaluate r1-reasoning "$OUT/r1-reasoning" chat
evaluate r1-sft "$OUT/r1-sft" chat
evaluate r1 "$OUT/r1" chat
evaluate student-distilled "$OUT/distill/student" chat
r1 report "$OUT" --output "$OUT/report" --overwrite
echo "report: $OUT/report/report.html"
