# The task of the SmolLM2 chain (recipes/smollm2/r1.sh), sourced by it: word problems of one or two steps, which
# a 135M instruct model can partly solve (GSM8K is beyond it: pass@1 0.0 over 20 problems), and the R1-Zero
# instruction as a system prompt, so the model keeps its own chat template and is asked for the tags.
TASK="task:arith?style=word&steps=1"
RL="$TASK&n=2000&seed=1"        # GRPO, cold-start, rejection-sampling and distillation prompts
TEST="$TASK&n=50&split=test"    # the held-out problems every model is evaluated on
R1_ZERO_SYSTEM="You first think about the reasoning process and then give the answer. The reasoning process and \
answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning \
process here </think> <answer> answer here </answer>."
