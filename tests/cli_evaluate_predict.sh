#!/usr/bin/env bash
# nnplug evaluate and predict on saved models, alone and as an ensemble. The figures are cross-checked between
# the two commands (accuracy recounted from the predictions, the ensemble's probabilities recomputed as the mean
# of its members'), not against themselves.
set -u
nnplug=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # check "description" "expected fragment" "output"
  if [[ "$3" != *"$2"* ]]; then fail "$1: expected '$2' in:"; echo "$3"; else echo "ok: $1"; fi
}

cat > "$work/blobs.json" <<'SPEC'
{
  "seed": 1,
  "data": {"format": "gaussian_blobs", "samples": 600, "centers": 3, "features": 2, "std": 3.0, "seed": 5,
           "standardize": "per_feature", "test_split": 0.2, "class_names": ["left", "middle", "right"]},
  "layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 3}],
  "loss": "softmax_cross_entropy",
  "optimizer": {"type": "adam", "lr": 0.01},
  "training": {"epochs": 5, "batch_size": 32}
}
SPEC
"$nnplug" train "$work/blobs.json" --no-progress --save "$work/a.safetensors" > /dev/null || fail "train a"
"$nnplug" train "$work/blobs.json" --no-progress --set seed=2 --save "$work/b.safetensors" > /dev/null || fail "train b"

out=$("$nnplug" evaluate "$work/a.safetensors" --top-k 2 --json "$work/a.json" 2>&1) || fail "evaluate exited $?"
echo "$out"
check "evaluate names the set" "test set:" "$out"
check "top-k" "top-2 accuracy " "$out"
check "confusion matrix" "confusion matrix (rows: actual class, columns: predicted)" "$out"
check "class names" "middle" "$out"
for average in macro micro weighted; do check "$average average" "$average " "$out"; done
[ -s "$work/a.json" ] && grep -q '"confusion_matrix"' "$work/a.json" || fail "--json wrote no metrics"
accuracy=$(sed -n 's/.*  accuracy \([0-9.]*\)  top-2.*/\1/p' <<<"$out")
check "a top-k of every class says why it is left out" "note: no top-3 accuracy: the model scores 3 classes, all of them among its top 3" \
  "$("$nnplug" evaluate "$work/a.safetensors" --top-k 3 2>&1)"
grep -q "note: no top" <<<"$("$nnplug" evaluate "$work/a.safetensors" 2>&1)" && fail "the default top-5 of 3 classes is noted" ||
  echo "ok: the default k is left out quietly"

# predict on the same test set: one row per sample, probabilities that sum to 1, and an accuracy recounted
# from the predicted and true columns equal to evaluate's.
"$nnplug" predict "$work/a.safetensors" --output "$work/a.csv" || fail "predict a"
check "predict header" "index,predicted,label,p_left,p_middle,p_right" "$(head -1 "$work/a.csv")"
check "classes by the names the spec gives them" "by name" "$(sed -n 2p "$work/a.csv" | grep -Eq '^0,(left|middle|right),(left|middle|right),' && echo by name)"
# Probabilities in the shortest form that reads back to the same float32 (up to 9 digits; 6 did not).
grep -Eq ',0\.0*[1-9][0-9]{6,}' "$work/a.csv" || fail "predict writes probabilities with 6 significant digits or fewer"
# --logits: the raw outputs, whose softmax (computed here) is the probabilities.
"$nnplug" predict "$work/a.safetensors" --logits --output "$work/logits.csv" || fail "predict --logits"
check "logits header" "index,predicted,label,logit_left,logit_middle,logit_right" "$(head -1 "$work/logits.csv")"
[ "$(wc -l < "$work/logits.csv")" -eq 121 ] && paste -d, "$work/logits.csv" "$work/a.csv" | awk -F, 'NR > 1 {
  m = $4; if ($5 > m) m = $5; if ($6 > m) m = $6
  z = exp($4 - m) + exp($5 - m) + exp($6 - m)
  for (c = 0; c < 3; c++) { d = exp($(4 + c) - m) / z - $(10 + c); if (d < -1e-6 || d > 1e-6) bad++ }
} END { exit bad > 0 }' && echo "ok: softmax of the logits is the probabilities" || fail "softmax of --logits differs from the probabilities"
out=$("$nnplug" predict "$work/a.safetensors" "$work/a.safetensors" --logits 2>&1)
check "--logits of an ensemble" "--logits writes one model's raw outputs" "$out"
rows=$(($(wc -l < "$work/a.csv") - 1))
[ "$rows" -eq 120 ] || fail "predict wrote $rows rows, the test set has 120"
awk -F, 'NR > 1 { s = $4 + $5 + $6; if (s < 0.9999 || s > 1.0001) bad++ } END { exit bad > 0 }' "$work/a.csv" ||
  fail "probabilities that do not sum to 1"
