#!/usr/bin/env bash
# Creates bench/.venv and installs the benchmark harness's Python packages (bench/requirements.txt).
# Usage: bash bench/setup.sh        (idempotent; PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
    "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$here/.venv/bin/python" - <<'PY'
import importlib.metadata as m
for name in ("numpy", "onnx", "onnxruntime", "ezkl"):
    print(f"{name} {m.version(name)}")
PY
echo "ready: $here/.venv/bin/python"
