#!/usr/bin/env bash
# A class label per step from the command line: examples/char_lm's data script cuts the GPL-3's text into sequences
# of characters and their successors, and its spec trains a character language model on them (an embedding, an LSTM
# returning every step, a dense layer per step) beyond the test set's most frequent next character; evaluate scores
# every step of the test sequences (the loss train printed, an accuracy predict's rows agree with); predict writes a
# row per step, with and without labels; padding (label -100) is left out of evaluate's count; a label outside the
# model's classes, one no int32 holds and labels that are not one per step are refused by name; a loss of values (nll
# on log_softmax) trains as softmax_cross_entropy does. sample.py writes text with the trained model through the
# Python module.
# Usage: cli_step_labels.sh NNPLUG PYTHON (a Python with numpy, and nnplug's module on PYTHONPATH).
set -u
nnplug=$1
python=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"
example="$here/../examples/char_lm"

"$python" "$example/make_data.py" /usr/share/common-licenses/GPL-3 "$work/data" > /dev/null
expect_exit "the example's data script" 0 $?
cp "$example/char_lstm.json" "$work/"
"$python" - "$work/data" <<'PY'
import sys
import numpy as np
data = sys.argv[1]
y = np.load(f"{data}/y_test.npy")
# The share of the test steps whose label is the most frequent one: what a model that learned nothing scores.
print(f"{np.bincount(y.reshape(-1)).max() / y.size:.4f}", file=open(f"{data}/baseline.txt", "w"))
padded = y.copy()
padded[:, 48:] = -100  # the last 16 steps of each sequence are padding
np.save(f"{data}/y_test_padded.npy", padded)
train = np.load(f"{data}/y_train.npy")
outside = train.copy()
outside[3, 5] = 76
np.save(f"{data}/y_outside.npy", outside)
np.save(f"{data}/y_short.npy", train[:, :63])
huge = y.astype(np.float32)
huge[2, 7] = 1e30
np.save(f"{data}/y_test_huge.npy", huge)
PY
expect_exit "numpy writes the arrays" 0 $?

out=$("$nnplug" train "$work/char_lstm.json" --epochs 6 --no-progress --save "$work/model.safetensors" 2>&1)
expect_exit "train the character model" 0 $?
check "the score is the accuracy of the steps" "val_accuracy" "$out"
test_line=$(grep -E '^test: ' <<<"$out")
accuracy=$(sed -E 's/.*accuracy ([0-9.]+).*/\1/' <<<"$test_line")
baseline=$(cat "$work/data/baseline.txt")
check "the model predicts the next character beyond the most frequent one ($accuracy > $baseline + 0.05)" yes \
  "$(awk -v a="$accuracy" -v b="$baseline" 'BEGIN { print (a > b + 0.05) ? "yes" : "no" }')"

out=$("$nnplug" evaluate "$work/model.safetensors" 2>&1)
expect_exit "evaluate" 0 $?
check "evaluate scores every step of the 54 test sequences" "(3456 steps of 54 samples)" "$out"
check "evaluate's loss and accuracy are train's" "$(sed -E 's/^test: (loss [0-9.]+) +(accuracy [0-9.]+)/\1  \2/' <<<"$test_line")" "$out"

out=$("$nnplug" predict "$work/model.safetensors" --output "$work/steps.csv" 2>&1)
expect_exit "predict" 0 $?
check "predict counts the rows it wrote, one per step" "wrote 3456 predictions of 54 samples' steps (test)" "$out"
check "predict writes a row per step, with its label" "index,step,predicted,label,p_0," "$(head -1 "$work/steps.csv")"
check "the rows' accuracy is evaluate's" "$(printf '%.4f' "$accuracy")" \
  "$(awk -F, 'NR > 1 { rows++; right += $3 == $4 } END { printf "%.4f rows %d", right / rows, rows }' "$work/steps.csv")"
check "every step has its row" "rows 3456" \
  "$(awk -F, 'NR > 1 { rows++; right += $3 == $4 } END { printf "%.4f rows %d", right / rows, rows }' "$work/steps.csv")"
"$nnplug" predict "$work/model.safetensors" --input "$work/data/x_test.npy" --output "$work/inputs.csv" 2> /dev/null
expect_exit "predict new sequences" 0 $?
check "new sequences' rows have no label" "index,step,predicted,p_0," "$(head -1 "$work/inputs.csv")"
check "their last row is the last sequence's last step" "53,63," "$(tail -1 "$work/inputs.csv")"

# Text written by the trained model (sample.py, through the Python module): its characters are drawn as often as the
# GPL-3 uses them (a total variation distance of 0.07 after 6 epochs; 0.63 for characters drawn uniformly).
"$python" "$example/sample.py" "$work/model.safetensors" "$work/data" --characters 2000 --temperature 1 > "$work/sampled.txt" 2> /dev/null
expect_exit "sample.py writes text" 0 $?
check "the text continues the prompt, character by character as often as the GPL-3 has them" "continues, distance below 0.2" \
  "$("$python" - "$work/sampled.txt" <<'PY'
