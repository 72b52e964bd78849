#!/usr/bin/env bash
# Builds libplatform_torch.so into native/build/. Incremental: a second run with no change is a no-op.
# Torch_DIR overrides where CMake finds libtorch (e.g. the CUDA libtorch of a GPU worker image).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/build"
args=(-S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release)
if [[ -n "${Torch_DIR:-}" ]]; then args+=("-DTorch_DIR=$Torch_DIR"); fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake "${args[@]}" >/dev/null
fi
cmake --build "$build" -j "${PLATFORM_NATIVE_JOBS:-2}"
