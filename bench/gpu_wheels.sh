#!/usr/bin/env bash
# Download, where PyPI is reachable, the wheels bench/gpu_check.sh installs on the GPU machine (which has torch,
# transformers, accelerate, peft, pyarrow, pandas, rich, typer, matplotlib and pyyaml, and no network): r1cli's
# dependencies it lacks, each at the version installed here, so the check runs the code the tests run. Into .whl/
# (git-ignored), for CPython 3.12 on x86-64 Linux, the machine's Python.
#   bash bench/gpu_wheels.sh            (PYTHON: the venv whose versions are taken; default .venv/bin/python)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
DEST="$ROOT/.whl"
# trl, datasets (+ dill, multiprocess), math-verify (+ latex2sympy2_extended, antlr4), and r1cli's small needs
NAMES="trl datasets dill multiprocess math-verify latex2sympy2_extended antlr4-python3-runtime tenacity datasketch"
mkdir -p "$DEST"
for name in $NAMES; do
  version=$("$PY" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$name")
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$DEST" "$name==$version"
done
ls -l "$DEST"
du -sh "$DEST"   # carried with the working tree: 64 MiB at most
