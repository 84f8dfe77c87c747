#!/usr/bin/env bash
# `mpirun -np 2 nnplug cross-validate` and `mpirun -np 2 nnplug search`: the ranks share out the folds and the
# trials, and rank 0 alone prints what one process prints (each fold's and trial's scores the same, to the digit),
# once. Ranks started differently or reading other data are refused, and a rank that throws ends the other. Skips
# (77) without MPI.
set -u
nnplug=$1 plugin_dir=$2 examples=$3
here=$(cd "$(dirname "$0")" && pwd)
"$here/mpi_run.sh" 1 "$plugin_dir" true > /dev/null || exit $?
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/cli_checks.sh"
mpi() { mpirun --oversubscribe --allow-run-as-root --timeout 120 -x OMP_NUM_THREADS=1 "$@"; }
# The lines that report a fold or a trial, without the seconds each took.
scores() { grep -E "$1" <<< "$2" | sed 's/ *([^)]*)$//'; }

# Five folds over 2 ranks: rank 0 runs folds 1, 3 and 5, rank 1 folds 2 and 4.
one=$(OMP_NUM_THREADS=1 "$nnplug" cross-validate "$examples/x1_xor_perceptron.json" --folds 5 2>&1)
expect_exit "cross-validate in one process" 0 $?
two=$(mpi -np 2 "$nnplug" cross-validate "$examples/x1_xor_perceptron.json" --folds 5 --json "$work/cv.json" 2>&1)
expect_exit "cross-validate on 2 ranks" 0 $?
check "the banner says the folds are shared out" "the folds shared out over 2 ranks (mpi)" "$two"
check "five folds, printed once" "5" "$(grep -c '^fold' <<< "$two")"
check "each fold scores as in one process" "$(scores '^fold' "$one")" "$(scores '^fold' "$two")"
check "the same mean" "$(grep '^mean' <<< "$one")" "$(grep '^mean' <<< "$two")"
check "rank 0 wrote --json" '"fold": 5' "$(cat "$work/cv.json")"

cat > "$work/search.json" <<'SPEC'
{"seed": 3, "data": {"format": "gaussian_blobs", "samples": 200, "centers": 3, "features": 8, "validation_split": 0.2},
 "layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.01}, "training": {"batch_size": 32},
 "search": {"trials": 3, "epochs": 2, "rounds": 2, "top": 2, "parameters": {"optimizer.lr": "log:1e-3:1e1"}}}
SPEC
one=$(OMP_NUM_THREADS=1 "$nnplug" search "$work/search.json" 2>&1)
expect_exit "search in one process" 0 $?
two=$(mpi -np 2 "$nnplug" search "$work/search.json" --csv "$work/trials.csv" 2>&1)
expect_exit "search on 2 ranks" 0 $?
check "the banner says the trials are shared out" "each round's trials shared out over 2 ranks (mpi)" "$two"
check "six trials, printed once" "6" "$(grep -c '^round [12] trial' <<< "$two")"
check "each trial scores as in one process" "$(scores '^round [12] trial' "$one")" "$(scores '^round [12] trial' "$two")"
check "the same narrowed ranges" "$(sed -n '/^narrowed ranges/,/^$/p' <<< "$one")" "$(sed -n '/^narrowed ranges/,/^$/p' <<< "$two")"
check "rank 0 wrote --csv" "7" "$(wc -l < "$work/trials.csv")"

out=$(mpi -np 1 "$nnplug" search "$work/search.json" : -np 1 "$nnplug" search "$work/search.json" --trials 4 2>&1)
expect_exit "ranks with different options" nonzero $?
check "are refused" "the spec and the search options (--set, --param, --trials, ...): rank 1 does not match rank 0" "$out"
# The same spec beside a CSV file for rank 0, alone in another folder for rank 1: rank 1 cannot read the data.
mkdir "$work/with_data" "$work/without_data"
printf 'x,label\n' > "$work/with_data/data.csv"
for i in $(seq 1 40); do printf '%s,%s\n' "$i" $((i > 20)) >> "$work/with_data/data.csv"; done
cat > "$work/with_data/cv.json" <<'SPEC'
{"data": {"format": "csv", "path": "data.csv"}, "layers": [{"type": "dense", "units": 2}], "loss": "softmax_cross_entropy",
 "optimizer": {"type": "sgd", "lr": 0.1}}
SPEC
cp "$work/with_data/cv.json" "$work/without_data/cv.json"
start=$SECONDS
out=$(mpi -np 1 "$nnplug" cross-validate "$work/with_data/cv.json" : -np 1 "$nnplug" cross-validate "$work/without_data/cv.json" 2>&1)
expect_exit "a rank that throws" nonzero $?
check "a rank that throws is named" "stopping all 2 ranks: rank 1 of 2: error: " "$out"
check "with its cause" "without_data/data.csv" "$out"
[ $((SECONDS - start)) -lt 60 ] || { echo "FAIL: a rank that throws took $((SECONDS - start)) s to end the run"; failures=$((failures + 1)); }
# The same spec beside another CSV file for rank 1: its folds would not be rank 0's.
mkdir "$work/other_data"
sed 's/,1$/,2/' "$work/with_data/data.csv" > "$work/other_data/data.csv"
cp "$work/with_data/cv.json" "$work/other_data/cv.json"
out=$(mpi -np 1 "$nnplug" cross-validate "$work/with_data/cv.json" : -np 1 "$nnplug" cross-validate "$work/other_data/cv.json" 2>&1)
expect_exit "ranks that read other data" nonzero $?
check "are refused" "the data (training, validation and test sets): rank 1 does not match rank 0; every rank must read the same files" "$out"
finish
