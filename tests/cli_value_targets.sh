#!/usr/bin/env bash
# Value targets from the command line: a regression CSV (one dense unit fits a plane) trains with the mean
# absolute error beside the loss, and evaluate's MAE, RMSE and R² agree with what awk computes from predict's
# values; multi-label columns train a sigmoid loss and are scored per label; a spec that cannot score its targets
# is refused with the reason.
set -u
nnplug=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"

# price = 2 a - b + 0.5 exactly; the labels of the same samples: "big" is 1 where price > 1, "odd" where a's first
# decimal is odd.
awk -v prices="$work/prices.csv" -v labels="$work/labels.csv" \
  'BEGIN { print "a,b,price" > prices; print "a,b,big,odd" > labels; srand(7);
           for (i = 0; i < 400; i++) { a = int(rand() * 100) / 100; b = int(rand() * 100) / 100; p = 2 * a - b + 0.5;
                                       printf "%.2f,%.2f,%.2f\n", a, b, p > prices; printf "%.2f,%.2f,%d,%d\n", a, b, (p > 1), int(a * 10) % 2 > labels } }'
awk -F, 'NR == 1 { print "a,b" } NR > 1 && NR <= 6 { print $1 "," $2 }' "$work/prices.csv" > "$work/inputs.csv"
cat > "$work/regression.json" <<'SPEC'
{
  "seed": 1,
  "data": {"format": "csv", "path": "prices.csv", "targets": "price", "validation_split": 0.2, "test_split": 0.2},
  "layers": [{"type": "dense", "units": 1}],
  "loss": "mse",
  "optimizer": {"type": "adam", "lr": 0.05},
  "training": {"epochs": 60, "batch_size": 16},
  "callbacks": [{"type": "early_stopping", "monitor": "val_mae", "patience": 60}]
}
SPEC

out=$("$nnplug" train "$work/regression.json" --save "$work/regression.safetensors" --run-dir "$work/run" 2>&1)
expect_exit "train a regression" 0 $?
check "the score beside the loss is the mean absolute error" "val_mae" "$(grep '^epoch 60/60' <<<"$out")"
check "the history names it" "epoch,loss,mae,val_loss,val_mae,lr,seconds" "$(head -1 "$work/run/history.csv")"
check "the run's metrics are a regression's" '"r2"' "$(cat "$work/run/metrics.json")"
out=$("$nnplug" report "$work/run" 2>&1)
expect_exit "report of a regression run" 0 $?
check "the report's scores" "R²" "$(cat "$work/run/report.html")"

