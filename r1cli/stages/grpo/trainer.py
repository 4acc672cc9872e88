"""The GRPOTrainer subclass used by `r1 grpo`: optional dynamic sampling and two derived log keys.

Everything else (generation, rewards, advantages, loss, checkpoints) is TRL's own code.
"""

from __future__ import annotations


def trainer_class():
    """Build the subclass lazily, so importing this module does not import TRL."""
    import torch
    from trl import GRPOTrainer

    from r1cli.stages.grpo.dynamic import keep_mask

    class R1GRPOTrainer(GRPOTrainer):
        dynamic_sampling: bool = False

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            self._r1_rewards_per_func = rewards_per_func  # gathered over processes, (B_global, n_funcs)
            return rewards_per_func

        def _generate_and_score_completions(self, inputs):
            output = super()._generate_and_score_completions(inputs)
            if self.dynamic_sampling and self.model.training:
                self._drop_constant_groups(output)
            return output

        def _drop_constant_groups(self, output) -> None:
            per_func = self._r1_rewards_per_func
            rewards = (per_func * self.reward_weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)
            rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
            keep_all = keep_mask(rewards, self.num_generations)
            local = output["completion_ids"].size(0)
            start = self.accelerator.process_index * local
            keep = keep_all[start : start + local].to(output["completion_mask"].device)
            row_mask = keep.unsqueeze(1).to(output["completion_mask"].dtype).expand_as(output["completion_mask"])
            old = output.get("tool_mask")
            output["tool_mask"] = row_mask.clone() if old is None else old * row_mask
            loss_mask = output["completion_mask"] * output["tool_mask"]
            output["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
            self._metrics["train"]["frac_groups_dropped"].append(1.0 - keep_all.mean().item())

        def log(self, logs, start_time=None):
            mode = "train" if self.model.training else "eval"
            acc = self._metrics[mode].get("rewards/accuracy_reward/mean")
            if acc:
                values = [v for v in acc if v == v]
                if values:
                    logs = {**logs, "accuracy": sum(values) / len(values)}
            super().log(logs, start_time)

    return R1GRPOTrainer
