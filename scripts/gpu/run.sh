#!/usr/bin/env bash
# Runs encoder4j from this bundle on a GPU host, with the host's Python PyTorch as libtorch (docs/gpu.md).
# Usage: ./run.sh <encoder4j command and arguments>, e.g. ./run.sh pretrain job.yaml training.device=gpu
# Environment: PYTHON (default python3) finds torch; TORCH_LIB overrides the libtorch directory;
# ENCODER4J_JAVA_OPTS adds JVM options (default -Xmx8g).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
flavor="$(sed -n 's/^DJL_TORCH_FLAVOR=//p' "$here/BUNDLE.txt")"
version="$(sed -n 's/^DJL_TORCH_VERSION=//p' "$here/BUNDLE.txt")"

torch_lib="${TORCH_LIB:-$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
[ -f "$torch_lib/libtorch.so" ] || { echo "run.sh: no libtorch.so in $torch_lib (set TORCH_LIB)" >&2; exit 2; }

# DJL loads EVERY regular file under PYTORCH_LIBRARY_PATH (recursively) before libtorch, so it must not see the
# wheel's headers (lib/libshm/*.h) or its test libraries: give it a directory of links to the libraries it needs.
libdir="$here/.libtorch"
rm -rf "$libdir"
mkdir -p "$libdir"
for lib in libc10.so libtorch_cpu.so libtorch.so libtorch_global_deps.so libc10_cuda.so libtorch_cuda.so \
           libcaffe2_nvrtc.so libgomp.so.1; do
  if [ -e "$torch_lib/$lib" ]; then ln -s "$torch_lib/$lib" "$libdir/$lib"; fi
done
# A JNI library compiled on this host by build-jni.sh replaces the bundled one (built for libtorch 2.7.1): DJL
# takes <PYTORCH_LIBRARY_PATH>/<djl version>-libdjl_torch.so before anything else (LibUtils.findJniLibrary).
if [ -f "$here/jni-host/libdjl_torch.so" ]; then
  version="$(sed -n 's/^TORCH_VERSION=//p' "$here/jni-host/TORCH.txt")"
  flavor="$(sed -n 's/^TORCH_FLAVOR=//p' "$here/jni-host/TORCH.txt")"
  ln -s "$here/jni-host/libdjl_torch.so" "$libdir/$(sed -n 's/^DJL_VERSION=//p' "$here/BUNDLE.txt")-libdjl_torch.so"
fi
# Libraries found through the wheel's RPATH ($ORIGIN/../../nvidia/*/lib) are not found from the links: put the
# CUDA wheels' directories on the loader path (and JNA's, which DJL uses to find libcudart).
nvidia_libs="$(find "$(dirname "$(dirname "$torch_lib")")/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | paste -sd: || true)"
cudart_dir="$here/.cudart"
rm -rf "$cudart_dir"
mkdir -p "$cudart_dir"
cudart="$(find "$(dirname "$(dirname "$torch_lib")")/nvidia" -name 'libcudart.so*' 2>/dev/null | head -1 || true)"
if [ -n "$cudart" ]; then ln -s "$cudart" "$cudart_dir/libcudart.so"; fi

export LD_LIBRARY_PATH="$torch_lib:$nvidia_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTORCH_LIBRARY_PATH="$libdir"
export PYTORCH_VERSION="$version"
export PYTORCH_FLAVOR="$flavor"
export ENGINE_CACHE_DIR="$here/djl-cache"
export DJL_CACHE_DIR="$here/djl-cache"
threads="${ENCODER4J_THREADS:-$(nproc 2>/dev/null || echo 4)}"

# shellcheck disable=SC2086
exec "$here/java/bin/java" \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  -Dai.djl.offline=true \
  -Dai.djl.pytorch.num_threads="$threads" \
  -Dai.djl.pytorch.num_interop_threads=1 \
  -Darrow.enable_unsafe_memory_access=true \
  -Djava.awt.headless=true \
  -Djna.library.path="$cudart_dir:$nvidia_libs" \
  ${ENCODER4J_JAVA_OPTS:--Xmx8g} \
  -cp "$here/lib/*" \
  io.encoder4j.training.cli.Main "$@"
