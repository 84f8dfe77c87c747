#!/usr/bin/env bash
# NumPy arrays as data (format "npy") from the command line, in files numpy.save itself writes: Fashion-MNIST's
# first images and labels as uint8 and int64 arrays train to the same numbers as the same images read from the IDX
# files (two readers, one result), and as float32 arrays already divided by 255 to the same numbers again; predict
# takes an .npy array of inputs; the same arrays in an .npz archive (numpy.savez, and savez_compressed with Keras's
# mnist.npz names) train to the same numbers again; an array nnplug does not read, a FIFO, counts that differ, an
# archive without the array named and one whose bytes were damaged are refused by name; labels as whole floats or
# one-hot rows train as the int64 ones; token ids in int64 arrays
# train an embedding; float32 targets of several axes train a regression that evaluate and predict score as one.
# Usage: cli_npy_data.sh NNPLUG PYTHON (a Python with numpy).
set -u
nnplug=$1
python=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"
fashion=/usr/share/datasets/fashion-mnist

"$python" - "$fashion" "$work" <<'PY'
import gzip, sys
import numpy as np
fashion, work = sys.argv[1:]
def idx(name, header, count, shape):
    with gzip.open(f"{fashion}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)[:count * int(np.prod(shape))].reshape((count,) + shape)
images = idx("train-images-idx3-ubyte.gz", 16, 1500, (28, 28))
labels = idx("train-labels-idx1-ubyte.gz", 8, 1500, ())
np.save(f"{work}/x.npy", images)
np.save(f"{work}/y.npy", labels.astype(np.int64))
np.save(f"{work}/x_float.npy", images.astype(np.float32) / np.float32(255))
np.save(f"{work}/x_test.npy", idx("t10k-images-idx3-ubyte.gz", 16, 5, (28, 28)))
np.save(f"{work}/x_big_endian.npy", images[:10].astype(">f4"))
np.save(f"{work}/y_short.npy", labels[:1499].astype(np.int32))
# The labels as pandas' float column holds them, and one-hot as Keras's to_categorical makes them (float32).
np.save(f"{work}/y_float.npy", labels.astype(np.float64))
np.save(f"{work}/y_one_hot.npy", np.eye(10, dtype=np.float32)[labels])
np.savez(f"{work}/named.npz", images=images, classes=labels)
np.savez_compressed(f"{work}/keras.npz", x_train=images, y_train=labels, x_test=images[:5], y_test=labels[:5])
# Token ids as a tokenizer gives them (int64), 10 of them; a sequence's class is whether its first id is below 5.
ids = np.random.default_rng(0).integers(0, 10, size=(600, 6))
np.save(f"{work}/ids.npy", ids)
np.save(f"{work}/id_classes.npy", (ids[:, 0] < 5).astype(np.int64))
ids[7, 3] = 10
np.save(f"{work}/bad_ids.npy", ids)
# A regression of 4 steps of 2 values per sample, float32 targets of shape (N, 4, 2); and the same with its axes swapped.
inputs = np.random.default_rng(1).normal(size=(300, 4)).astype(np.float32)
np.save(f"{work}/reg_x.npy", inputs)
np.save(f"{work}/reg_y.npy", np.stack([inputs, 2 * inputs], axis=2))
np.save(f"{work}/reg_y_swapped.npy", np.stack([inputs, 2 * inputs], axis=1))
# One byte of a stored member's values changed: its CRC no longer matches.
raw = bytearray(open(f"{work}/named.npz", "rb").read())
raw[2000] ^= 0xFF
open(f"{work}/damaged.npz", "wb").write(bytes(raw))
PY
expect_exit "numpy writes the arrays" 0 $?

spec() {  # spec DATA_FIELDS: the demo's model on 1500 images, in the file's order
  cat <<SPEC
{"seed": 3, "data": {$1, "validation_split": 0.2},
 "layers": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 10}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.002}, "training": {"epochs": 2, "batch_size": 50}}
SPEC
}
spec "\"format\": \"idx\", \"train_images\": \"$fashion/train-images-idx3-ubyte.gz\",
      \"train_labels\": \"$fashion/train-labels-idx1-ubyte.gz\", \"limit_train\": 1500, \"divide_by\": 255" > "$work/idx.json"
spec '"format": "npy", "train_inputs": "x.npy", "train_targets": "y.npy", "divide_by": 255, "sample_shape": [784]' > "$work/npy.json"
spec '"format": "npy", "train_inputs": "x_float.npy", "train_targets": "y.npy", "sample_shape": [784]' > "$work/npy_float.json"

