"""Writes a sequence-to-sequence task as .npy arrays: random sequences of LENGTH digits and, as the target, the same
digits sorted, for an encoder-decoder transformer trained with teacher forcing, as PyTorch's nn.Transformer and the
Keras translation tutorials train one.

Each input row holds the source's LENGTH digit ids, then the decoder's input: the start token (id 10) and the
target's first LENGTH - 1 digits, the target shifted right by one step. The labels are the target's LENGTH digits,
one class label per step. The model's first layers take the row apart (cropping1d), so one input array serves.
The last tenth of the rows is the test set. Needs numpy only.

Usage: python3 make_data.py OUT_FOLDER [LENGTH] [ROWS]
e.g.   python3 examples/seq2seq/make_data.py examples/seq2seq/data
"""
import os
import sys

import numpy as np

START = 10  # the start token's id: the digits are 0 to 9


def main():
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    out = sys.argv[1]
    length = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    if length < 2 or rows < 10:
        sys.exit("LENGTH must be at least 2 and ROWS at least 10")
    rng = np.random.default_rng(0)
    source = rng.integers(0, 10, size=(rows, length))
    target = np.sort(source, axis=1)
    decoder_input = np.concatenate([np.full((rows, 1), START), target[:, :-1]], axis=1)
    x = np.concatenate([source, decoder_input], axis=1)
    test = rows // 10
    os.makedirs(out, exist_ok=True)
    for name, array in (("x_train", x[:-test]), ("y_train", target[:-test]), ("x_test", x[-test:]), ("y_test", target[-test:])):
        np.save(os.path.join(out, f"{name}.npy"), array)
    print(f"wrote {rows - test} training and {test} test rows of {length} digits and their sorted order to {out}")


if __name__ == "__main__":
    main()
