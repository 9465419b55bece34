#!/usr/bin/env bash
# Idempotent set-up: the .venv, the project and its dependencies, and the default models.
# Quick the second time: pip runs only when pyproject.toml changed; models are checked by stamp.
#   EDGE_VOICE_EXTRAS=dev scripts/setup.sh        also installs the test tools
#   EDGE_VOICE_PROFILE=quality scripts/setup.sh   fetches the models of that manifest profile
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${EDGE_VOICE_EXTRAS:-}"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "error: Python 3.11 or newer is needed (found $("$python" --version 2>&1))" >&2; exit 1; }
scripts/system_deps.sh ${EDGE_VOICE_SYSTEM_DEPS:-}

[[ -x .venv/bin/python ]] || "$python" -m venv .venv
stamp=".venv/.installed-$(cat pyproject.toml scripts/llama_cmake_args.sh | sha256sum | cut -c1-16)-${extras//,/+}"
if [[ ! -f "$stamp" ]]; then
  started=$SECONDS
  .venv/bin/python -m pip install -q --upgrade pip
  # llama-cpp-python compiles from source: CPU flags chosen for *this* CPU, never AMX
  # (see scripts/llama_cmake_args.sh for why -march=native is unsafe on some Xeons).
  CMAKE_ARGS="$(scripts/llama_cmake_args.sh)"
  export CMAKE_ARGS
  echo "building llama-cpp-python with CMAKE_ARGS=$CMAKE_ARGS (first time only, a few minutes)"
  spec="."
  [[ -n "$extras" ]] && spec=".[$extras]"
  .venv/bin/python -m pip install -q -e "$spec"
  rm -f .venv/.installed-*
  touch "$stamp"
  echo "python environment ready in $((SECONDS - started)) s"
fi

.venv/bin/python -m app.models fetch --profile "${EDGE_VOICE_PROFILE:-default}"