scores() { grep -E '^epoch 2/2' <<<"$1" | sed -E 's/ +\(.*//'; }  # the last epoch's losses and accuracies, without its time
idx=$("$nnplug" train "$work/idx.json" --no-progress 2>&1)
expect_exit "train from IDX files" 0 $?
npy=$("$nnplug" train "$work/npy.json" --no-progress --save "$work/model.safetensors" 2>&1)
expect_exit "train from uint8 and int64 arrays" 0 $?
float=$("$nnplug" train "$work/npy_float.json" --no-progress 2>&1)
expect_exit "train from a float32 array" 0 $?
check "the IDX run's last epoch" "val_accuracy" "$(scores "$idx")"
check "the uint8 arrays train as the IDX files do" "$(scores "$idx")" "$(scores "$npy")"
check "the float32 array trains as the IDX files do" "$(scores "$idx")" "$(scores "$float")"

# train_with DATA_FIELDS: trains spec's model on them; the output in $out, the exit status in $rc.
train_with() {
  spec "$1" > "$work/case.json"
  out=$(timeout 60 "$nnplug" train "$work/case.json" --no-progress 2>&1)
  rc=$?
}
train_with '"format": "npy", "path": "named.npz", "train_inputs": "images", "train_targets": "classes", "divide_by": 255, "sample_shape": [784]'
expect_exit "train from arrays of an .npz archive" 0 $rc
check "the archive's arrays train as the IDX files do" "$(scores "$idx")" "$(scores "$out")"
train_with '"format": "npy", "path": "keras.npz", "divide_by": 255, "sample_shape": [784]'
expect_exit "train from a compressed archive with Keras's names" 0 $rc
check "Keras's names are the defaults" "$(scores "$idx")" "$(scores "$out")"
check "x_test and y_test are the test set" "test: loss" "$out"
for labels in y_float y_one_hot; do
  train_with "\"format\": \"npy\", \"train_inputs\": \"x.npy\", \"train_targets\": \"$labels.npy\", \"divide_by\": 255, \"sample_shape\": [784]"
  expect_exit "train on $labels" 0 $rc
  check "a loss of class labels reads $labels.npy as the labels it holds" "$(scores "$idx")" "$(scores "$out")"
done

# 28x28 samples without sample_shape: the array's own shape, which a flatten layer makes a vector.
spec '"format": "npy", "train_inputs": "x.npy", "train_targets": "y.npy"' > "$work/npy_shaped.json"
out=$("$nnplug" summary "$work/npy_shaped.json" --set 'layers=[{"type": "flatten"}, {"type": "dense", "units": 10}]' 2>&1)
check "a sample's shape is the array's trailing axes" "[28, 28]" "$out"

out=$("$nnplug" predict "$work/model.safetensors" --input "$work/x_test.npy" 2>&1)
expect_exit "predict from an .npy array" 0 $?
check "five samples' probabilities" "4," "$(tail -1 <<<"$out")"

# Token ids in int64 arrays into an embedding: a sequence's first id gives its class, which the model learns; an id
# past the table's rows is refused naming the layer, the id and the rows there are.
cat > "$work/ids.json" <<SPEC
{"seed": 1, "data": {"format": "npy", "train_inputs": "ids.npy", "train_targets": "id_classes.npy", "validation_split": 0.2},
 "layers": [{"type": "embedding", "input_dim": 10, "output_dim": 4}, {"type": "flatten"}, {"type": "dense", "units": 2}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.05}, "training": {"epochs": 3, "batch_size": 20}}
SPEC
out=$("$nnplug" train "$work/ids.json" --no-progress 2>&1)
expect_exit "train an embedding on token ids" 0 $?
check "the first id's class is learnt" "val_accuracy 1.0000" "$(grep -E '^epoch 3/3' <<<"$out")"
sed 's/"ids.npy"/"bad_ids.npy"/' "$work/ids.json" > "$work/bad_ids.json"
out=$("$nnplug" train "$work/bad_ids.json" --no-progress 2>&1)
expect_exit "an id past the table" 1 $?
check "an id past the table is named" "layers[0] (embedding) forward: cpu backend: gather_rows: index 10 at position" "$out"

# A regression from .npy arrays, whose targets have no names: evaluate scores each of the 8 values as a regression,
# and predict writes them (numbered), also for inputs without targets, as the model keeps that it was trained on
# values. Before, both took the model for a classifier: predict wrote an argmax and "probabilities", evaluate crashed.
cat > "$work/reg.json" <<SPEC
{"seed": 1, "data": {"format": "npy", "train_inputs": "reg_x.npy", "train_targets": "reg_y.npy", "validation_split": 0.2},
 "layers": [{"type": "dense", "units": 8}, {"type": "reshape", "shape": [4, 2]}],
 "loss": "mse", "optimizer": {"type": "adam", "lr": 0.05}, "training": {"epochs": 20, "batch_size": 20}}
