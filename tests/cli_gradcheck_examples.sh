#!/usr/bin/env bash
# Every example spec passes nnplug gradcheck as a user runs it (the defaults: 3 samples, 10 coordinates, h = 1e-5):
# ReLUs on their kink behind zero biases, kinks crossed within h and biases before batch norm are told from wrong
# gradients.
set -u
nnplug=$1
examples=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"
for spec in "$examples"/*.json; do
  out=$("$nnplug" gradcheck "$spec" 2>&1)
  expect_exit "gradcheck $(basename "$spec")" 0 $?
  check "$(basename "$spec")" "gradient check passed" "$out"
done
finish