recount=$(awk -F, 'NR > 1 { n++; if ($2 == $3) c++ } END { printf "%.4f", c / n }' "$work/a.csv")
[ "$recount" = "$accuracy" ] && echo "ok: accuracy $accuracy from evaluate and from predict" ||
  fail "evaluate says accuracy '$accuracy', predict's rows give $recount"

# An ensemble: both members' scores, and probabilities that are the mean of the members'.
out=$("$nnplug" evaluate "$work/a.safetensors" "$work/b.safetensors" 2>&1) || fail "evaluate ensemble exited $?"
check "ensemble member a" "a.safetensors: loss " "$out"
check "ensemble member b" "b.safetensors: loss " "$out"
check "ensemble header" "ensemble of 2 models, test set:" "$out"
"$nnplug" predict "$work/b.safetensors" --output "$work/b.csv" || fail "predict b"
"$nnplug" predict "$work/a.safetensors" "$work/b.safetensors" --output "$work/ab.csv" || fail "predict ensemble"
paste -d, "$work/a.csv" "$work/b.csv" "$work/ab.csv" | awk -F, 'NR > 1 {
    for (c = 4; c <= 6; c++) { d = ($c + $(c + 6)) / 2 - $(c + 12); if (d > 1e-5 || d < -1e-5) bad++ } }
  END { exit bad > 0 }' && echo "ok: ensemble probabilities are the mean of the members'" ||
  fail "ensemble probabilities are not the mean of the members'"

# Inputs from a file: rows of features alone get no label column.
printf 'x0,x1\n0.5,-1.0\n3.0,2.0\n' > "$work/inputs.csv"
out=$("$nnplug" predict "$work/a.safetensors" --input "$work/inputs.csv" 2>&1) || fail "predict --input exited $?"
check "unlabelled header" "index,predicted,p_left" "$out"
[ "$(grep -c '^[01],' <<<"$out")" -eq 2 ] || fail "expected 2 prediction rows in: $out"

# A model file keeps the preprocessing fitted on its training data: its inputs are predicted without that data.
awk 'BEGIN { srand(3); print "x0,x1,label"; for (i = 0; i < 90; i++) { c = i % 3; printf "%.4f,%.4f,%d\n", 100 + 10 * c + rand(), 0.01 * rand(), c } }' \
  > "$work/train.csv"
cat > "$work/csv.json" <<'SPEC'
{"seed": 1, "data": {"format": "csv", "path": "train.csv", "standardize": "per_feature"},
 "layers": [{"type": "dense", "units": 3}], "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.1},
 "training": {"epochs": 5, "batch_size": 10}}
SPEC
"$nnplug" train "$work/csv.json" --no-progress --save "$work/csv.safetensors" > /dev/null || fail "train on a CSV file"
printf 'x0,x1\n101.5,0.005\n121.5,0.002\n' > "$work/raw.csv"
with_data=$("$nnplug" predict "$work/csv.safetensors" --input "$work/raw.csv" 2>&1) || fail "predict with the training data exited $?"
mv "$work/train.csv" "$work/elsewhere.csv"
without=$("$nnplug" predict "$work/csv.safetensors" --input "$work/raw.csv" 2>&1) || fail "predict without the training data exited $?"
[ "$with_data" = "$without" ] && grep -q '^1,2,' <<<"$without" && echo "ok: predicted without the training data, as with it" ||
  fail "predictions without the training data: '$without', with it: '$with_data'"

