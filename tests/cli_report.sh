#!/usr/bin/env bash
# nnplug report: a run folder (train --run-dir, lr-find and search beside it) becomes one HTML page with every
# chart, which headless Chromium loads without errors and renders; a folder without a history is refused and
# left untouched.
set -u
nnplug=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # check "description" "expected fragment" "text"
  if [[ "$3" != *"$2"* ]]; then fail "$1: expected '$2'"; else echo "ok: $1"; fi
}

# 16 features shown as 4x4 images, so that the first layer's weights make a picture too.
cat > "$work/spec.json" <<'SPEC'
{
  "seed": 3,
  "data": {"format": "gaussian_blobs", "samples": 400, "centers": 3, "features": 16, "std": 6, "validation_split": 0.2,
           "test_split": 0.2, "standardize": "per_feature", "class_names": ["a", "b", "c"]},
  "layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}],
  "loss": "softmax_cross_entropy",
  "optimizer": {"type": "adam", "lr": 0.01},
  "training": {"epochs": 4, "batch_size": 32}
}
SPEC
run="$work/run"
"$nnplug" train "$work/spec.json" --no-progress --run-dir "$run" > /dev/null || fail "train --run-dir"
"$nnplug" lr-find "$work/spec.json" --steps 40 --csv "$run/lr_find.csv" > /dev/null || fail "lr-find"
"$nnplug" search "$work/spec.json" --param optimizer.lr=log:1e-4:1e-1 --param optimizer.weight_decay=log:1e-6:1e-2 --trials 6 \
  --epochs 2 --csv "$run/search.csv" > /dev/null || fail "search"
for f in spec.json history.csv monitor.jsonl monitor_first_layer.png metrics.json model.safetensors; do
  [ -s "$run/$f" ] || fail "the run folder has no $f"
done
out=$("$nnplug" report "$run" 2>&1) || fail "report exited $?"
check "report written" "wrote $run/report.html" "$out"
html=$(cat "$run/report.html")
for heading in "Learning curves" "Confusion matrix" "Activations after epoch 4" "Update / weight ratio" "First-layer weights" \
               "Learning-rate finder" "Hyper-parameter search"; do
  check "report shows '$heading'" "$heading" "$html"
done
[ "$(grep -o '<svg' <<<"$html" | wc -l)" -ge 9 ] && echo "ok: 9 charts (2 curves, the confusion matrix, 3 histograms, updates, lr-find, search)" || fail "fewer than 9 charts"
grep -Eq 'src="https?:|href="https?:' <<<"$html" && fail "the report loads something from the network" || echo "ok: self-contained"

# More outputs than the data has classes (labels index the outputs): it trains, warns, and scores all four.
out=$("$nnplug" train "$work/spec.json" --no-progress --set layers.1.units=4 --run-dir "$work/wide" 2>&1) || fail "train with 4 outputs exited $?"
check "warns of the output no label names" "the data has 3 classes; output 3 is never a target" "$out"
[ "$(grep -c '"name"' "$work/wide/metrics.json")" -eq 4 ] && echo "ok: the metrics score 4 classes" || fail "the metrics do not score 4 classes"

# A folder without a history: a clear error, and nothing written.
mkdir "$work/empty"
out=$("$nnplug" report "$work/empty" 2>&1)
[ $? -eq 1 ] || fail "report of a folder without history should exit 1"
check "names the missing history" "empty: no history.csv, so this is not a run folder" "$out"
[ -z "$(ls -A "$work/empty")" ] && echo "ok: nothing written" || fail "report wrote into a folder it refused"

# Headless Chromium: the page loads without console errors, and the screenshot holds the charts (a blank page of
# this size compresses to a few kilobytes).
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIP: no chromium on this machine (scripts/install-deps.sh installs it); the browser checks did not run"
else
  export HOME="$work"  # chromium writes its profile under HOME
  log=$(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 \
        --window-size=1300,2600 --screenshot="$work/report.png" "file://$run/report.html" 2>&1)
  [ -s "$work/report.png" ] || { fail "chromium wrote no screenshot"; echo "$log"; }
  size=$(stat -c %s "$work/report.png" 2>/dev/null || echo 0)
  [ "$size" -gt 40000 ] && echo "ok: screenshot of $size bytes" || fail "the screenshot is $size bytes: the page looks empty"
  grep -Eq 'CONSOLE|Uncaught|Failed to load' <<<"$log" && { fail "the page logged errors"; grep -E 'CONSOLE|Uncaught|Failed to load' <<<"$log"; } ||
    echo "ok: no page errors"
  dom=$(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --dump-dom "file://$run/report.html" 2>/dev/null)
  [ "$(grep -o '<svg' <<<"$dom" | wc -l)" -ge 9 ] && echo "ok: the browser's DOM holds the charts" || fail "the browser's DOM has no charts"
fi

echo "$failures failed"
[ "$failures" -eq 0 ]
