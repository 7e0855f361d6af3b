#!/usr/bin/env bash
# Compiles DJL 0.35.1's PyTorch JNI library (libdjl_torch.so) against THIS host's libtorch, for hosts whose
# PyTorch is too far from 2.7.1 for the prebuilt library (check-symbols.sh reports missing symbols, or operations
# fail with errors such as "set_stride is not allowed on a Tensor created from .data or .detach()": a C++ library
# compiled against other headers calls the wrong virtual functions). docs/gpu.md has the whole procedure.
#
# Usage: ./build-jni.sh <native-src> [<utils-include>]
#   <native-src>     DJL's engines/pytorch/pytorch-native/src/main/native folder (DJL git tag v0.35.1: it is not on
#                    Maven Central, so copy it to the host from a clone made elsewhere)
#   <utils-include>  the folder holding djl/utils.h (DJL's api/src/main/native); default: <native-src> itself
# Environment: PYTHON (default python3) picks the torch; JOBS (default: the number of cores) parallel compiles.
# Writes jni-host/libdjl_torch.so and jni-host/TORCH.txt (the torch version and flavor it was built for) next to
# this script; run.sh uses that library when it exists.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { sed -n 2,14p "$0"; exit 2; }
src="$(cd "$1" && pwd)"
utils="$(cd "${2:-$1}" && pwd)"
[ -f "$utils/djl/utils.h" ] || { echo "build-jni.sh: no djl/utils.h under $utils (DJL's api/src/main/native)" >&2; exit 2; }
ls "$src"/ai_djl_pytorch_jni_PyTorchLibrary_*.cc >/dev/null 2>&1 \
  || { echo "build-jni.sh: no ai_djl_pytorch_jni_PyTorchLibrary_*.cc in $src" >&2; exit 2; }
python="${PYTHON:-python3}"
include="$here/jni-build/include"   # jni.h, jni_md.h and the javac -h header (build-bundle.sh)

# torch's location, C++ ABI, version and CUDA version (empty for a CPU build)
read -r torch_dir abi version cuda < <("$python" -c 'import os, torch
print(os.path.dirname(torch.__file__), int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.__version__.split("+")[0],
      (torch.version.cuda or "cpu").replace(".", ""))')
flavor="cpu"
[ "$cuda" = cpu ] || flavor="cu$cuda"
libs=(-ltorch -ltorch_cpu -lc10)
defs=()
if [ -f "$torch_dir/lib/libtorch_cuda.so" ]; then
  # USE_CUDA compiles DJL's CUDA-only code: torchCudaEmptyCache (c10::cuda::CUDACachingAllocator::emptyCache, in
  # libc10_cuda; without it, emptying PyTorch's cache is a silent no-op) and inference on a separate stream. Its
  # headers include cuda_runtime_api.h: the toolkit's, or the one the CUDA wheels ship.
  libs+=(-ltorch_cuda -lc10_cuda)
  defs+=(-DUSE_CUDA)
  for d in "${CUDA_HOME:-/usr/local/cuda}/include" $(find "$(dirname "$torch_dir")/nvidia" -maxdepth 3 -type d \
      -name include 2>/dev/null); do
    [ -d "$d" ] && defs+=(-I"$d")
  done
fi

out="$here/jni-host"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(-O2 -std=c++17 -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" -w
       -I"$include" -I"$src" -I"$utils" -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include")
echo "build-jni.sh: compiling $(ls "$src"/*.cc | wc -l) files against torch $version ($flavor) in $torch_dir" >&2
compile() {
  ls "$src"/*.cc | xargs -P "${JOBS:-$(nproc)}" -I{} sh -c \
    'g++ "$@" -c "{}" -o "'"$work"'/$(basename "{}" .cc).o" || { echo "build-jni.sh: failed: {}" >&2; exit 255; }' \
    _ "$@"
}
if ! compile "${flags[@]}" "${defs[@]}"; then
  [ ${#defs[@]} -gt 0 ] || exit 1
  echo "build-jni.sh: the CUDA-only code did not compile; building without it (torchCudaEmptyCache does nothing)" >&2
  rm -f "$work"/*.o
  compile "${flags[@]}"
fi
mkdir -p "$out"
g++ -shared -o "$work/libdjl_torch.so" "$work"/*.o -L"$torch_dir/lib" -Wl,--no-as-needed "${libs[@]}" \
  -Wl,-rpath,"$torch_dir/lib"
mv "$work/libdjl_torch.so" "$out/libdjl_torch.so"
printf 'TORCH_VERSION=%s\nTORCH_FLAVOR=%s\nTORCH_DIR=%s\n' "$version" "$flavor" "$torch_dir" > "$out/TORCH.txt"

# Every JNI function DJL 0.35.1 declares should be defined; a missing one fails only when it is called.
missing="$(grep -o 'Java_ai_djl_pytorch_jni_PyTorchLibrary_[A-Za-z0-9_]*' "$include/ai_djl_pytorch_jni_PyTorchLibrary.h" \
  | sort -u | comm -23 - <(nm -D --defined-only "$out/libdjl_torch.so" | awk '{print $3}' | sort -u))"
echo "build-jni.sh: wrote $out/libdjl_torch.so for torch $version ($flavor);" \
  "$(grep -c . <<< "$missing" || true) of DJL's native methods are not defined${missing:+: $(echo $missing | sed 's/Java_ai_djl_pytorch_jni_PyTorchLibrary_//g')}" >&2
