#!/usr/bin/env bash
# The nnplug command on bad input: exit status 1 (not a crash, which is >= 128) and one clear message.
set -u
nnplug=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

expect_status() {  # expect_status STATUS "description" "expected message fragment" args...
  local status=$1 what=$2 fragment=$3
  shift 3
  local out rc
  out=$("$nnplug" "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$status" ] || [[ "$out" != *"$fragment"* ]]; then
    echo "FAIL: $what: exit $rc, output: ${out:0:2000}"
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}
expect() { expect_status 1 "$@"; }
# Command-line values out of range: a usage error (exit 2, as argparse's), the range as a person writes it.
expect_usage() { expect_status 2 "$@"; }
expect_usage "a zero batch size" "--batch-size: must be a whole number >= 1, got 0" evaluate x --batch-size 0
expect_usage "a batch size past an int" "--batch-size: must be a whole number in [1, 2147483647], got 9223372036854775807" \
  evaluate x --batch-size 9223372036854775807
expect_usage "a batch size past 64 bits" "--batch-size: must be a whole number in [1, 2147483647], got 99999999999999999999" \
  evaluate x --batch-size 99999999999999999999
expect_usage "a huge epoch count" "--epochs: must be a whole number in [0, 1000000], got 99999999999" train x --epochs 99999999999
expect_usage "a negative step" "--step: must be a number > 0, got -1" gradcheck x --step -1
expect_usage "an unknown flag" "The following argument was not expected: --nope" train x --nope
expect_usage "no command" "A subcommand is required"
expect_status 0 "--help" "Usage:" --help

printf '{\n  "layers": [\n    {"type": "dense" "units": 3}\n  ]\n}\n' >"$dir/bad.json"
expect "invalid JSON" "nnplug: error: $dir/bad.json:3:" train "$dir/bad.json"
expect "missing spec file" "nnplug: error: $dir/none.json: the spec file does not exist" train "$dir/none.json"
mkfifo "$dir/fifo.json"
expect "a FIFO as the spec" "nnplug: error: $dir/fifo.json: the spec file is a FIFO (named pipe), not a regular file" train "$dir/fifo.json"
expect "a directory as the spec" "nnplug: error: $dir: the spec file is a directory, not a regular file" train "$dir"
ln -s "$dir/loop_b" "$dir/loop_a"
ln -s "$dir/loop_a" "$dir/loop_b"
printf '{\n  "seed": 1,\n  "seed": 2\n}\n' >"$dir/twice.json"
expect "a repeated key" "nnplug: error: $dir/twice.json:3: duplicate key \"seed\"" train "$dir/twice.json"
{ printf '{"layers": '; head -c 50000 /dev/zero | tr '\0' '['; } >"$dir/deep.json"
expect "nesting 50,000 deep" "nnplug: error: $dir/deep.json:1: nested deeper than 100 levels" train "$dir/deep.json"
printf '{"data": {"format": "xor_blobs", "samples": 40}, "layers": [{"type": "dense", "units": 2}]}\n' >"$dir/ok.json"
expect "a value that is not UTF-8" "nnplug: error: --set: the assignment is not valid UTF-8 text" train "$dir/ok.json" --set $'name=\xff\xfe'
expect "a spec path that is not UTF-8" "the spec file does not exist" train $'/nonexistent/\xff.json'
expect "a symlink loop as the spec" "nnplug: error: $dir/loop_a: the spec file is a symlink loop" train "$dir/loop_a"
# Sizes a spec may give but no memory holds, and sizes whose product passes 64 bits: refused naming the spec and layer.
printf '{"data": {"format": "xor_blobs", "samples": 40}, "layers": [{"type": "dense", "units": 2}], "loss": "mse", "optimizer": "adam"}\n' \
  >"$dir/wide.json"
if [ -z "${NNPLUG_UNDER_SANITIZER:-}" ]; then
  expect "parameters past any address space" "nnplug: error: $dir/wide.json: layers[0] (dense): cpu backend: out of memory allocating" \
    summary "$dir/wide.json" --set layers.0.units=1099511627776
