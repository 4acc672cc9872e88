"""The GRPOTrainer subclass used by the RL stages (`r1 grpo`, `r1 align`): optional dynamic sampling (masking
constant groups, or refilling the batch with informative ones), a derived
`accuracy` log key, --log-completions' sample in tensorboard too, and, for datasets whose rows have a `kind` (align's reasoning and general rows), each
reward's mean and the weighted reward per kind (`KIND/rewards/NAME/mean`, `KIND/reward`).

Everything else (generation, rewards, advantages, loss, checkpoints) is TRL's own code.
"""

from __future__ import annotations


def reward_keys(specs) -> list[tuple[str, str]]:
    """(reward name, the metrics key TRL logs its per-step mean under) for parsed reward specs. TRL names a
    reward function's metrics after the function (`rewards/accuracy_reward/mean`)."""
    return [(name, f"rewards/{fn.__name__}/mean") for name, fn, _ in specs]


def accuracy_key(specs) -> str | None:
    """The metrics key of the first right-or-wrong reward among the specs (its mean is the accuracy), or None."""
    from r1cli.rewards import measures_correctness

    return next((key for name, key in reward_keys(specs) if measures_correctness(name)), None)


def trainer_class():
    """Build the subclass lazily, so importing this module does not import TRL."""
    import torch
    from accelerate.utils import gather_object
    from trl import GRPOTrainer

    from r1cli.rl import refill
    from r1cli.rl.dynamic import constant_groups, keep_mask

    class R1GRPOTrainer(GRPOTrainer):
        dynamic_sampling: str = "off"  # off | mask (r1cli.rl.dynamic) | refill (r1cli.rl.refill)
        max_generation_rounds: int = 1
        accuracy_key: str | None = None  # see accuracy_key(); None: no right-or-wrong reward was given

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            self._r1_rewards_per_func = rewards_per_func  # gathered over processes, (B_global, n_funcs)
            if inputs and "kind" in inputs[0]:
                self._log_kinds(gather_object([row["kind"] for row in inputs]), rewards_per_func)
            return rewards_per_func

        def _log_kinds(self, kinds: list, per_func) -> None:
            metrics = self._metrics["train" if self.model.training else "eval"]
            weights = self.reward_weights.to(per_func.device)
            for kind in sorted(set(kinds)):
                rows = per_func[torch.tensor([k == kind for k in kinds], device=per_func.device)]
                for i, name in enumerate(self.reward_func_names):
                    scored = rows[:, i][~torch.isnan(rows[:, i])]
                    if scored.numel():
                        metrics[f"{kind}/rewards/{name}/mean"].append(scored.mean().item())
                scorable = ~torch.isnan(rows).all(dim=1)
                if scorable.any():
                    total = (rows[scorable] * weights.unsqueeze(0)).nansum(dim=1)
                    metrics[f"{kind}/reward"].append(total.mean().item())

        def _generate_and_score_completions(self, inputs):
            if self.dynamic_sampling == "refill" and self.model.training:
                return self._refilled(inputs)
            output = super()._generate_and_score_completions(inputs)
            if self.dynamic_sampling == "mask" and self.model.training:
                self._drop_constant_groups(output)
            return output

        def _local_constant_groups(self, rows: int) -> torch.Tensor:
            """One bool per local group of the last generate-and-score call: its rewards are all equal. The
            rewards were gathered over processes; a process's groups are its own rows (train.check keeps a
            rollout batch a whole number of groups)."""
            per_func = self._r1_rewards_per_func
            rewards = (per_func * self.reward_weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)
            rewards[torch.isnan(per_func).all(dim=1)] = torch.nan
            groups = rows // self.num_generations
            start = self.accelerator.process_index * groups
            return constant_groups(rewards, self.num_generations)[start : start + groups].cpu()

        def _refilled(self, inputs):
            """TRL's batch for `inputs`, its constant groups replaced by informative groups of further prompts
            (see r1cli.rl.refill)."""
            size, want = self.num_generations, len(inputs) // self.num_generations
            informative, have, dropped, rounds, rows = [], 0, 0, 0, inputs
            while True:
                batch = super()._generate_and_score_completions(rows)
                rounds += 1
                constant = self._local_constant_groups(len(rows))
                dropped += int(constant.sum())
                informative.append(refill.take(batch, refill.group_rows(torch.nonzero(~constant).flatten(), size)))
                if rounds == 1:  # the top-up should the rounds run out: this batch's constant groups, masked
                    first_constant = refill.take(batch, refill.group_rows(torch.nonzero(constant).flatten(), size))
                have += int((~constant).sum())
                short = torch.tensor([float(have < want)], device=self.accelerator.device)
                if rounds >= self.max_generation_rounds or not self.accelerator.gather(short).any():
                    break
                rows = self._more_prompts(want)
            kept = min(have, want)
            parts = [refill.take(refill.concat(informative), torch.arange(kept * size))]
            if kept < want:
                parts.append(refill.take(first_constant, torch.arange((want - kept) * size)))
            for part, live in zip(parts, (1, 0), strict=False):
                mask = torch.full_like(part["completion_mask"], live)
                part["tool_mask"] = part["tool_mask"] * mask if "tool_mask" in part else mask
            output = refill.concat(parts)
            output["num_items_in_batch"] = self.accelerator.gather(
                (output["completion_mask"] * output["tool_mask"]).sum()).sum()
            totals = self.accelerator.gather(torch.tensor([kept, want, dropped], device=self.accelerator.device)
                                             .unsqueeze(0)).sum(dim=0).tolist()
            metrics = self._metrics["train"]
            metrics["refill/rounds"].append(float(rounds))
            metrics["refill/groups_dropped"].append(float(totals[2]))
            metrics["frac_groups_dropped"].append(1.0 - totals[0] / totals[1])
            return output

        def _more_prompts(self, count: int) -> list:
            """`count` further training prompts, each repeated for its group: a shuffled pass over the training
            set of this process's own (seeded by --seed and the process), cycled."""
            if getattr(self, "_refill_order", None) is None:
                seed = torch.Generator().manual_seed(self.args.seed + 1 + self.accelerator.process_index)
                self._refill_order = torch.randperm(len(self.train_dataset), generator=seed).tolist()
                self._refill_next = 0
            rows = []
            for _ in range(count):
                rows.append(self.train_dataset[self._refill_order[self._refill_next % len(self._refill_order)]])
                self._refill_next += 1
            return [row for row in rows for _ in range(self.num_generations)]

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
            # `accuracy`: the step's mean of the right-or-wrong reward (NaN where it could not score), so the
            # progress bar, metrics.jsonl and the plots read one key whatever reward measured correctness.
            mode = "train" if self.model.training else "eval"
            values = [v for v in self._metrics[mode].get(self.accuracy_key, []) if v == v]
            if values:
                logs = {**logs, "accuracy": sum(values) / len(values)}
            super().log(logs, start_time)
            if self.log_completions and self.accelerator.is_main_process and mode == "train":
                self._completions_to_tensorboard()

        def _completions_to_tensorboard(self) -> None:
            """TRL sends --log-completions' rows to wandb and trackio only; tensorboard gets a text table of the
            first few (its text plugin shows markdown)."""
            from transformers.integrations import TensorBoardCallback

            from r1cli.rl.args import COMPLETIONS_SHOWN

            board = next((c for c in self.callback_handler.callbacks if isinstance(c, TensorBoardCallback)), None)
            if board is None or board.tb_writer is None:
                return
            rewards = {name: list(values) for name, values in self._logs["rewards"].items()}
            rows = ["| prompt | completion | " + " | ".join(rewards) + " | advantage |",
                    "|---" * (len(rewards) + 3) + "|"]
            for i, (prompt, completion) in enumerate(list(zip(self._logs["prompt"], self._logs["completion"],
                                                              strict=True))[:COMPLETIONS_SHOWN]):
                cells = [_cell(prompt), _cell(completion), *(f"{v[i]:.3g}" for v in rewards.values()),
                         f"{self._logs['advantages'][i]:.3g}"]
                rows.append("| " + " | ".join(cells) + " |")
            board.tb_writer.add_text("completions", "\n".join(rows), self.state.global_step)

    return R1GRPOTrainer


def _cell(text) -> str:
    """A prompt or completion (text or chat messages) as one markdown table cell."""
    if isinstance(text, list):
        text = "\n".join(f"{m.get('role')}: {m.get('content')}" for m in text if isinstance(m, dict))
    return str(text).replace("|", "\\|").replace("\n", "<br>")
