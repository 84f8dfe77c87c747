#!/usr/bin/env bash
# The SDK as an outside author uses it: install nnplug into a prefix, build the example plugin in sdk/examples/mish
# and the templates in sdk/templates as projects of their own against that prefix only, run the conformance kit
# on them, and train models that use them with the installed nnplug command.
#   usage: sdk_example.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$build/sdk_example
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# The author's toolchain is the one nnplug was built with (the host checks the compiler in a plugin's build
# fingerprint): its compiler and flags, sanitizers included in `make sanitize`.
toolchain=()
command -v ccache >/dev/null && toolchain=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
for var in CMAKE_CXX_COMPILER CMAKE_CXX_FLAGS CMAKE_EXE_LINKER_FLAGS CMAKE_SHARED_LINKER_FLAGS CMAKE_MODULE_LINKER_FLAGS; do
  value=$(sed -n "s/^$var:[A-Z]*=//p" "$build/CMakeCache.txt")
  toolchain+=("-D$var=$value")
done
# A build of nnplug without CUDA (the sanitizer lane) builds plugins without their CUDA kernels too.
[ "$(sed -n 's/^NNPLUG_CUDA:[A-Z]*=//p' "$build/CMakeCache.txt")" = OFF ] && toolchain+=(-DNNPLUG_PLUGIN_CUDA=OFF)
# No build type, as an outside author may forget it: nnplug_add_plugin() still optimises.
cmake -S "$src/sdk/examples/mish" -B "$work/mish" -DCMAKE_PREFIX_PATH="$work/prefix" "${toolchain[@]}" >/dev/null
cmake --build "$work/mish" -j 2 >/dev/null
grep -q -- "-O2" "$work/mish/CMakeFiles/mish.dir/flags.make"
# The plugin was built from the installed headers, not the source tree.
grep -q "$work/prefix/include" "$work/mish/CMakeFiles/mish.dir/flags.make"
! grep -q "$src/sdk/include" "$work/mish/CMakeFiles/mish.dir/flags.make"
ctest --test-dir "$work/mish" --output-on-failure

out=$(NNPLUG_PLUGIN_PATH="$work/mish" "$work/prefix/bin/nnplug" train "$src/sdk/examples/mish/mish_mlp.json" --no-progress \
  --save "$work/mish_mlp.safetensors")
echo "$out"
grep -q "(dense) mish" <<<"$out"
accuracy=$(awk '/^epoch 2\/2/ { for (i = 1; i <= NF; ++i) if ($i == "val_accuracy") print $(i + 1) }' <<<"$out")
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.75) }' || { echo "validation accuracy $accuracy, expected > 0.75"; exit 1; }
echo "ok: the mish plugin, built against the installed package, trains with the installed nnplug (val_accuracy $accuracy)"

# The saved model records the plugin: it evaluates where mish is found, and says what is missing where it is not.
NNPLUG_PLUGIN_PATH="$work/mish" "$work/prefix/bin/nnplug" evaluate "$work/mish_mlp.safetensors"
set +e
missing=$("$work/prefix/bin/nnplug" evaluate "$work/mish_mlp.safetensors" 2>&1)
status=$?
set -e
echo "$missing"
[ "$status" -eq 1 ] && grep -q "needs activation 'mish' from plugin mish@1.0.0 (ABI [0-9]*), which is not loaded" <<<"$missing"

# Plugins that bring their own ops (sdk/examples/custom_ops): hardswish on ops with cpu and cuda kernels and a
# composite reference, and signum, whose update is one fused op. The conformance kit checks every kernel, plugin-check
# does the same from the command line, and a model trains on them with the installed nnplug.
cmake -S "$src/sdk/examples/custom_ops" -B "$work/custom_ops" -DCMAKE_PREFIX_PATH="$work/prefix" "${toolchain[@]}" >/dev/null
cmake --build "$work/custom_ops" -j 2 >/dev/null
ctest --test-dir "$work/custom_ops" --output-on-failure
"$work/prefix/bin/nnplug" plugin-check "$work/custom_ops/hardswish.so"
# A sign step of a fixed size reaches only within about lr of a minimum: the quadratic check needs a smaller lr.
"$work/prefix/bin/nnplug" plugin-check "$work/custom_ops/signum.so" --params '{"lr": 0.01}'
out=$(NNPLUG_PLUGIN_PATH="$work/custom_ops" "$work/prefix/bin/nnplug" train "$src/sdk/examples/custom_ops/custom_ops_mlp.json" --no-progress)
echo "$out"
grep -q "^op hardswish on cpu float32: cpu kernel (float32, float64) from plugin hardswish@1.0.0" <<<"$out"
grep -q "^op signum_step on cpu float32: cpu kernel (float32, float64) from plugin signum@1.0.0" <<<"$out"
accuracy=$(awk '/^epoch 2\/2/ { for (i = 1; i <= NF; ++i) if ($i == "val_accuracy") print $(i + 1) }' <<<"$out")
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.75) }' || { echo "validation accuracy $accuracy, expected > 0.75"; exit 1; }
echo "ok: plugin ops build out of the tree, pass plugin-check and train (val_accuracy $accuracy)"

# Every template builds out of the box, passes the conformance kit, and works in one model.
cmake -S "$src/sdk/templates" -B "$work/templates" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
  "${toolchain[@]}" >/dev/null
cmake --build "$work/templates" -j 2 >/dev/null
ctest --test-dir "$work/templates" --output-on-failure
kinds="activation layer loss initializer optimizer schedule regularizer gradient_transform backend op"
template_path=$(for k in $kinds; do printf '%s:' "$work/templates/$k"; done)
listing=$(NNPLUG_PLUGIN_PATH="$template_path" "$work/prefix/bin/nnplug" plugins)
for k in $kinds; do
  grep -Eq "^$k +my_$k " <<<"$listing" || { echo "template my_$k was not loaded:"; echo "$listing"; exit 1; }
done
# The backend template runs what it implements like the CPU backend, and says which ops it does not have yet.
check=$("$work/prefix/bin/nnplug" plugin-check "$work/templates/backend/my_backend.so" || true)
grep -q "PASS  my_backend axpby (float64)" <<<"$check" && grep -q "PASS  my_backend activation_grad 6 (float32)" <<<"$check" &&
  grep -q "FAIL  my_backend gemm (float32): not supported" <<<"$check" || { echo "$check"; exit 1; }
out=$(NNPLUG_PLUGIN_PATH="$template_path" "$work/prefix/bin/nnplug" train "$src/sdk/templates/every_template.json" --no-progress)
echo "$out"
accuracy=$(awk '/^epoch 20\/20/ { for (i = 1; i <= NF; ++i) if ($i == "val_accuracy") print $(i + 1) }' <<<"$out")
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.9) }' || { echo "validation accuracy $accuracy, expected > 0.9"; exit 1; }
echo "ok: every template builds, passes the conformance kit and trains (val_accuracy $accuracy)"