else  # AddressSanitizer's allocator stops the process where aligned_alloc would return null
  echo "skipped: parameters past any address space (under AddressSanitizer)"
fi
printf '{"data": {"format": "xor_blobs", "samples": 40}, "layers": [{"type": "reshape", "shape": [1, 2, 1]}, {"type": "max_pool2d", "padding": 3}], "loss": "mse", "optimizer": "adam"}\n' \
  >"$dir/pool.json"
expect "a pooling window wholly in the padding" \
  "nnplug: error: $dir/pool.json: layers[1] (max_pool2d): parameter 'padding' must be at most half the pool size (with dilation) [2, 2], got [3, 3]" \
  train "$dir/pool.json"
expect "a weight past 64 bits" \
  "nnplug: error: $dir/wide.json: layers[0] (dense) cannot take the output of the input [2]: shape [4611686018427387904, 2] holds more elements than 64 bits count" \
  summary "$dir/wide.json" --set layers.0.units=4611686018427387904
# An initial value the dtype does not hold would start training from inf: refused naming the layer and parameter.
expect "an initial slope past float32" \
  "nnplug: error: $dir/wide.json: layers[1] (prelu) alpha initializer drew 1e+300, which is not a finite float32 value" \
  summary "$dir/wide.json" --set 'layers=[{"type": "dense", "units": 2}, {"type": "prelu", "init": 1e300}]'