import collections, sys
text = open(sys.argv[1]).read()
gpl = open("/usr/share/common-licenses/GPL-3").read()
written = text[len("This License"):-1]
ours, theirs = collections.Counter(written), collections.Counter(gpl)
distance = 0.5 * sum(abs(ours[c] / len(written) - theirs[c] / len(gpl)) for c in set(gpl) | set(written))
print(f"{'continues' if text.startswith('This License') and len(written) == 2000 else 'does not continue'}, "
      f"distance {'below' if distance < 0.2 else 'not below'} 0.2 ({distance:.3f})")
PY
)"
out=$("$python" "$example/sample.py" "$work/model.safetensors" "$work/data" --prompt "Lizenz für alle" 2>&1)
expect_exit "a prompt of characters the model never saw" 1 $?
check "is refused naming them" "the prompt holds characters the model never saw: ['ü']" "$out"

# The same model on padded labels: the first 48 steps of each sequence are scored.
out=$("$nnplug" train "$work/char_lstm.json" --epochs 1 --no-progress --set data.test_targets='"data/y_test_padded.npy"' \
      --save "$work/padded.safetensors" 2>&1)
expect_exit "train with padded test labels" 0 $?
check "evaluate leaves the padding out" "(2592 steps of 54 samples)" "$("$nnplug" evaluate "$work/padded.safetensors" 2>&1)"
check "predict leaves a padded step's label empty" "53 63 label []" \
  "$("$nnplug" predict "$work/padded.safetensors" 2> /dev/null | awk -F, 'END { print $1, $2, "label [" $4 "]" }')"

out=$("$nnplug" train "$work/char_lstm.json" --epochs 1 --no-progress --set data.train_targets='"data/y_outside.npy"' 2>&1)
expect_exit "a label outside the classes" 1 $?
check "names its step, and its sample by its row in the file" "the label of step 5 of sample 3 (its row in the data, counted from 0)" "$out"
check "and the classes" "is 76, but the model scores 76 classes" "$out"
out=$("$nnplug" train "$work/char_lstm.json" --epochs 1 --no-progress --set data.train_targets='"data/y_short.npy"' 2>&1)
expect_exit "labels that are not one per step" 1 $?
check "says how many the model needs" "scores of 76 classes at each of 64 steps, but the data has 63 target values per sample" "$out"
out=$("$nnplug" train "$work/char_lstm.json" --epochs 1 --no-progress --set data.test_targets='"data/y_test_huge.npy"' 2>&1)
expect_exit "a test label no int32 holds" 1 $?
check "is refused by its step and value" "the label of step 7 of sample 2 (its row in the data, counted from 0) is 1e+30" "$out"
# A loss of values on labels per step takes each step's class one-hot: log_softmax with nll is softmax_cross_entropy
# (PyTorch's LogSoftmax with NLLLoss, its CrossEntropyLoss), so three epochs of each end at the same test loss and
# accuracy, to float32's rounding of the two ways.
out=$("$nnplug" train "$work/char_lstm.json" --epochs 3 --no-progress --set data.validation_split=0 --save "$work/ce.safetensors" 2>&1)
expect_exit "three epochs of softmax_cross_entropy" 0 $?
ce=$(grep -E '^test: ' <<<"$out")
out=$("$nnplug" train "$work/char_lstm.json" --epochs 3 --no-progress --set data.validation_split=0 --set loss='"nll"' \
      --set layers.2.activation='"log_softmax"' --save "$work/nll.safetensors" 2>&1)
expect_exit "three epochs of nll on log_softmax" 0 $?
nll=$(grep -E '^test: ' <<<"$out")
check "its score is the accuracy of the steps" "accuracy" "$nll"
check "its test loss and accuracy are softmax_cross_entropy's ($nll; $ce)" "same" \
  "$(awk -v a="$nll" -v b="$ce" 'BEGIN { split(a, x, " "); split(b, y, " "); d = x[3] - y[3]; e = x[5] - y[5]
        print (d * d < 1e-6 && e * e < 1e-6 && x[3] > 0) ? "same" : "differ" }')"
check "evaluate scores its every step" "(3456 steps of 54 samples)" "$("$nnplug" evaluate "$work/nll.safetensors" 2>&1)"
check "predict writes a row per step of new sequences too, as the model was trained" "wrote 3456 predictions of 54 samples' steps (inputs)" \
  "$("$nnplug" predict "$work/nll.safetensors" --input "$work/data/x_test.npy" --output "$work/nll.csv" 2>&1)"
"$nnplug" predict "$work/ce.safetensors" --input "$work/data/x_test.npy" --output "$work/ce.csv" 2> /dev/null
expect_exit "predict new sequences with softmax_cross_entropy's model" 0 $?
# Its columns are probabilities (exp of the log-probabilities), not the log-probabilities themselves.
check "its rows are the probabilities softmax_cross_entropy's model gives" "probabilities, the same" \
  "$("$python" - "$work/nll.csv" "$work/ce.csv" <<'PY'
import sys, numpy as np
nll, ce = (np.loadtxt(f, delimiter=",", skiprows=1)[:, 3:] for f in sys.argv[1:])
sums, gap = np.abs(nll.sum(axis=1) - 1).max(), np.abs(nll - ce).max()
print(f"{'probabilities' if sums < 1e-4 else 'not probabilities'}, {'the same' if gap < 2e-3 else 'different'} ({sums:.2g}, {gap:.2g})")
PY
)"
finish
