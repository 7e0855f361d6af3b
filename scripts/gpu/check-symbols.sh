#!/usr/bin/env bash
# Does this bundle's libdjl_torch.so (built by DJL for libtorch 2.7.1) find every symbol it needs in the host's
# libtorch? Lists the C++ symbols it imports that the host's libc10/libtorch*/libc10_cuda do not define.
# Usage: ./check-symbols.sh [TORCH_LIB]   (default: the lib directory of python3's torch)
# Exit code 0 when nothing is missing, 1 otherwise. A missing FUNCTION fails only when it is first called (the JVM
# loads libraries lazily); a missing data or TLS symbol fails at load time. Weak imports are not counted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
torch_lib="${1:-$(${PYTHON:-python3} -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
jni="$here/jni/libdjl_torch.so"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
nm -D --undefined-only "$jni" | awk '$1 == "U" {print $2}' | grep '^_Z' | sed 's/@.*//' | sort -u > "$work/needed"
for lib in libc10.so libc10_cuda.so libtorch.so libtorch_cpu.so libtorch_cuda.so; do
  if [ -f "$torch_lib/$lib" ]; then nm -D --defined-only "$torch_lib/$lib" | awk '{print $3}'; fi
done | sed 's/@.*//' | sort -u > "$work/defined"
# Only PyTorch's own symbols (c10, at, torch, caffe2): the C++ standard library comes from the host's libstdc++.
comm -23 "$work/needed" "$work/defined" | while read -r sym; do
  case "$(echo "$sym" | c++filt)" in
    c10::*|at::*|torch::*|caffe2::*|"TLS init function for c10::"*|"typeinfo for c10::"*|"vtable for c10::"*\
      |"typeinfo for at::"*|"vtable for at::"*|"vtable for torch::"*) echo "$sym" ;;
  esac
done > "$work/missing"
needed_torch="$(c++filt < "$work/needed" | grep -c -E '^(TLS init function for |typeinfo for |vtable for )?(c10|at|torch|caffe2)::' || true)"
echo "libdjl_torch.so imports $needed_torch PyTorch symbols; $(wc -l < "$work/missing") are missing from $torch_lib"
if [ -s "$work/missing" ]; then
  c++filt < "$work/missing" | sed 's/^/  missing: /'
  exit 1
fi
