#!/usr/bin/env bash
# Start the edge server on the embedded default models, setting everything up first if needed.
#   scripts/serve.sh [--host 0.0.0.0] [--port 8765] [--log-level DEBUG] ...   (see: python -m app --help)
set -euo pipefail
cd "$(dirname "$0")/.."
# --profile NAME also decides which models set-up fetches.
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --profile) export EDGE_VOICE_PROFILE="${args[$((i + 1))]:-default}" ;;
    --profile=*) export EDGE_VOICE_PROFILE="${args[$i]#--profile=}" ;;
  esac
done
# --help needs no set-up once there is an environment to run in.
case " $* " in
  *" --help "* | *" -h "*) [[ -x .venv/bin/python ]] && exec .venv/bin/python -m app "$@" ;;
esac
scripts/setup.sh >&2
exec .venv/bin/python -m app "$@"
