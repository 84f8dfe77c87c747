#!/usr/bin/env bash
# nnplug cross-validate: the chapter's perceptron on XOR in 10 folds (a linear model stays near chance however it is
# cut), each fold and the mean and std of their scores, printed and in --json, recomputed here from the folds; bad
# fold counts and an unwritable --json are refused before any training.
set -u
nnplug=$1
examples=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"

out=$("$nnplug" cross-validate "$examples/x1_xor_perceptron.json" --folds 10 --json "$work/cv.json" 2>&1)
expect_exit "cross-validate the perceptron" 0 $?
check "every fold is scored" "fold 10/10  loss " "$out"
check "100 samples per fold, the 1000 of the spec" "10" "$(grep -c '(100 samples' <<<"$out")"
# The mean and the population std of the folds' accuracies, computed here from the printed folds.
expected=$(awk '/^fold/ { n++; a[n] = $6; s += $6 } END { m = s / n; for (i = 1; i <= n; i++) v += (a[i] - m) ^ 2 / n;
                                                          printf "mean accuracy %.4f (std %.4f)", m, sqrt(v) }' <<<"$out")
check "the mean and std of the folds" "$expected" "$out"
check "a linear model on XOR stays near chance" "near chance" "$(awk '/^mean accuracy/ && $3 > 0.25 && $3 < 0.65 { print "near chance" }' <<<"$out")"
check "--json holds the folds and their mean" '"fold": 10' "$(cat "$work/cv.json")"

out=$("$nnplug" cross-validate "$examples/x1_xor_perceptron.json" --folds 1 2>&1)
expect_exit "one fold" 2 $?
check "at least two folds" "--folds: must be a whole number >= 2, got 1" "$out"
out=$("$nnplug" cross-validate "$examples/x1_xor_perceptron.json" --folds 1001 2>&1)
expect_exit "more folds than samples" 1 $?
check "names both counts" "1001 folds cannot be made of 1000 samples" "$out"
mkdir "$work/folder"
out=$("$nnplug" cross-validate "$examples/x1_xor_perceptron.json" --json "$work/folder" 2>&1)
expect_exit "--json naming a folder" 1 $?
check "says why" "cannot write the cross-validation results: it is a directory" "$out"
check "refused before the folds are trained" "no fold" "$(grep -q '^fold' <<<"$out" || echo no fold)"
finish