SPEC
out=$("$nnplug" train "$work/reg.json" --no-progress --save "$work/reg.safetensors" 2>&1)
expect_exit "train a regression on (N, 4, 2) targets" 0 $?
out=$("$nnplug" evaluate "$work/reg.safetensors" 2>&1)
expect_exit "evaluate the regression" 0 $?
check "scores it as a regression of 8 values" "(60 samples)" "$(grep -E '^loss .* r2 ' <<<"$out")"
check "the last value by its number" "target_7" "$out"
check "which it learnt (r2 near 1)" "yes" "$(awk '/^loss / { print ($8 > 0.99) ? "yes" : "no (" $0 ")" }' <<<"$out")"
predictions=index$(printf ',predicted_target_%d' 0 1 2 3 4 5 6 7)
check "predict writes each value's prediction and target" "$predictions,target_0," "$("$nnplug" predict "$work/reg.safetensors" 2>&1 | head -1)"
out=$("$nnplug" predict "$work/reg.safetensors" --input "$work/reg_x.npy" 2>&1)
expect_exit "predict the regression's new inputs" 0 $?
check "as values" "$predictions" "$(head -1 <<<"$out")"
# A model saved from Python has no data section: predict --input reads an .npy array for it, and evaluate, with no
# data to score, says so.
(cd "$work" && "$python" - <<'PY'
import numpy as np, nnplug
net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8), nnplug.layer("reshape", shape=[4, 2])]))
net.compile(nnplug.Adam(lr=0.05), "mse", seed=1)
net.fit(np.load("reg_x.npy"), np.load("reg_y.npy"), epochs=2, batch_size=20, progress=False)
net.save("python_reg.safetensors")
PY
)
expect_exit "Python saves a regression" 0 $?
out=$("$nnplug" predict "$work/python_reg.safetensors" --input "$work/reg_x.npy" 2>&1)
expect_exit "predict from an .npy array for Python's model" 0 $?
check "writes its values" "index,predicted_target_0," "$(head -1 <<<"$out")"
check "for every sample" "300 rows" "$(tail -n +2 <<<"$out" | wc -l | sed 's/$/ rows/')"
out=$("$nnplug" predict "$work/python_reg.safetensors" --input "$work/reg.json" 2>&1)
expect_exit "an input file that is not an array, for Python's model" 1 $?
check "is refused by name" "$work/reg.json: $work/python_reg.safetensors (the spec saved in it) names no data format" "$out"
out=$("$nnplug" summary "$work/python_reg.safetensors" 2>&1)
expect_exit "summary of Python's saved model" 0 $?
check "shows its layers for the input shape it keeps" "layers[1] (reshape)         [4, 2]" "$out"
check "and its parameters" "total parameters: 40" "$out"
out=$("$nnplug" summary "$work/python_reg.safetensors" --input-shape 5 2>&1)
expect_exit "a saved model's summary for another shape" 1 $?
check "is refused" "python_reg.safetensors: a saved model's layers and input shape are its own" "$out"
out=$("$nnplug" gradcheck "$work/python_reg.safetensors" 2>&1)
expect_exit "a saved model where a spec belongs" 1 $?
check "is named as one" "python_reg.safetensors: a saved model, not a spec file (JSON); nnplug evaluate, predict and summary take saved models" "$out"
out=$("$nnplug" evaluate "$work/python_reg.safetensors" 2>&1)
expect_exit "evaluate Python's model" 1 $?
check "says it has no data to score" "python_reg.safetensors: its spec names no data to score (a model saved from Python or C++)" "$out"
out=$("$nnplug" train "$work/reg.json" --no-progress --set data.train_targets='"reg_y_swapped.npy"' 2>&1)
expect_exit "targets whose axes are swapped" 1 $?
check "are refused naming the file and both shapes" "reg_y_swapped.npy: the targets have shape [2, 4] per sample, but the model outputs [4, 2]" "$out"

mkfifo "$work/fifo.npy"
while IFS='|' read -r what fields message; do
  train_with "$fields"
  expect_exit "$what" 1 $rc
  check "$what is refused by name" "$message" "$out"
done <<CASES
an array the archive lacks|"format": "npy", "path": "named.npz", "train_inputs": "pixels", "train_targets": "classes"|$work/named.npz: the .npz archive has no array "pixels"; it holds "images", "classes"
a damaged archive|"format": "npy", "path": "damaged.npz", "train_inputs": "images", "train_targets": "classes"|$work/damaged.npz: array "images" of the .npz archive is damaged: CRC error
a big-endian array|"format": "npy", "train_inputs": "x_big_endian.npy", "train_targets": "y.npy"|$work/x_big_endian.npy: the .npy header names the big-endian dtype '>f4'
fewer targets than inputs|"format": "npy", "train_inputs": "x.npy", "train_targets": "y_short.npy"|$work/y_short.npy: shape (1499) holds 1499 rows of targets, but the inputs hold 1500 samples
a FIFO|"format": "npy", "train_inputs": "fifo.npy", "train_targets": "y.npy"|$work/fifo.npy
CASES
finish
