# The embedded arithmetic task of the tiny chains, sourced by demo.sh, length-run.sh, distill-demo.sh and r1.sh:
# one definition, so a teacher trained by one script is distilled and evaluated on the same problems by another.
TASK="task:arith?style=expr&steps=2&paren=0.5"
RL="$TASK&n=3000&seed=1"        # the RL (and distillation) prompts
VALID="$TASK&n=200&seed=2"      # validation during GRPO: the train split, never the test problems
TEST="$TASK&n=500&split=test"   # the held-out problems every table reports
