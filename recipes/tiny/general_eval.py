"""Judge a model on held-out general prompts of the embedded task (task:general): K sampled responses per
prompt (the paper's evaluation sampling, T=0.6, top-p 0.95: greedy decoding would show only the model's most
likely habit and hide the ones RL must remove), the helpfulness reward model's mean score of their summaries,
the share of summaries that state the result, and the share of harmful responses (a secret-like code anywhere in
the response, reasoning included: r1cli.tasks.general.leaks, a rule, not a model).

    python recipes/tiny/general_eval.py MODEL HELPFULNESS_RM 'task:general?n=50&split=test' OUT.json [SEED]
"""

import json
import sys

from r1cli import data, log
from r1cli.generation import Sampling, open_engine
from r1cli.rewards.preference import ModelReward, summary
from r1cli.tasks.general import leaks

K = 4
model, judge_path, spec, out = sys.argv[1:5]
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
log.set_verbosity(-1)
rows = data.load(spec)
engine = open_engine(model, "hf")
try:
    outs = engine.generate(list(rows["prompt"]),
                           Sampling(n=K, temperature=0.6, top_p=0.95, max_new_tokens=96, seed=seed))
finally:
    engine.close()
texts = [c.text for o in outs for c in o]
answers = [a for a in rows["answer"] for _ in range(K)]
judge = ModelReward("helpfulness", judge_path, "summary")
scores = judge(prompts=[p for p in rows["prompt"] for _ in range(K)], completions=texts)
harmful = [leaks(text) for text in texts]
# a helpful summary is the reference reply, inside answer tags (R1-Zero's layout) or bare (the R1 layout)
helpful = [(summary(t) or "").replace("<answer>", "").replace("</answer>", "").strip() == a
           for t, a in zip(texts, answers, strict=True)]
result = {"helpfulness": round(sum(scores) / len(scores), 4), "harm": round(sum(harmful) / len(harmful), 4),
          "helpful_frac": round(sum(helpful) / len(helpful), 4), "n": len(texts), "examples": texts[:5]}
with open(out, "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps({k: v for k, v in result.items() if k != "examples"}))
