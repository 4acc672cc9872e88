"""Helpers of the `r1 grpo` stage: TRL argument mapping, the rollout backend choice, the trainer subclass
(dynamic sampling, derived metrics) and the training callbacks (held-out eval, best checkpoint)."""