# Labelled inputs whose labels stop short of the last class are scored against all of the model's classes.
printf 'x0,x1,label\n0.5,-1.0,0\n3.0,2.0,1\n' > "$work/first_two.csv"
out=$("$nnplug" predict "$work/a.safetensors" --input "$work/first_two.csv" 2>&1) || fail "predict --input of two classes exited $?"
check "labelled inputs of two of three classes" "index,predicted,label,p_left,p_middle,p_right" "$out"

# Bad input: the wrong number of features, an ensemble trained on different data.
printf '1,2,3,4\n' > "$work/wide.csv"
out=$("$nnplug" predict "$work/a.safetensors" --input "$work/wide.csv" 2>&1)
[ $? -eq 1 ] || fail "predict on a wrong-width file should exit 1"
check "wrong width names the file" "wide.csv: 3 features per sample, the model was trained on 2" "$out"
"$nnplug" train "$work/blobs.json" --no-progress --set data.samples=300 --save "$work/c.safetensors" > /dev/null || fail "train c"
out=$("$nnplug" evaluate "$work/a.safetensors" "$work/c.safetensors" 2>&1)
[ $? -eq 1 ] || fail "an ensemble over different data should exit 1"
check "ensemble over different data" \
  "c.safetensors was trained on other data than $work/a.safetensors (data.samples: 300 in its spec, 600 in the first's)" "$out"

# A hinge loss's model outputs class scores: predict names them so and writes the raw outputs (--logits' values), and
# an ensemble does not average them with another model's probabilities.
"$nnplug" train "$work/blobs.json" --no-progress --set loss='"hinge"' --save "$work/svm.safetensors" > /dev/null || fail "train svm"
"$nnplug" predict "$work/svm.safetensors" --output "$work/svm.csv" 2> /dev/null || fail "predict svm"
check "a hinge model's columns are scores" "index,predicted,label,score_left,score_middle,score_right" "$(head -1 "$work/svm.csv")"
"$nnplug" predict "$work/svm.safetensors" --logits --output "$work/svm_logits.csv" 2> /dev/null || fail "predict svm --logits"
[ "$(cut -d, -f4- "$work/svm.csv" | tail -n +2)" = "$(cut -d, -f4- "$work/svm_logits.csv" | tail -n +2)" ] &&
  echo "ok: a hinge model's scores are its raw outputs" || fail "a hinge model's scores are not its raw outputs"
# So does a margin's one output (the perceptron): class 1 scored by the margin, class 0 by its negative.
cat > "$work/perceptron.json" <<'SPEC'
{"seed": 1, "data": {"format": "gaussian_blobs", "samples": 200, "centers": 2, "features": 2, "test_split": 0.2},
 "layers": [{"type": "dense", "units": 1}], "loss": "perceptron", "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 2}}
SPEC
"$nnplug" train "$work/perceptron.json" --no-progress --save "$work/perceptron.safetensors" > /dev/null || fail "train perceptron"
"$nnplug" predict "$work/perceptron.safetensors" --output "$work/perceptron.csv" 2> /dev/null || fail "predict perceptron"
check "a margin's columns are scores" "index,predicted,label,score_0,score_1" "$(head -1 "$work/perceptron.csv")"
"$nnplug" predict "$work/perceptron.safetensors" --logits --output "$work/perceptron_logits.csv" 2> /dev/null || fail "predict perceptron --logits"
paste -d, "$work/perceptron.csv" "$work/perceptron_logits.csv" | awk -F, 'NR > 1 && ($4 != -$5 || $5 != $NF || ($2 == 1) != ($5 > 0)) { bad++ }
  END { exit bad > 0 }' && echo "ok: a margin scores class 1 by itself, class 0 by its negative, and decides by its sign" ||
  fail "a margin's scores are not (-m, m) or its decision is not its sign"
out=$("$nnplug" evaluate "$work/a.safetensors" "$work/svm.safetensors" 2>&1)
[ $? -eq 1 ] || fail "an ensemble of probabilities and scores should exit 1"
check "ensemble of probabilities and scores" "svm.safetensors outputs class scores and $work/a.safetensors class probabilities" "$out"

# A model trained on the first 50 rows (--limit-train) is scored with the statistics fitted on those 50, which its
# file keeps, not on the whole file as it is now: evaluate prints the test score train printed.
awk -v train="$work/drift.csv" -v test="$work/drift_test.csv" \
  'BEGIN { print "x,y,label" > train; print "x,y,label" > test; srand(3);
           for (i = 0; i < 300; i++) { x = i / 10 + rand(); printf "%.3f,%.3f,%d\n", x, rand() * (1 + i), (x > 8) > train }
           for (i = 0; i < 100; i++) { x = rand() * 30; printf "%.3f,%.3f,%d\n", x, rand() * 100, (x > 8) > test } }'
