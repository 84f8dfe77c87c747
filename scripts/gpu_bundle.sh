#!/usr/bin/env bash
# Packs what scripts/gpu_check.sh runs from a build made here into one archive for a lent GPU machine, together with
# the shared libraries the build links that such a machine lacks. Those machines have CUDA, its libraries and
# PyTorch, a newer C and C++ runtime than Debian 12's, and none of this project's Debian packages (fmt, oneDNN and
# its OpenCL loader, Open MPI, ...), and they cannot download anything: without these libraries nothing of the build
# starts there.
#   usage: scripts/gpu_bundle.sh [BUILD_DIR] [ARCHIVE]     (defaults: build and .gpu_bundle/nnplug_gpu.tar.xz)
# The archive holds BUILD_DIR's lib/, tests/nnplug_tests, bench/train_throughput, the SDK example's plugin ops where
# the sdk_example test has built them, and BUILD_DIR/gpu_runtime/ with the libraries, which gpu_check.sh puts on the
# library path. With the device tool, from the checkout the build was made in (ARCHIVE's folder must be ignored by
# git, as .gpu_bundle is, and named in carry):
#   run(command="tar xJf .gpu_bundle/nnplug_gpu.tar.xz && bash scripts/gpu_check.sh /work/main build", carry=[".gpu_bundle"])
# ARCHIVE "-" stages and checks the bundle in a temporary folder without writing an archive (the CTest check).
set -euo pipefail
build=${1:-build}
archive=${2:-.gpu_bundle/nnplug_gpu.tar.xz}
# The device tool carries at most 64 MiB, the checkout's own files included.
max_archive_bytes=$((56 * 1024 * 1024))

[ -f "$build/lib/libnnplug_framework.so" ] || { echo "gpu_bundle: $build is not a build folder (no lib/libnnplug_framework.so)" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
name=$(basename "$build")
mkdir -p "$stage/$name/tests" "$stage/$name/bench" "$stage/$name/gpu_runtime"
cp -a "$build/lib" "$stage/$name/"
cp -a "$build/tests/nnplug_tests" "$stage/$name/tests/"
cp -a "$build/bench/train_throughput" "$stage/$name/bench/"
ops=sdk_example/custom_ops
if [ -x "$build/$ops/custom_ops_test" ]; then
  # The example is built against nnplug installed into sdk_example/prefix, as an outside author's plugin is.
  mkdir -p "$stage/$name/$ops" "$stage/$name/sdk_example/prefix/lib"
  cp -a "$build/$ops/custom_ops_test" "$build/$ops"/*.so "$stage/$name/$ops/"
  cp -a "$build/sdk_example/prefix/lib"/*.so "$build/sdk_example/prefix/lib/nnplug" "$stage/$name/sdk_example/prefix/lib/"
else
  echo "gpu_bundle: warning: $build/$ops is not built (the sdk_example test builds it); the plugin ops' CUDA kernels will not be checked" >&2
fi

# What every lent machine has of its own: the C library and loader, the C++ and GCC runtimes (newer there; a copy of
# Debian's would be older than what its other libraries need), and CUDA's libraries, which gpu_check.sh finds there.
provided_by_the_machine() {
  case $(basename "$1") in
    linux-vdso.so.* | ld-linux-x86-64.so.* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | \
      libstdc++.so.* | libgcc_s.so.* | libcuda.so.* | libcudart.so.* | libcublas*.so.* | libcudnn*.so.* | libnccl.so.*) return 0 ;;
  esac
  return 1
}

elves=$(find "$stage/$name" -type f \( -name '*.so' -o -perm -u+x \) -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
# Our programs and libraries find each other by run paths into the build folder, which gpu_check.sh links to the
# unpacked bundle on the GPU machine; everything else the build links is copied into gpu_runtime/. ldd lists each
# program's whole closure, so one pass finds every library to copy.
built=$(cd "$build" && pwd)
for elf in $elves; do
  ldd "$elf" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r soname path; do
  provided_by_the_machine "$soname" && continue
  case $path in "$built"/*) continue ;; esac
  cp -L "$path" "$stage/$name/gpu_runtime/$soname"
done

# With only gpu_runtime/ on the library path, as gpu_check.sh sets it, every library each program and plugin needs
# is one the machine provides, one in gpu_runtime/, or one of ours that the bundle holds at its place in the build.
# nnplug's own libraries are checked through the programs that load them: an installed one has no run path of its
# own and finds the framework library its program loaded first.
missing=0
for elf in $elves; do
  case $elf in */libnnplug_*.so) continue ;; esac
  while read -r soname arrow path _; do
    [ "$arrow" = "=>" ] || continue
    provided_by_the_machine "$soname" && continue
    case $path in
      "$stage/$name/gpu_runtime"/*) continue ;;
      "$built"/*) [ -e "$stage/$name/${path#"$built"/}" ] && continue ;;
    esac
    echo "gpu_bundle: $elf needs $soname, which is not in the bundle (here: $path)" >&2
    missing=1
  done < <(LD_LIBRARY_PATH="$stage/$name/gpu_runtime" ldd "$elf")
done
[ "$missing" -eq 0 ] || exit 1
echo "gpu_bundle: $(ls "$stage/$name/gpu_runtime" | wc -l) libraries bundled: $(ls "$stage/$name/gpu_runtime" | tr '\n' ' ')"

[ "$archive" = "-" ] && exit 0
mkdir -p "$(dirname "$archive")"
tar -C "$stage" -cf - "$name" | xz -T0 -6 > "$archive.tmp"
mv "$archive.tmp" "$archive"
bytes=$(stat -c %s "$archive")
echo "gpu_bundle: $archive, $((bytes / 1024 / 1024)) MiB"
if [ "$bytes" -gt "$max_archive_bytes" ]; then
  echo "gpu_bundle: $archive is larger than the $((max_archive_bytes / 1024 / 1024)) MiB the device tool can carry beside the checkout" >&2
  exit 1
fi