out=$("$nnplug" evaluate "$work/regression.safetensors" 2>&1)
expect_exit "evaluate a regression" 0 $?
check "regression scores" "target        mae       rmse         r2" "$out"
"$nnplug" predict "$work/regression.safetensors" --output "$work/predictions.csv" 2> /dev/null
expect_exit "predict a regression" 0 $?
check "predictions then the true values" "index,predicted_price,price" "$(head -1 "$work/predictions.csv")"
# MAE, RMSE and R² of predict's values, computed here: evaluate must print the same.
expected=$(awk -F, 'NR > 1 { n++; d = $2 - $3; abs += d < 0 ? -d : d; sq += d * d; sum += $3; sumsq += $3 * $3 }
                    END { printf "mae %.4f  rmse %.4f  r2 %.4f", abs / n, sqrt(sq / n), 1 - sq / (sumsq - sum * sum / n) }' "$work/predictions.csv")
check "evaluate agrees with the predictions" "$expected" "$out"
check "a plane is fitted" "fitted" "$(awk '/^loss/ && $8 > 0.99 { print "fitted" }' <<<"$out")"
out=$("$nnplug" predict "$work/regression.safetensors" --input "$work/inputs.csv" 2>&1)
expect_exit "predict features alone" 0 $?
check "no true values to show" "index,predicted_price
0," "$out"
# The target given by its place (the last column) is named by the header all the same, in predict and evaluate.
"$nnplug" train "$work/regression.json" --set data.targets=-1 --set training.epochs=1 --save "$work/by_place.safetensors" > /dev/null 2>&1
expect_exit "train on the last column" 0 $?
check "predict names it" "index,predicted_price,price" "$("$nnplug" predict "$work/by_place.safetensors" 2> /dev/null | head -1)"
check "evaluate names it" " price " "$("$nnplug" evaluate "$work/by_place.safetensors" 2>&1 | tail -1)"
# A Kaggle submission of values: the id column (here a), then the target's value under its name, a row per sample.
"$nnplug" train "$work/regression.json" --set data.id_column='"a"' --set training.epochs=1 --save "$work/ids.safetensors" > /dev/null 2>&1
"$nnplug" predict "$work/ids.safetensors" --input "$work/inputs.csv" --submission > "$work/submission.csv" 2>&1
check "a submission of values" "a,price
$(awk -F, 'NR == 2 { print $1 }' "$work/inputs.csv")," "$(cat "$work/submission.csv")"
check "a row per sample" "6" "$(wc -l < "$work/submission.csv")"
check "handle_unknown needs categorical columns" \
  "parameter 'handle_unknown' says what becomes of a category that training did not see, and the data section names no \"categorical\" columns" \
  "$("$nnplug" train "$work/regression.json" --set data.handle_unknown='"ignore"' 2>&1)"
# The model keeps its features' names: columns in another order are read by them, a missing one is named.
awk -F, '{ print $2 "," $1 }' "$work/inputs.csv" > "$work/swapped.csv"
check "columns by name" "$out" "$("$nnplug" predict "$work/regression.safetensors" --input "$work/swapped.csv" 2>&1)"
cut -d, -f2 "$work/inputs.csv" > "$work/only_b.csv"
out=$("$nnplug" predict "$work/regression.safetensors" --input "$work/only_b.csv" 2>&1)
expect_exit "a missing feature" 1 $?
check "names it" "only_b.csv:1: no column is named 'a', a feature the model was trained on (a, b); the header names b" "$out"

# The same prices in dollars (times 100,000), with data.standardize_targets: the loss sees z-scores, evaluate and
# predict give dollars, and agree with each other.
awk -F, 'NR == 1 { print } NR > 1 { printf "%s,%s,%d\n", $1, $2, $3 * 100000 }' "$work/prices.csv" > "$work/dollars.csv"
out=$("$nnplug" train "$work/regression.json" --set data.path='"dollars.csv"' --set data.standardize_targets=true \
        --save "$work/dollars.safetensors" 2>&1)
expect_exit "train on standardized dollars" 0 $?
"$nnplug" predict "$work/dollars.safetensors" --output "$work/dollars_predicted.csv" 2> /dev/null
out=$("$nnplug" evaluate "$work/dollars.safetensors" 2>&1)
# predict writes float32 values to 8 digits, a cent at these prices: the two MAEs agree to a cent.
check "predict and evaluate give dollars, and agree" "agree" \
  "$(awk -F, -v evaluated="$(awk '/^loss/ { print $4 }' <<<"$out")" \
       'NR > 1 { n++; d = $2 - $3; abs += d < 0 ? -d : d; price += $3 }
        END { mae = abs / n; if (price / n > 10000 && mae < 5 && (mae - evaluated) ^ 2 < 1e-4) print "agree"; else print mae, evaluated }' \
       "$work/dollars_predicted.csv")"

# Two labels per sample with a sigmoid loss: binary accuracy, and precision, recall and F1 per label.
sed -e 's/"prices.csv", "targets": "price"/"labels.csv", "targets": ["big", "odd"]/' -e 's/"loss": "mse"/"loss": "binary_cross_entropy"/' \
    -e 's/"units": 1/"units": 2/' -e 's/val_mae/val_accuracy/' "$work/regression.json" > "$work/labels.json"
out=$("$nnplug" train "$work/labels.json" --save "$work/labels.safetensors" 2>&1)
expect_exit "train two labels" 0 $?
check "binary accuracy beside the loss" "val_accuracy" "$(grep '^epoch 60/60' <<<"$out")"
out=$("$nnplug" evaluate "$work/labels.safetensors" 2>&1)
expect_exit "evaluate two labels" 0 $?
check "per-label scores" "label precision    recall        f1   roc_auc  avg_prec  support" "$out"
check "the exact-match ratio" "exact match" "$out"
check "a probability and the truth per label" "index,p_big,p_odd,big,odd" "$("$nnplug" predict "$work/labels.safetensors" 2> /dev/null | head -1)"
# The same labels under a margin loss: each label's margin (its sign decides), and no ensemble with probabilities.
out=$("$nnplug" train "$work/labels.json" --set loss=attribute_hinge --save "$work/margins.safetensors" 2>&1)
expect_exit "train two labels' margins" 0 $?
check "a margin and the truth per label" "index,score_big,score_odd,big,odd" "$("$nnplug" predict "$work/margins.safetensors" 2> /dev/null | head -1)"
out=$("$nnplug" evaluate "$work/margins.safetensors" "$work/labels.safetensors" 2>&1)
expect_exit "an ensemble of margins and probabilities" 1 $?
check "names both" "labels.safetensors outputs label probabilities and $work/margins.safetensors label margins; an ensemble averages" "$out"
out=$("$nnplug" train "$work/labels.json" --set data.standardize_targets=true 2>&1)
expect_exit "standardized labels" 1 $?
check "names the field and the loss" "parameter 'standardize_targets' cannot be used with loss binary_cross_entropy" "$out"

# Class probabilities (soft labels: 0.9 on whether the price is above 1, 0.1 on the other) train softmax_cross_entropy
# with "targets": "probabilities", scored as a classification against each sample's most probable class, whose
# names are the target columns'.
awk -F, 'NR == 1 { print "a,b,cheap,dear" } NR > 1 { d = ($3 > 1) ? 0.9 : 0.1; printf "%s,%s,%.1f,%.1f\n", $1, $2, 1 - d, d }' \
  "$work/prices.csv" > "$work/soft.csv"
sed -e 's/"prices.csv", "targets": "price"/"soft.csv", "targets": ["cheap", "dear"]/' -e 's/"units": 1/"units": 2/' -e 's/val_mae/val_accuracy/' \
    -e 's/"loss": "mse"/"loss": {"type": "softmax_cross_entropy", "targets": "probabilities"}/' "$work/regression.json" > "$work/soft.json"
out=$("$nnplug" train "$work/soft.json" --save "$work/soft.safetensors" --run-dir "$work/soft_run" 2>&1)
expect_exit "train on soft labels" 0 $?
check "accuracy beside the loss" "val_accuracy" "$(grep '^epoch 60/60' <<<"$out")"
check "the run's metrics are a classification's, by the columns' names" '"name": "dear"' "$(cat "$work/soft_run/metrics.json")"
out=$("$nnplug" evaluate "$work/soft.safetensors" 2>&1)
expect_exit "evaluate soft labels" 0 $?
check "a confusion matrix of the most probable classes" "confusion matrix (rows: actual class, columns: predicted)" "$out"
check "each class's probability" "index,predicted,label,p_cheap,p_dear" "$("$nnplug" predict "$work/soft.safetensors" 2> /dev/null | head -1)"

# Specs that cannot score their targets.
out=$("$nnplug" train "$work/regression.json" --set loss=softmax_cross_entropy 2>&1)
expect_exit "a loss of class labels" 1 $?
check "names the loss and the targets" "loss softmax_cross_entropy scores class labels, but the data's targets are 1 value per sample" "$out"
out=$("$nnplug" train "$work/regression.json" --set 'layers=[{"type": "dense", "units": 3}]' 2>&1)
expect_exit "three outputs for one target" 1 $?
check "names both widths" "the model outputs 3 values per sample ([3]), but the data has 1 target value per sample" "$out"
out=$("$nnplug" train "$work/regression.json" --set loss=binary_cross_entropy 2>&1)
expect_exit "a loss of probabilities on prices" 1 $?
check "names a target outside [0, 1]" "loss binary_cross_entropy scores labels (0 or 1, or a probability between), so its targets are in [0, 1]" "$out"
out=$("$nnplug" train "$work/regression.json" --set data.targets='"cost"' 2>&1)
expect_exit "a target column that does not exist" 1 $?
check "names the header" "no column is named 'cost' (the header names a, b, price)" "$out"
out=$("$nnplug" train "$work/regression.json" --set data.format='"xor_blobs"' 2>&1)
expect_exit "targets of a synthetic set" 1 $?
check "targets are CSV columns" "parameter 'targets' names the value columns of a CSV file" "$out"
out=$("$nnplug" train "$work/regression.json" --set data.format='"npy"' 2>&1)
expect_exit "targets named as for a CSV file in npy data" 1 $?
check "names npy's own field" "an .npy file of targets is train_targets (and test_targets), beside train_inputs" "$out"
# A column of whole values named as the label column reads as class labels: the refusal says how to regress on them.
awk -F, 'NR == 1 { print "a,b,cents" } NR > 1 { printf "%s,%s,%d\n", $1, $2, $3 * 100 + 100 }' "$work/prices.csv" > "$work/cents.csv"
out=$("$nnplug" train "$work/regression.json" \
  --set data='{"format": "csv", "path": "cents.csv", "label_column": "cents", "validation_split": 0.2}' 2>&1)
expect_exit "values as class labels" 1 $?
check "names targets in place of the label column" \
  "to regress on the values of column 'cents', name it in the data section's \"targets\" in place of \"label_column\"" "$out"
finish