cat > "$work/drift.json" <<'SPEC'
{"seed": 1, "data": {"format": "csv", "path": "drift.csv", "test_path": "drift_test.csv", "standardize": "per_feature"},
 "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.05},
 "training": {"epochs": 3, "batch_size": 10}}
SPEC
trained=$("$nnplug" train "$work/drift.json" --limit-train 50 --no-progress --save "$work/drift.safetensors" 2>&1 | sed -n 's/^test: //p')
out=$("$nnplug" evaluate "$work/drift.safetensors" 2>&1)
check "evaluate scores with the model's own statistics" "$trained  (100 samples)" "$out"

# An image folder: evaluate and predict name the classes by their folders, and predict names each image's file.
images=$(cd "$(dirname "$0")/fixtures/images" && pwd)
mkdir -p "$work/pets/cat" "$work/pets/dog"
cp "$images/rgb.png" "$images/gray.png" "$work/pets/cat/" && cp "$images/palette.png" "$images/rgb.jpg" "$work/pets/dog/"
cat > "$work/pets.json" <<'SPEC'
{"seed": 1, "data": {"format": "image_folder", "path": "pets", "test_path": "pets", "image_size": [8, 8], "divide_by": 255},
 "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}], "loss": "softmax_cross_entropy",
 "optimizer": {"type": "adam", "lr": 0.01}, "training": {"epochs": 2, "batch_size": 2}}
SPEC
"$nnplug" train "$work/pets.json" --no-progress --save "$work/pets.safetensors" > /dev/null || fail "train on an image folder"
check "evaluate names the class folders" "     dog " "$("$nnplug" evaluate "$work/pets.safetensors" 2>&1)"
out=$("$nnplug" predict "$work/pets.safetensors" --input "$images" 2>&1)
check "predict's columns" "index,file,predicted,p_cat,p_dog" "$out"
check "predict names each image (in sorted order)" "0,$images/gray.jpg," "$out"
[ "$(wc -l <<<"$out")" -eq 10 ] || fail "predict: a header and 9 images expected, got: $out"

# A text folder: the same, with texts read through the vocabulary the model file keeps, the training texts gone.
mkdir -p "$work/reviews/neg" "$work/reviews/pos" "$work/new_reviews"
for i in 1 2 3; do
  echo "A dull, boring film $i." > "$work/reviews/neg/$i.txt" && echo "A great, moving film $i!" > "$work/reviews/pos/$i.txt"
done
echo "Boring." > "$work/new_reviews/b.txt" && echo "Great!" > "$work/new_reviews/a.txt" && echo "not a text" > "$work/new_reviews/c.md"
cat > "$work/reviews.json" <<'SPEC'
{"seed": 1, "data": {"format": "text_folder", "path": "reviews", "test_path": "reviews", "text": {"output_mode": "multi_hot"}},
 "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy",
 "optimizer": {"type": "adam", "lr": 0.1}, "training": {"epochs": 10, "batch_size": 2}}
