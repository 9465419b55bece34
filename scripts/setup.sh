#!/usr/bin/env bash
# Idempotent set-up: the .venv, the project and its dependencies, and the default models.
# Quick the second time: pip runs only when pyproject.toml changed or an extra not installed yet
# is asked for; llama-cpp-python is built once, and again only when its CMAKE_ARGS change;
# models are checked by stamp.
#   EDGE_VOICE_EXTRAS=dev scripts/setup.sh        also installs the test tools
#   EDGE_VOICE_PROFILE=quality scripts/setup.sh   fetches the models of that manifest profile
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "error: Python 3.11 or newer is needed (found $("$python" --version 2>&1))" >&2; exit 1; }
scripts/system_deps.sh ${EDGE_VOICE_SYSTEM_DEPS:-}

# A sorted, comma-separated set of names from a list separated by commas or spaces.
as_set() { tr ', +' '\n\n\n' <<<"$1" | sed '/^$/d' | sort -u | paste -sd, -; }
# Only names both sets hold (the first set's order: both are sorted).
common() { comm -12 <(tr , '\n' <<<"$1") <(tr , '\n' <<<"$2") | paste -sd, -; }

known=$("$python" -c 'import tomllib
with open("pyproject.toml", "rb") as f:
    print(",".join(tomllib.load(f)["project"].get("optional-dependencies", {})))')
known=$(as_set "$known")
wanted=$(as_set "${EDGE_VOICE_EXTRAS:-}")
unknown=$(comm -23 <(tr , '\n' <<<"$wanted") <(tr , '\n' <<<"$known") | paste -sd' ' -)
[[ -z "$unknown" ]] \
  || { echo "error: EDGE_VOICE_EXTRAS names unknown extra(s) $unknown (pyproject.toml has: ${known//,/, })" >&2; exit 1; }

[[ -x .venv/bin/python ]] || "$python" -m venv .venv

# The stamp records what the installs so far gave: the pyproject.toml installed, every extra
# installed (pip never removes one, so a later run asking for fewer needs nothing), and the
# CMAKE_ARGS llama-cpp-python was built with.
stamp=.venv/.installed
field() { [[ -f "$stamp" ]] && sed -n "s/^$1=//p" "$stamp"; true; }
had_project=$(field project)
had_extras=$(field extras)
had_cmake=$(field cmake)
if [[ ! -f "$stamp" ]]; then
  # The stamp of earlier versions, .installed-<hash>-<extras joined by +>: its extras are installed.
  for old in .venv/.installed-*; do
    [[ -e "$old" ]] && had_extras=$(as_set "$had_extras,${old##*-}")
  done
fi
project=$(sha256sum pyproject.toml | cut -c1-16)
CMAKE_ARGS="$(scripts/llama_cmake_args.sh)"
export CMAKE_ARGS
# An extra a changed pyproject.toml no longer has is dropped, so pip is never asked for it.
extras=$(common "$(as_set "$had_extras,$wanted")" "$known")
llama=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))' 2>/dev/null) \
  || llama=""

# Quiet pip. setuptools' "Editable installation" notice (folders named like the package may shadow
# it), printed on every editable install, says nothing about this project.
pip() { .venv/bin/python -W "ignore:Editable installation:UserWarning" -m pip "$@"; }
started=$SECONDS
changed=0
if [[ -n "$llama" && -n "$had_cmake" && "$had_cmake" != "$CMAKE_ARGS" ]]; then
  echo "CMAKE_ARGS changed: rebuilding llama-cpp-python $llama with CMAKE_ARGS=$CMAKE_ARGS (a few minutes)"
  # --no-cache-dir: pip's cached wheel was built with the old flags.
  pip install -q --force-reinstall --no-deps --no-binary llama-cpp-python --no-cache-dir \
    "llama-cpp-python==$llama"
  changed=1
fi
if [[ "$project" != "$had_project" || "$extras" != "$had_extras" || -z "$llama" ]]; then
  pip install -q --upgrade pip
  if [[ -z "$llama" ]]; then
    # llama-cpp-python compiles from source: CPU flags chosen for *this* CPU, never AMX
    # (see scripts/llama_cmake_args.sh for why -march=native is unsafe on some Xeons).
    echo "building llama-cpp-python with CMAKE_ARGS=$CMAKE_ARGS (first time only, a few minutes)"
  fi
  echo "installing the project and its dependencies${extras:+ (extras: ${extras//,/, })} with pip"
  spec="."
  [[ -n "$extras" ]] && spec=".[$extras]"
  pip install -q -e "$spec"
  changed=1
fi
if [[ $changed == 1 || ! -f "$stamp" ]]; then
  printf 'project=%s\nextras=%s\ncmake=%s\n' "$project" "$extras" "$CMAKE_ARGS" >"$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
  rm -f .venv/.installed-*
fi
[[ $changed == 1 ]] && echo "python environment ready in $((SECONDS - started)) s"

.venv/bin/python -m app.models fetch --profile "${EDGE_VOICE_PROFILE:-default}"
