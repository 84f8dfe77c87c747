"""Greedy decoding with a trained encoder-decoder (sort_transformer.json): the target is not given. The decoder's
input starts as the start token; at each step the model scores the next digit from the source and the digits written
so far, the most likely one is written, and the next step reads it, as PyTorch's translation tutorial decodes. The
steps not yet written hold the start token: the decoder's self-attention is causal, so step t reads none of them.
Prints the share of test sequences written wholly right and of digits right, against the test labels (of padded
data, sort_transformer_padded.json's, the labelled steps: each sequence's own length).

Run: PYTHONPATH=build/python /usr/bin/python3 examples/seq2seq/decode.py MODEL.safetensors DATA_FOLDER
"""
import json
import sys

import numpy as np

import nnplug


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model = nnplug.Network.load(sys.argv[1])
    x = np.load(f"{sys.argv[2]}/x_test.npy")
    labels = np.load(f"{sys.argv[2]}/y_test.npy")
    with open(f"{sys.argv[2]}/tokens.json") as f:  # make_data.py's: the start token's id, and a digit's
        tokens = json.load(f)
    length = labels.shape[1]
    written = x.copy()
    written[:, length:] = tokens["start"]
    for step in range(length):
        digits = model.predict(written.astype(np.float32), output="classes")  # (rows, length): each step's next digit
        if step + 1 < length:
            written[:, length + step + 1] = digits[:, step] + tokens["digit_offset"]
    labelled = labels >= 0
    right = (digits == labels) | ~labelled
    print(f"sequences right {right.all(axis=1).mean():.4f}  digits right {right[labelled].mean():.4f}  "
          f"({len(labels)} test sequences of {'up to ' if not labelled.all() else ''}{length})")


if __name__ == "__main__":
    main()
