#!/usr/bin/env bash
# Run the whole test suite (unit, integration and end-to-end on the real models), setting up first.
#   scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
EDGE_VOICE_EXTRAS=dev,bench EDGE_VOICE_SYSTEM_DEPS=--tests scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
