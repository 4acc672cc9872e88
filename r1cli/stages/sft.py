"""r1 sft: supervised fine-tuning with TRL's SFTTrainer (cold start, rejection-sampling SFT, distillation).

Datasets. Each `--dataset` spec is loaded by the data core (`r1cli.data.load_pairs`) and its schema is
detected on its own:
  - `messages` (chat turns ending with the assistant's): the last turn is the completion, the turns before
    it the prompt (earlier assistant turns are context and carry no loss);
  - `prompt` + `completion` (what coldstart / reject-sample / distill write): the prompt may be text or chat
    messages, the completion text or messages;
  - anything else is read in the canonical prompt/answer/solution schema (built-in tasks, benchmark files)
    and trained on `r1_completion(solution, response_answer or answer)`: a row's `response_answer` is what
    its teacher wrote (task:arith `slip` rows carry the teacher's wrong answer on purpose).
Text prompts are rendered with `--template`: `plain` as is, `r1-zero` in the paper's prompt, `boxed` with the
boxed-answer instruction, `chat` as a user turn for the model's chat template; `auto` (the default) is plain
when every dataset is a built-in task:, else chat when the model ships a chat template, else boxed. If any
dataset is conversational (or `--template chat`), every row is trained as a conversation (a text prompt
becomes one user turn); otherwise as plain prompt + completion text, to which TRL appends the EOS token so
the fine-tuned model learns to stop.

Mixing. `--dataset A,B` concatenates the datasets, each row used once. With weights, `A:0.75,B:0.25` (a weight
is a trailing `:<number>`; a spec without one weighs 1), the weights are normalised into shares p_i of a
mixture holding as many rows as the datasets together (N = sum of sizes); dataset i gives round(p_i N) rows,
drawn without replacement while its rows last, then cycled again in a new shuffled order (so a small dataset
with a big weight is repeated, a big one with a small weight subsampled). Sampling is deterministic in --seed.
The mixing core (`r1cli.mixing`) works on Arrow row indices, so large sets are never copied into Python.

Loss is on completion tokens only (TRL's completion_only_loss; the EOS / end-of-turn token included) unless
--no-completion-only-loss. Precision follows the hardware (CPU fp32, GPU bf16; see r1cli.training).

Output: DIR is a Hugging Face checkpoint (model, tokenizer with its chat template, generation config), so
`--model DIR` works in the next stage; plus a model card (README.md, naming DIR and the base model),
metrics.jsonl (one record per logged step), loss.png and r1_manifest.json (every file with the mode the umask
gives, as in every stage's output). Checkpoints (every --save-steps) live in DIR.partial while training and are removed at the end unless
--keep-checkpoints; `--resume` continues from the newest one. With --lora the adapter is merged into the
saved model.

Multi-GPU (one node, 8 GPUs; pick ddp.yaml, zero3.yaml or fsdp.yaml from recipes/accelerate/):
  accelerate launch --config_file recipes/accelerate/zero3.yaml -m r1cli sft \\
      --config recipes/qwen2.5-1.5b/sft.yaml
--per-device-train-batch-size and --gradient-accumulation-steps are per process: the effective batch is
per_device x accumulation x number of GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli import log
from r1cli.config import option
from r1cli.models import remote_code_option
from r1cli.sft_train import SFTOptions
from r1cli.templates import AUTO_HELP, CHOICES

HELP = ("Supervised fine-tuning (TRL SFTTrainer) on chat, prompt/completion or task datasets, "
        "mixed by weight; writes a checkpoint folder the next stage can use as --model.")
EXAMPLE = ("r1 sft --model tiny --dataset 'task:arith?n=4000' --output runs/sft "
           "--learning-rate 1e-3 --num-train-epochs 3")

@dataclass
class _Inputs:
    """What is fine-tuned on what (listed before the training options in --help)."""

    model: str = option(None, "Model to fine-tune: tiny, a checkpoint folder or a hub name.", short="-m",
                        required=True)
    dataset: list[str] = option([], "Dataset spec(s), comma-separated, each with an optional mixing weight "
                                "as a trailing ':W' (e.g. 'runs/coldstart:0.75,task:arith?n=500:0.25').",
                                short="-d", required=True)
    output: str = option(None, "Output folder (a Hugging Face checkpoint plus metrics and manifest).",
                         short="-o", required=True)
    template: str = option("auto", "How text prompts are rendered: plain (as is), r1-zero (the paper's prompt; "
                           "only when asked for), boxed (with the boxed-answer instruction) or chat (a user turn "
                           f"in the model's chat template, with that instruction); {AUTO_HELP}.",
                           choices=CHOICES)


@dataclass
class Config(SFTOptions, _Inputs):
    resume: bool = option(False, "Continue from the newest checkpoint in OUTPUT.partial.")
    seed: int = option(0, "Seed for initialisation, data order and mixing.", min=0, max=2**32 - 1)
    overwrite: bool = option(False, "Replace the output folder if it exists.")
    trust_remote_code: bool = remote_code_option()


# ------------------------------------------------------------------------------------------------ run


def run(cfg: Config) -> dict:
    from r1cli import mixing, models, runs, sft_train, templates

    models.resolve(cfg.model, flag="--model", trust_remote_code=cfg.trust_remote_code)  # a bad --model fails before the output folder exists
    cfg.template = templates.resolve(cfg.template, cfg.dataset, models.tokenizer_loader(  # as the manifest records it
        cfg.model, "--model", trust_remote_code=cfg.trust_remote_code))
    train_ds, info = mixing.build(cfg.dataset, cfg.template, cfg.seed)
    log.info(f"training on {info['rows']:,} rows ({'chat' if info['conversational'] else 'text'} format) "
             f"from {len(info['datasets'])} dataset(s)")
    with runs.run_dir("sft", cfg.output, cfg, resume=cfg.resume, overwrite=cfg.overwrite) as run:
        for part in info["datasets"]:
            run.add_input("dataset", part["spec"])
        run.add_input("model", cfg.model)
        run.metrics = sft_train.train(cfg, cfg.model, train_ds, info, run.path, cfg.output, stage="sft")
    loss = run.metrics.get("final_loss")
    log.info(f"wrote the fine-tuned model to {run.final}" + (f" (final loss {loss:.4g})" if loss is not None else ""))
    return run.metrics