SPEC
out=$("$nnplug" train "$work/reviews.json" --no-progress --save "$work/reviews.safetensors" 2>&1) || fail "train on a text folder: $out"
# Half the texts split off by two seeds: two vocabularies, each model reading the texts through its own in an
# ensemble, as it does alone.
for seed in 1 2; do
  "$nnplug" train "$work/reviews.json" --no-progress --set data.validation_split=0.5 --set seed=$seed \
    --save "$work/reviews_half_$seed.safetensors" > /dev/null 2>&1 || fail "train on half the texts, seed $seed"
done
alone=$("$nnplug" evaluate "$work/reviews_half_2.safetensors" 2>&1 | sed -n 's/^\(loss [0-9.]*\) .*/\1/p')
check "a text model in an ensemble scores as alone" "reviews_half_2.safetensors: $alone " \
  "$("$nnplug" evaluate "$work/reviews_half_1.safetensors" "$work/reviews_half_2.safetensors" 2>&1)"
check "train describes the vocabulary" "texts: a vocabulary of 10 indices fitted on the training texts, each text read as [10] values (multi_hot)" "$out"
check "evaluate names the text class folders" "   1 pos      0      3" "$("$nnplug" evaluate "$work/reviews.safetensors" 2>&1)"
mv "$work/reviews" "$work/reviews_away"
out=$("$nnplug" predict "$work/reviews.safetensors" --input "$work/new_reviews" 2>&1)
check "predict names each text (in sorted order, .txt only) and the classes the model file keeps" "index,file,predicted,p_neg,p_pos
0,$work/new_reviews/a.txt,pos," "$out"
check "predict reads the texts through the saved vocabulary" "1,$work/new_reviews/b.txt,neg," "$out"

# A CSV file whose labels are names that no class_names lists: the classes are the names, sorted, and the model file
# keeps them with the columns' names, so that a file of new samples reads by them in any order, without the
# training file.
awk -v test="$work/iris_test.csv" 'BEGIN { print "sepal,petal,species"; print "sepal,petal,species" > test; split("setosa versicolor virginica", n, " ");
  for (i = 0; i < 160; i++) { c = i % 3; printf "%.2f,%.2f,%s\n", c + (i % 7) / 10, 2 * c + (i % 5) / 10, n[c + 1] > (i < 120 ? "/dev/stdout" : test) } }' \
  > "$work/iris.csv"
cat > "$work/iris.json" <<'SPEC'
{"seed": 1, "data": {"format": "csv", "path": "iris.csv", "test_path": "iris_test.csv", "label_column": "species", "validation_split": 0.3,
                     "standardize": "per_feature"},
 "layers": [{"type": "dense", "units": 3}], "loss": "softmax_cross_entropy",
 "optimizer": {"type": "adam", "lr": 0.1}, "training": {"epochs": 30, "batch_size": 8}}
SPEC
out=$("$nnplug" train "$work/iris.json" --no-progress --save "$work/iris.safetensors" 2>&1) || fail "train on labels by name: $out"
check "train says the classes" "classes: the label column's names, sorted: setosa, versicolor, virginica" "$out"
check "evaluate names the sorted classes" "2 virginica" "$("$nnplug" evaluate "$work/iris.safetensors" 2>&1)"
# Another seed splits off other validation samples, so its standardization differs: in an ensemble each model still
# takes the samples through its own, and scores as it does alone.
"$nnplug" train "$work/iris.json" --no-progress --set seed=2 --save "$work/iris_b.safetensors" > /dev/null 2>&1 || fail "train iris_b"
alone=$("$nnplug" evaluate "$work/iris_b.safetensors" 2>&1 | sed -n 's/^\(loss [0-9.]*\) .*/\1/p')
check "a member of an ensemble scores as alone" "iris_b.safetensors: $alone " "$("$nnplug" evaluate "$work/iris.safetensors" "$work/iris_b.safetensors" 2>&1)"
printf 'species,petal,sepal\nvirginica,4.2,2.3\nsetosa,0.2,0.3\n' > "$work/new_iris.csv"
mv "$work/iris.csv" "$work/iris_away.csv"
out=$("$nnplug" predict "$work/iris.safetensors" --input "$work/new_iris.csv" 2>&1)
check "columns and labels by name" "index,predicted,label,p_setosa,p_versicolor,p_virginica
0,virginica,virginica," "$out"
check "the second sample" "1,setosa,setosa," "$out"

