#!/usr/bin/env bash
# Print CMAKE_ARGS for building llama-cpp-python that are safe on *this* CPU.
#
# Why not -march=native (GGML_NATIVE=ON)? On some virtualised Xeons the CPU advertises
# AMX but the hypervisor does not enable the tile state, and ggml's AMX kernels die with
# SIGILL (`tilezero`). So we turn native detection off and enable each x86 extension
# only when /proc/cpuinfo lists it -- and never AMX. On non-x86 CPUs we leave ggml's
# defaults alone. Set LLAMA_CMAKE_ARGS to override completely.
set -euo pipefail

if [[ -n "${LLAMA_CMAKE_ARGS:-}" ]]; then
  echo "$LLAMA_CMAKE_ARGS"
  exit 0
fi

case "$(uname -m)" in
  x86_64|amd64) ;;
  *) echo "-DGGML_NATIVE=OFF"; exit 0 ;;
esac

flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { [[ "$flags" == *" $1 "* ]]; }

args=(-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
has avx          && args+=(-DGGML_AVX=ON)          || args+=(-DGGML_AVX=OFF)
has avx2         && args+=(-DGGML_AVX2=ON)         || args+=(-DGGML_AVX2=OFF)
has fma          && args+=(-DGGML_FMA=ON)          || args+=(-DGGML_FMA=OFF)
has f16c         && args+=(-DGGML_F16C=ON)         || args+=(-DGGML_F16C=OFF)
has bmi2         && args+=(-DGGML_BMI2=ON)         || args+=(-DGGML_BMI2=OFF)
has avx_vnni     && args+=(-DGGML_AVX_VNNI=ON)     || args+=(-DGGML_AVX_VNNI=OFF)
if has avx512f && has avx512bw && has avx512vl && has avx512dq && has avx512cd; then
  args+=(-DGGML_AVX512=ON)
  has avx512vbmi   && args+=(-DGGML_AVX512_VBMI=ON) || args+=(-DGGML_AVX512_VBMI=OFF)
  has avx512_vnni  && args+=(-DGGML_AVX512_VNNI=ON) || args+=(-DGGML_AVX512_VNNI=OFF)
  has avx512_bf16  && args+=(-DGGML_AVX512_BF16=ON) || args+=(-DGGML_AVX512_BF16=OFF)
else
  args+=(-DGGML_AVX512=OFF)
fi
echo "${args[*]}"
