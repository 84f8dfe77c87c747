#!/usr/bin/env bash
# nnplug plugin-check on good and bad plugins: a verdict per check, exit status 0 only when every check passes.
#   usage: cli_plugin_check.sh NNPLUG PLUGIN_DIR BROKEN_PLUGIN_DIR OP_PLUGIN_DIR
set -u
nnplug=$1 plugins=$2 broken=$3 ops=$4
failures=0

expect() {  # expect "description" expected_status "expected output fragment" args...
  local what=$1 status=$2 fragment=$3
  shift 3
  local out rc
  out=$("$nnplug" plugin-check "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$status" ] || [[ "$out" != *"$fragment"* ]]; then
    echo "FAIL: $what: exit $rc, output: $out"
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

expect "an activation" 0 "PASS  relu gradient: worst input" "$plugins/nnplug_activation_relu.so"
expect "a layer with its parameters" 0 "PASS  dense gradient" "$plugins/nnplug_layer_dense.so" --params '{"units": 3}'
expect "a layer without them" 1 "parameter 'units' is required (give its parameters with --params)" "$plugins/nnplug_layer_dense.so"
expect "a sequence layer on samples of the shape given" 0 "PASS  multi_head_attention gradient" "$plugins/nnplug_layer_multi_head_attention.so" \
  --params '{"num_heads": 2}' --input-shape 5,4
expect "a sequence layer on the default sample" 1 "multi_head_attention expects a sequence per sample, [steps, features], got [6]" \
  "$plugins/nnplug_layer_multi_head_attention.so" --params '{"num_heads": 2}'
expect "two layers of one plugin, parameters per name" 0 "PASS  instance_norm gradient" "$plugins/nnplug_layer_group_norm.so" \
  --params '{"group_norm": {"num_groups": 2}, "instance_norm": {"affine": true}}' --input-shape 4,3
expect "a sample too large to check" 1 "--input-shape: a checked sample holds at most 1048576 values, got [4096, 4096]" \
  "$plugins/nnplug_layer_dense.so" --params '{"units": 3}' --input-shape 4096,4096
expect "a layer with ops of its own" 0 "PASS  op layer_norm gradient (layer_norm_grad, float64)" "$plugins/nnplug_layer_layer_norm.so"
expect "a pooling layer with an op of its own, for one of its options" 0 "PASS  op masked_step_mean gradient (masked_step_mean_grad, float64)" \
  "$plugins/nnplug_layer_global_avg_pool1d.so" --params '{"data_format": "channels_last", "mask_zero": true}' --input-shape 5,4
expect "an optimizer" 0 "PASS  adam state save and restore" "$plugins/nnplug_optimizer_adam.so"
expect "an optimizer with an op of its own, whose second moment plugin-check keeps non-negative" 0 "PASS  op nadam_step cpu kernel (float64)" \
  "$plugins/nnplug_optimizer_nadam.so"
expect "an optimizer with a one-slot op of its own" 0 "PASS  op lion_step cpu kernel (float64)" "$plugins/nnplug_optimizer_lion.so"
expect "an optimizer in parts" 0 "PASS  adam steps taken in parts equal whole steps" "$plugins/nnplug_optimizer_adam.so"
# The CPU backend variant this machine loads (AVX-512, AVX2 or generic).
cpu=$("$nnplug" plugins | awk '$1 == "backend" && $2 == "cpu" { print $4 }')
expect "a backend" 0 "PASS  cpu conv2d_grad (float32)" "$cpu"
# A plugin beside other libraries (a download folder, /usr/lib): only the file under test is opened, so the other
# libraries' constructors do not run (glibc's libmemusage.so prints its summary when unloaded).
beside=$(mktemp -d)
cp "$plugins/nnplug_activation_relu.so" "$beside/" && ln -s /usr/lib/x86_64-linux-gnu/libmemusage.so "$beside/libmemusage.so"
expect "a plugin beside other libraries" 0 "PASS  relu gradient" "$beside/nnplug_activation_relu.so"
if "$nnplug" plugin-check "$beside/nnplug_activation_relu.so" 2>&1 | grep -q "Memory usage summary"; then
  echo "FAIL: plugin-check opened a library beside the plugin"
  failures=$((failures + 1))
else
  echo "ok: nothing else of the folder was opened"
fi
rm -rf "$beside"
expect "a wrong gradient" 1 "FAIL  wrong_gradient gradient: relative error over 1e-07: input [0]" "$broken/test_plugin_wrong_gradient.so"
expect "a wrong ABI" 1 "FAIL  load: rejected" "$broken/test_plugin_wrong_abi.so"
# A plugin op: every kernel against the reference in both dtypes, and the gradient op against centred differences;
# a kernel wrong in one element fails and names the element.
expect "an op" 0 "PASS  op scale_cube gradient (scale_cube_grad, float64)" "$ops/none/op_fixture_none.so"
expect "an op kernel wrong in one element" 1 "FAIL  op scale_cube cpu kernel (float32): [3]: " "$ops/wrong_element/op_fixture_wrong_element.so"
expect "an op kernel for a backend that does not exist" 1 "is for backend 'tpu', which no plugin provides" \
  "$ops/unknown_backend/op_fixture_unknown_backend.so"
expect "an op without a reference" 1 "FAIL  op scale_cube has a reference" "$ops/float64_only/op_fixture_float64_only.so"
out=$("$nnplug" plugin-check /nonexistent/x.so 2>&1)
[ $? -eq 1 ] && [[ "$out" == *"/nonexistent/x.so: the plugin file does not exist"* ]] && echo "ok: a missing file" || { echo "FAIL: missing file: $out"; failures=$((failures + 1)); }

echo "$failures failed"
[ "$failures" -eq 0 ]