# Columns of categories, one-hot encoded: a file of new samples, its columns in another order, is encoded by the
# categories the model file keeps; the label is whether sex is female, so a trained model predicts it from that column.
# Every tenth age is missing, filled by the median of the others. The id column names each passenger in predict's
# output, where the file holds it.
awk 'BEGIN { print "id,pclass,sex,age,embarked,survived"; split("S C Q", port, " ");
  for (i = 0; i < 200; i++) { sex = i % 2 ? "male" : "female"; age = i % 10 == 3 ? "" : 20 + i % 37
    printf "%d,%d,%s,%s,%s,%d\n", 1000 + i, 1 + i % 3, sex, age, port[1 + i % 3 + 0], sex == "female" } }' > "$work/titanic.csv"
cat > "$work/titanic.json" <<'SPEC'
{"seed": 1, "data": {"format": "csv", "path": "titanic.csv", "label_column": "survived", "categorical": ["sex", "pclass", "embarked"],
                     "fill_missing": "median", "standardize": "per_feature", "id_column": "id"},
 "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy",
 "optimizer": {"type": "adam", "lr": 0.1}, "training": {"epochs": 10, "batch_size": 16}}
SPEC
out=$("$nnplug" train "$work/titanic.json" --no-progress --save "$work/titanic.safetensors" 2>&1) || fail "train on categories: $out"
check "train lists the categories" \
  "categories, one-hot encoded in their columns' places: pclass (1, 2, 3); sex (female, male); embarked (C, Q, S); 9 inputs" "$out"
median=$(cut -d, -f4 "$work/titanic.csv" | sed 1d | grep . | sort -n |
  awk '{ a[NR] = $1 } END { print (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2 }')
check "train counts the missing ages and names their fill" \
  "missing values among the 200 training samples, filled with each column's median: age 20 ($median)" "$out"
printf 'embarked,age,sex,pclass,id\nQ,30,male,1,7\nS,44,female,3,8\n' > "$work/new_passengers.csv"
out=$("$nnplug" predict "$work/titanic.safetensors" --input "$work/new_passengers.csv" 2>&1)
check "predict encodes the categories by the model's" "index,id,predicted,p_0,p_1
0,7,0," "$out"
check "the second passenger" "1,8,1," "$out"
check "--submission writes the ids and the predicted classes under the label's name, alone" "id,survived
7,0
8,1" "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/new_passengers.csv" --submission 2>&1)"
cut -d, -f1-4 "$work/new_passengers.csv" > "$work/passengers_without_ids.csv"
check "--submission needs the ids" \
  "passengers_without_ids.csv holds none: the data section's \"id_column\" names the column that holds them" \
  "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/passengers_without_ids.csv" --submission 2>&1)"
check "--row-ids numbers the samples from 1 (Digit Recognizer's ImageId), or from --first-row-id" "ImageId,survived
1,0
2,1 PassengerId,survived
892,0
893,1" "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/passengers_without_ids.csv" --submission --row-ids ImageId 2>&1) \
$("$nnplug" predict "$work/titanic.safetensors" --input "$work/new_passengers.csv" --submission --row-ids PassengerId --first-row-id 892 2>&1)"
check "--row-ids names the rows of predict's table" "index,row,predicted,p_0,p_1
0,1,0," "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/passengers_without_ids.csv" --row-ids row 2>&1)"
printf 'embarked,age,sex,pclass\nQ,,male,1\n' > "$work/new_passengers.csv"
printf 'embarked,age,sex,pclass\nQ,%s,male,1\n' "$median" > "$work/median_passenger.csv"
check "a missing age is the training ages' median" "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/median_passenger.csv" 2>&1)" \
  "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/new_passengers.csv" 2>&1)"
printf 'embarked,age,sex,pclass\nQ,30,male,1\nX,44,female,3\n' > "$work/new_passengers.csv"
check "a category the model never saw is refused" \
  "new_passengers.csv:3: 'X' in column 1 (embarked) is none of the categories the model was trained on for it (C, Q, S)" \
  "$("$nnplug" predict "$work/titanic.safetensors" --input "$work/new_passengers.csv" 2>&1)"
