#!/usr/bin/env bash
# Install the Debian packages the server and the test suite need, if any are missing.
#   runtime: a C/C++ toolchain to build llama-cpp-python, PortAudio for the desktop client
#   tests:   chromium (browser demo), pulseaudio + ALSA pulse plugin (virtual audio devices),
#            redis-server and nginx (multi-node tests), espeak-ng and sox (test audio)
set -euo pipefail

runtime=(build-essential cmake libportaudio2)
tests=(chromium pulseaudio pulseaudio-utils libasound2-plugins redis-server nginx-light espeak-ng sox)
want=("${runtime[@]}")
[[ "${1:-}" == "--tests" ]] && want+=("${tests[@]}")

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "error: missing system packages (${missing[*]}) and no apt-get to install them" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "error: run as root or install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
