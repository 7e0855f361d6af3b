#!/usr/bin/env bash
# Builds a self-contained encoder4j bundle for a Linux x86-64 GPU host that has no JDK, no network and a Python
# PyTorch installation (docs/gpu.md). The bundle holds a jlink Java runtime, the project's jars and their
# dependencies WITHOUT DJL's 109 MB CPU libtorch jar, and the CUDA 12.8 build of DJL's JNI library
# (libdjl_torch.so from ai.djl.pytorch:pytorch-jni:2.7.1-0.35.1, jnilib/linux-x86_64/cu128/). At run time
# bundle/run.sh points DJL at the host's libtorch (PYTORCH_LIBRARY_PATH) instead.
#
# Usage: scripts/gpu/build-bundle.sh [OUT_DIR] [--flavor cu128|cpu]
#   OUT_DIR defaults to build/gpu-bundle (replaced); a .tar.gz of it is written next to it.
#   --flavor cpu packs the CPU JNI instead, to try the bundle against a CPU-only Python torch.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/build/gpu-bundle"
flavor="cu128"
while [ $# -gt 0 ]; do
  case "$1" in
    --flavor) flavor="$2"; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) out="$(realpath -m "$1")"; shift ;;
  esac
done
djl_version=0.35.1
torch_version=2.7.1

echo "building the project (mvn package -pl training -am)..." >&2
(cd "$root" && mvn -q -B -DskipTests package -pl training -am) >&2
touch "$root/training/target/.encoder4j-build-stamp"

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d "${out}.tmp.XXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lib" "$tmp/jni"

# The training module's jar; classpath.txt below names the other modules' jars and every dependency.
cp "$root"/training/target/encoder4j-training-*.jar "$tmp/lib/"

# Dependencies, minus the CPU libtorch; the tokenizers jar keeps only its linux-x86_64 natives (it ships six
# platforms, 18 MB). Spark is never among them: the GPU host does not prepare data, and the spark module (with its
# 150 MB of dependencies) is outside the training module's classpath; the check below keeps it that way.
jni_jar=""
while IFS= read -r dep || [ -n "$dep" ]; do
  case "$dep" in
    */org/apache/spark/*|*/org/scala-lang/*|*/encoder4j-spark*)
      echo "build-bundle: $dep is on the training classpath; the GPU bundle must not carry Spark" >&2; exit 1 ;;
    *pytorch-native-cpu*) continue ;;
    *pytorch-jni*) jni_jar="$dep"; cp "$dep" "$tmp/lib/" ;;
    *huggingface/tokenizers*)
      name="$(basename "$dep")"
      cp "$dep" "$tmp/lib/$name"
      zip -q -d "$tmp/lib/$name" 'native/lib/osx-*' 'native/lib/win-*' 'native/lib/linux-aarch64/*' \
        >/dev/null 2>&1 || true ;;
    *) cp "$dep" "$tmp/lib/" ;;
  esac
done < <(tr ':' '\n' < "$root/training/target/classpath.txt")
[ -n "$jni_jar" ] || { echo "pytorch-jni is not on the classpath" >&2; exit 1; }

# DJL looks for its JNI library at <ENGINE_CACHE_DIR>/pytorch/<version>-<flavor>-<classifier>/<djl>-libdjl_torch.so
# before trying to download it (ai.djl.pytorch.jni.LibUtils.findJniLibrary).
jni_dir="$tmp/djl-cache/pytorch/${torch_version}-${flavor}-linux-x86_64"
mkdir -p "$jni_dir"
unzip -q -p "$jni_jar" "jnilib/linux-x86_64/${flavor}/libdjl_torch.so" > "$jni_dir/${djl_version}-libdjl_torch.so"
cp "$jni_dir/${djl_version}-libdjl_torch.so" "$tmp/jni/libdjl_torch.so"

# A Java runtime with only the modules the jars use (jdeps --print-module-deps) plus the ones logback and JNA
# reach reflectively.
modules="java.base,java.compiler,java.desktop,java.management,java.sql,jdk.unsupported,java.logging,java.naming,java.xml"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$tmp/java"

cp "$root/scripts/gpu/run.sh" "$root/scripts/gpu/check-symbols.sh" "$tmp/"
chmod +x "$tmp/run.sh" "$tmp/check-symbols.sh"
cat > "$tmp/BUNDLE.txt" <<INFO
encoder4j GPU bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
JNI: ai.djl.pytorch:pytorch-jni:${torch_version}-${djl_version} jnilib/linux-x86_64/${flavor}/libdjl_torch.so
DJL_TORCH_VERSION=${torch_version}
DJL_TORCH_FLAVOR=${flavor}
INFO

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
echo "bundle: $out ($(du -sh "$out" | cut -f1)), archive: $out.tar.gz ($(du -h "$out.tar.gz" | cut -f1))"