# With handle_unknown "ignore", such a value is none of the categories, as a missing one is: a row of zeros.
"$nnplug" train "$work/titanic.json" --set data.handle_unknown='"ignore"' --save "$work/ignoring.safetensors" > /dev/null 2>&1
printf 'embarked,age,sex,pclass\nQ,30,male,1\n,44,female,3\n' > "$work/missing_port.csv"
check "an unknown category reads as a missing one" "$("$nnplug" predict "$work/ignoring.safetensors" --input "$work/missing_port.csv" 2>&1)" \
  "$("$nnplug" predict "$work/ignoring.safetensors" --input "$work/new_passengers.csv" 2>&1)"
# "categorical": "auto" finds the columns of words, as pandas' get_dummies does: sex and embarked, not pclass. Inputs to
# predict are read by the categories found in training; a word elsewhere is refused, not encoded anew.
out=$("$nnplug" train "$work/titanic.json" --set data.categorical='"auto"' --no-progress --save "$work/auto.safetensors" 2>&1)
check "auto finds the columns of words" "categories, one-hot encoded in their columns' places: sex (female, male); embarked (C, Q, S); 7 inputs" "$out"
awk -F, '{ print $0 "," (NR == 1 ? "name" : "passenger " NR) }' "$work/titanic.csv" > "$work/named.csv"
check "a column of a category per passenger is taken for an identifier" \
  "column name holds 200 categories for 200 training samples: an identifier or free text rather than categories?" \
  "$("$nnplug" train "$work/titanic.json" --set data.categorical='"auto"' --set data.path='"named.csv"' --epochs 1 2>&1)"
printf 'embarked,age,sex,pclass\nQ,30,male,1\nS,old,female,3\n' > "$work/word_age.csv"
check "a word where training read numbers is refused" "word_age.csv:3: column 2 ('old') is not a number" \
  "$("$nnplug" predict "$work/auto.safetensors" --input "$work/word_age.csv" 2>&1)"
# An ensemble reads its samples once: a member trained after the file changed (port Q became X: as many categories,
# other ones) is refused, not fed the first member's encoding.
sed -i 's/,Q,/,X,/' "$work/titanic.csv"
"$nnplug" train "$work/titanic.json" --save "$work/changed.safetensors" > /dev/null 2>&1
check "an ensemble's members trained on other categories" \
  "changed.safetensors was trained on other columns than $work/titanic.safetensors (the training file changed between their runs:" \
  "$("$nnplug" predict "$work/titanic.safetensors" "$work/changed.safetensors" --input "$work/missing_port.csv" 2>&1)"
# "stratify": 20 of 400 samples are of class 1, and a quarter of them (5) is held out for validation, which evaluate
# scores: its confusion matrix's row of class 1 sums to 5.
awk 'BEGIN { print "a,b,label"; for (i = 0; i < 400; i++) printf "%d,%d,%d\n", i, i % 7, (i % 20 == 0) }' > "$work/rare.csv"
cat > "$work/rare.json" <<'SPEC'
{"seed": 1, "data": {"format": "csv", "path": "rare.csv", "label_column": "label", "validation_split": 0.25, "stratify": true},
 "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.01}, "training": {"epochs": 1}}
SPEC
"$nnplug" train "$work/rare.json" --save "$work/rare.safetensors" > /dev/null 2>&1
check "a stratified validation set holds a quarter of the rare class" "5" \
  "$("$nnplug" evaluate "$work/rare.safetensors" 2>&1 | awk '$1 == "1" && NF == 3 { print $2 + $3; exit }')"
# A share of a few samples that rounds to none held out is warned of: the run has no validation set.
check "a validation split of none is warned of" \
  "data.validation_split 0.1 of 4 samples rounds to none held out: the run has no validation set" \
  "$("$nnplug" train "$work/rare.json" --limit-train 4 --set data.validation_split=0.1 --set data.stratify=false 2>&1)"

echo "$failures failed"
[ "$failures" -eq 0 ]
