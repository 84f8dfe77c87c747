#!/usr/bin/env bash
# An encoder-decoder transformer from the command line: examples/seq2seq's data script writes random digit sequences
# and their sorted order, and its spec (cropping1d taking each input row apart, an encoder block, a decoder block of
# two inputs reading the encoder's output as its memory) learns to write the sorted order beyond what each step's most
# frequent digit scores, which needs the memory; summary shows the decoder reading both, and gradcheck passes; the
# saved model decodes greedily from the source alone through the Python module (decode.py), which only a causal
# decoder that learned the order does well; the same on sequences of 2 to 8 digits padded at the end (the padded
# blocks, -100 labels); a decoder given one input is refused by name.
# Usage: cli_seq2seq.sh NNPLUG PYTHON (a Python with numpy, and nnplug's module on PYTHONPATH).
set -u
nnplug=$1
python=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"
# The example's spec names its block files relative to itself: ../blocks.
mkdir -p "$work/seq2seq"
cp -r "$here/../examples/blocks" "$work/"
cp "$here/../examples/seq2seq/sort_transformer.json" "$here/../examples/seq2seq/decode.py" "$work/seq2seq/"

"$python" "$here/../examples/seq2seq/make_data.py" "$work/seq2seq/data" > /dev/null
expect_exit "the example's data script" 0 $?
# What a model that reads only the step scores: each step's most frequent digit (the smallest digits come first).
baseline=$("$python" -c "import numpy as np, sys; y = np.load(sys.argv[1]); \
print(f'{sum(np.bincount(y[:, t]).max() for t in range(y.shape[1])) / y.size:.4f}')" "$work/seq2seq/data/y_test.npy")

out=$("$nnplug" summary "$work/seq2seq/sort_transformer.json" 2>&1)
expect_exit "summary" 0 $?
check "the decoder reads the target and the encoder's output" "target_positions, encoder (encoder)" "$(grep '^decoder (decoder)' <<<"$out")"
check "the memory's cross-attention carries PyTorch's name" "decoder.multihead_attn" "$("$nnplug" summary "$work/seq2seq/sort_transformer.json" --expand 2>&1)"

out=$("$nnplug" gradcheck "$work/seq2seq/sort_transformer.json" 2>&1)
expect_exit "gradcheck of a model with a label per step" 0 $?
check "every gradient of both blocks agrees with centred differences" "gradient check passed" "$out"

out=$("$nnplug" train "$work/seq2seq/sort_transformer.json" --epochs 2 --no-progress --save "$work/model.safetensors" 2>&1)
expect_exit "train the encoder-decoder" 0 $?
accuracy=$(grep -E '^test: ' <<<"$out" | grep -oE 'accuracy [0-9.]+' | cut -d' ' -f2)
check "it sorts beyond each step's most frequent digit ($accuracy > $baseline + 0.3)" yes \
  "$(awk -v a="${accuracy:-0}" -v b="$baseline" 'BEGIN { print (a + 0 > b + 0.3) ? "yes" : "no" }')"

out=$("$python" "$work/seq2seq/decode.py" "$work/model.safetensors" "$work/seq2seq/data" 2>&1)
expect_exit "greedy decoding" 0 $?
sequences=$(grep -oE 'sequences right [0-9.]+' <<<"$out" | cut -d' ' -f3)
check "greedy decoding writes most sequences wholly right ($out)" yes "$(awk -v s="${sequences:-0}" 'BEGIN { print (s + 0 > 0.5) ? "yes" : "no" }')"

# Sequences of 2 to 8 digits, padded at the end: the padded blocks mask the source's padding, the target's padded
# steps are labelled -100, and decoding is scored on each sequence's own steps.
cp "$here/../examples/seq2seq/sort_transformer_padded.json" "$work/seq2seq/"
"$python" "$here/../examples/seq2seq/make_data.py" "$work/seq2seq/data_padded" 8 10000 --padded > /dev/null
expect_exit "the data script, padded" 0 $?
out=$("$nnplug" train "$work/seq2seq/sort_transformer_padded.json" --epochs 2 --no-progress --save "$work/padded.safetensors" 2>&1)
expect_exit "train the padded encoder-decoder" 0 $?
labelled=$("$python" -c "import numpy as np, sys; print((np.load(sys.argv[1]) >= 0).sum())" "$work/seq2seq/data_padded/y_test.npy")
check "evaluate scores the labelled steps alone" "($labelled steps of 1000 samples)" "$("$nnplug" evaluate "$work/padded.safetensors" 2>&1)"
out=$("$python" "$work/seq2seq/decode.py" "$work/padded.safetensors" "$work/seq2seq/data_padded" 2>&1)
expect_exit "greedy decoding, padded" 0 $?
sequences=$(grep -oE 'sequences right [0-9.]+' <<<"$out" | cut -d' ' -f3)
check "greedy decoding writes most padded sequences wholly right ($out)" yes "$(awk -v s="${sequences:-0}" 'BEGIN { print (s + 0 > 0.5) ? "yes" : "no" }')"

sed 's/"inputs": \["target_positions", "encoder"\], //' "$work/seq2seq/sort_transformer.json" > "$work/seq2seq/one_input.json"
out=$("$nnplug" train "$work/seq2seq/one_input.json" --epochs 1 --no-progress 2>&1)
expect_exit "a decoder given one input" 1 $?
check "is refused naming the file, the entry and the block's inputs" \
  "one_input.json: layers[7]: block 'decoder' takes 2 inputs (tgt, memory), got 1; list them in \"inputs\"" "$out"
finish