cat >"$dir/nodata.json" <<JSON
{"data": {"format": "idx", "train_images": "missing.gz", "train_labels": "missing.gz"},
 "layers": [{"type": "dense", "units": 10}], "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
expect "missing data file" "nnplug: error: $dir/missing.gz: the IDX file does not exist" train "$dir/nodata.json"
cat >"$dir/devdata.json" <<JSON
{"data": {"format": "idx", "train_images": "/dev/zero", "train_labels": "/dev/zero"},
 "layers": [{"type": "dense", "units": 10}], "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
expect "/dev/zero as data" "nnplug: error: /dev/zero: the IDX file is a character device, not a regular file" train "$dir/devdata.json"
mkdir -p "$dir/images/cat"
printf 'GIF89a' >"$dir/images/cat/a.gif"
cat >"$dir/images.json" <<JSON
{"data": {"format": "image_folder", "path": "images"}, "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
expect "a GIF in an image folder" "nnplug: error: $dir/images/cat/a.gif: .gif images are not read; convert them to PNG or JPEG" \
  train "$dir/images.json"
expect "an image size that is no size" "data: parameter 'image_size' must hold numbers in [1, 16384], got [0,28]" train "$dir/images.json" \
  --set 'data.image_size=[0, 28]'
expect "class names beside class folders" "data: parameter 'class_names' cannot be given for an image folder: its classes are its class folders' names" \
  train "$dir/images.json" --set 'data.class_names=["a", "b"]'
expect "a FIFO as a model" "nnplug: error: $dir/fifo.json: the model file is a FIFO (named pipe), not a regular file" evaluate "$dir/fifo.json"
printf '1,2,0\n3,4,1\n' >"$dir/train.csv"
printf '1,2,3,0\n' >"$dir/test.csv"
cat >"$dir/mismatch.json" <<JSON
{"data": {"format": "csv", "path": "train.csv", "test_path": "test.csv"}, "layers": [{"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
expect "a test set of another sample size" "nnplug: error: $dir/test.csv: test samples of 3 values, the training samples have 2" train "$dir/mismatch.json"
# Labels counted from 1 ask for an output more than there are classes: the refusal says so, and class_names reads them
# as names.
printf '1,2,1\n3,4,2\n' >"$dir/from_one.csv"
sed 's/"train.csv", "test_path": "test.csv"/"from_one.csv"/' "$dir/mismatch.json" >"$dir/from_one.json"
expect "labels counted from 1" "the last layer needs 3 units; no sample has label 0, the labels run from 1 to 2: classes count from 0, as in \
PyTorch and Keras; the data section's \"class_names\": [\"1\", ..., \"2\"] reads them as names, 1 as class 0" \
  train "$dir/from_one.json"
expect_status 0 "labels counted from 1, as names" "epoch 1/1" \
  train "$dir/from_one.json" --set 'data.class_names=["1", "2"]' --epochs 1
# A first spec written with Keras's and PyTorch's names is pointed to nnplug's.
expect "Keras's learning_rate" "optimizer: parameter 'lr' is required (Keras's 'learning_rate' is nnplug's 'lr')" \
  train "$dir/from_one.json" --set 'optimizer={"type": "sgd", "learning_rate": 0.1}'
expect "PyTorch's out_features" "layers[0] (dense): parameter 'units' is required (PyTorch's 'out_features' is nnplug's 'units')" \
  train "$dir/from_one.json" --set 'layers.0={"type": "dense", "out_features": 2}'
expect "Keras's kernel_regularizer" "(Keras's 'kernel_regularizer' is nnplug's 'weight_regularizer')" \
  train "$dir/from_one.json" --set 'layers.0.kernel_regularizer={"type": "l2", "lambda": 0.01}'
expect "epochs at the top, as Keras's fit() takes it" "parameter 'epochs' belongs in the \"training\" section" \
  train "$dir/from_one.json" --set 'epochs=3'
expect "unknown backend" "unknown backend 'tpu'; available: cpu" train "$dir/nodata.json" --backend tpu

# Errors raised inside plugin code are reported while the plugin is still loaded (no crash on the way out).
cat >"$dir/schedule.json" <<JSON
{"data": {"format": "xor_blobs", "samples": 40}, "layers": [{"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}, "schedule": {"type": "cosine"}}
JSON
expect "plugin parameter error" "$dir/schedule.json: schedule: parameter 'T_max' is required" train "$dir/schedule.json"
cat >"$dir/conv.json" <<JSON
{"data": {"format": "xor_blobs", "samples": 40, "sample_shape": [1, 1, 2]},
 "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3}, {"type": "flatten"}, {"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
expect "kernel larger than the input" "layers[0] (conv2d) cannot take the output of the input [1, 1, 2]: a window of 3x3 (kernel with dilation) is larger than the padded input 1x2" \
  train "$dir/conv.json"
expect "channel count" "layers[0] (conv2d) cannot take the output of the input [1, 1, 2]: conv2d expects 3 input channels (in_channels), got [1, 1, 2]" \
  train "$dir/conv.json" --set layers.0.in_channels=3 --set layers.0.kernel_size=1
cat >"$dir/channels.json" <<JSON
{"data": {"format": "xor_blobs", "samples": 40, "sample_shape": [2, 1, 1]},
 "layers": [{"type": "batch_norm"}, {"type": "conv2d", "filters": 4, "kernel_size": 1}, {"type": "flatten"}, {"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}, "augmentation": {"rotation": 10}}
JSON
expect "augmentation needs images" "$dir/channels.json: augmentation" train "$dir/channels.json" --set 'data.sample_shape=[2]'
# A sample shape of too many sizes, or sizes whose product overflows, is refused by field.
expect "sample shape of 6 sizes" "$dir/conv.json: data: parameter 'sample_shape' has 6 sizes; a sample has at most 5" \
  train "$dir/conv.json" --set 'data.sample_shape=[1, 1, 1, 1, 1, 2]'
expect "an input shape of 6 sizes" "--input-shape: a sample has at most 5 sizes (a batch of them 6), got 6" \
  summary "$dir/conv.json" --input-shape 1 1 1 1 1 2
expect "sample sizes whose product overflows" "$dir/conv.json: data: parameter 'sample_shape' must hold numbers in [1, 2]" \
  train "$dir/conv.json" --set 'data.sample_shape=[4294967296, 4294967296, 4]'

# Resuming from a file that is not a checkpoint, or a damaged one, touches nothing and says why.
printf 'garbage' >"$dir/ckpt.safetensors"
expect "damaged checkpoint" "$dir/ckpt.safetensors: too short for a safetensors file (7 bytes)" train "$dir/schedule.json" \
  --set 'schedule={"type": "constant"}' --resume "$dir/ckpt.safetensors"
[ "$(cat "$dir/ckpt.safetensors")" = garbage ] || { echo "FAIL: the damaged checkpoint was modified"; failures=$((failures + 1)); }

cat >"$dir/huge.json" <<JSON
{"data": {"format": "gaussian_blobs", "samples": 1000000000, "features": 1000000}, "layers": [{"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
if [ -z "${NNPLUG_UNDER_SANITIZER:-}" ]; then
  expect "data larger than memory" "nnplug: error: out of memory: a size in the spec" train "$dir/huge.json"
else  # AddressSanitizer's operator new stops the process where the C++ runtime would throw std::bad_alloc
  echo "skipped: data larger than memory (under AddressSanitizer)"
fi
expect "a synthetic size past its bound" "data: parameter 'samples' must be in [1, 1000000000], got 10000000000" train "$dir/huge.json" \
  --set data.samples=10000000000

# Fields other commands read are checked by every command.
expect "a name that is not text" "$dir/ok.json: parameter 'name' must be a string, got 5" train "$dir/ok.json" --set name=5
expect "a dtype a model cannot compute in" "$dir/ok.json: parameter 'dtype' must be \"float32\" or \"float64\", got \"int32\"" \
  train "$dir/ok.json" --set dtype=int32
expect "a search section train does not use" "$dir/ok.json: search: parameter 'trials' must be in [1, 1000000], got 0" \
  train "$dir/ok.json" --set search.trials=0

# A run folder whose files are not what nnplug writes: a FIFO is refused (not read forever), a field that is
# missing is named, a loop is no run folder; none of them is an "unexpected error".
mkdir -p "$dir/run"
printf 'epoch,loss,accuracy,val_loss,val_accuracy\n1,0.5,0.8,0.6,0.7\n' >"$dir/run/history.csv"
echo '{}' >"$dir/run/metrics.json"
expect "a run's metrics without fields" "nnplug: error: $dir/run/metrics.json: not what nnplug writes there" report "$dir/run" --output "$dir/r.html"
rm "$dir/run/metrics.json"
mkfifo "$dir/run/monitor.jsonl"
expect "a FIFO in a run folder" "nnplug: error: $dir/run/monitor.jsonl: a file of the run folder is a FIFO (named pipe), not a regular file" \
  report "$dir/run" --output "$dir/r.html"
expect "a symlink loop as a run folder" "nnplug: error: $dir/loop_a: no such run folder" report "$dir/loop_a"
expect "a run folder inside a file" "nnplug: error: $dir/ok.json/run: the run folder cannot be made" train "$dir/ok.json" --run-dir "$dir/ok.json/run" \
  --set loss=softmax_cross_entropy --set 'optimizer={"type": "sgd", "lr": 0.1}' 
# Where a file could not be written is said before the work whose result it would hold, not after it.
refused_before_work() {  # refused_before_work WHAT BANNER COMMAND [options...]: a file in a missing folder, and no BANNER
  local what=$1 banner=$2 out rc
  out=$("$nnplug" "$3" "$dir/ok.json" --set loss=softmax_cross_entropy --set 'optimizer={"type": "sgd", "lr": 0.1}' "${@:4}" 2>&1)
  rc=$?
  if [ "$rc" -eq 1 ] && [[ "$out" == *"nnplug: error: $dir/nofolder/out: cannot write $what: $dir/nofolder is not an existing folder"* ]] &&
     [[ "$out" != *"$banner"* ]]; then
    echo "ok: $3: $what in a missing folder is refused before the work"
  else
    echo "FAIL: $3: $what in a missing folder: exit $rc, output: ${out:0:2000}"
    failures=$((failures + 1))
  fi
}
refused_before_work "the model" "epoch 1/" train --no-progress --save "$dir/nofolder/out"
refused_before_work "the checkpoint" "epoch 1/" train --no-progress --set "callbacks=[{\"type\":\"checkpoint\",\"path\":\"$dir/nofolder/out\"}]"
refused_before_work "the history" "epoch 1/" train --no-progress --set "callbacks=[{\"type\":\"history\",\"path\":\"$dir/nofolder/out\"}]"
refused_before_work "the learning-rate sweep" "sweeping" lr-find --csv "$dir/nofolder/out"
refused_before_work "the search results" "random search" search --set data.validation_split=0.25 --csv "$dir/nofolder/out" --trials 2 \
  --epochs 1 --param optimizer.lr=log:1e-3:1e-1
out=$("$nnplug" lr-find "$dir/ok.json" --set loss=softmax_cross_entropy --set 'optimizer={"type": "sgd", "lr": 0.1}' --min-lr 1 --max-lr 0.1 2>&1)
[[ $? -eq 1 && "$out" == *"lr-find: needs 0 < min_lr < max_lr, got 1 and 0.1"* && "$out" != *"sweeping"* ]] &&
  echo "ok: an lr-find range upside down is refused before the banner" || { echo "FAIL: lr-find range: $out"; failures=$((failures + 1)); }
expect "plugin-check of a FIFO" "nnplug: error: $dir/fifo.json: the plugin file is a FIFO (named pipe), not a regular file" plugin-check "$dir/fifo.json"
# A FIFO as an output is written in place, never replaced by a regular file; one that no process reads is said at
# once instead of blocking.
"$nnplug" train "$dir/ok.json" --no-progress --set loss=softmax_cross_entropy --set 'optimizer={"type": "sgd", "lr": 0.1}' \
  --save "$dir/model.safetensors" > /dev/null 2>&1
mkfifo "$dir/out.fifo"
printf '0.5,0.5\n' > "$dir/two_features.csv"
expect "an output FIFO that no process reads" "nnplug: error: $dir/out.fifo: cannot write the predictions (it is a FIFO that no process reads)" \
  predict "$dir/model.safetensors" --input "$dir/two_features.csv" --output "$dir/out.fifo"
[ -p "$dir/out.fifo" ] && echo "ok: the FIFO is still a FIFO" || { echo "FAIL: the output FIFO was replaced"; failures=$((failures + 1)); }

cat >"$dir/cycle.json" <<JSON
{"data": {"format": "xor_blobs", "samples": 40}, "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1},
 "layers": [{"name": "a", "type": "add", "inputs": ["input", "b"]}, {"name": "b", "type": "dense", "units": 2, "inputs": "a"},
            {"type": "dense", "units": 2, "inputs": "b"}]}
JSON
expect "a cycle of layers" "nnplug: error: $dir/cycle.json: the layers form a cycle: a (add) -> b (dense) -> a (add)" train "$dir/cycle.json"
expect "merged shapes that do not fit" "sum (add) cannot merge a (dense), which produces [3] and the input [2]" summary "$dir/cycle.json" \
  --set 'layers=[{"name": "a", "type": "dense", "units": 3}, {"name": "sum", "type": "add", "inputs": ["a", "input"]}]'
cat >"$dir/selfblock.json" <<JSON
{"data": {"format": "xor_blobs", "samples": 40}, "blocks": {"me": "$dir/selfblock_file.json"}, "layers": [{"block": "me"}]}
JSON
echo '{"layers": [{"type": "relu"}, {"block": "me"}], "blocks": {"me": "selfblock_file.json"}}' >"$dir/selfblock_file.json"
expect "a block that uses itself" "block 'me' uses itself: me -> me" summary "$dir/selfblock.json" --input-shape 2
echo '{"layers": [{"type": "relu"}]' >"$dir/broken_block.json"
expect "a block file that is not JSON" "$dir/broken_block.json:2:1: not valid JSON" summary "$dir/selfblock.json" --input-shape 2 --set "blocks.me=$dir/broken_block.json"

echo "$failures failed"
[ "$failures" -eq 0 ]
