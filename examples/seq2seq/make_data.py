"""Writes a sequence-to-sequence task as .npy arrays: random sequences of digits and, as the target, the same digits
sorted, for an encoder-decoder transformer trained with teacher forcing, as PyTorch's nn.Transformer and the Keras
translation tutorials train one.

Each input row holds the source's LENGTH token ids, then the decoder's input: the start token and the target's
first LENGTH - 1 digits, the target shifted right by one step. The labels are the target's digits, one class label
per step. The model's first layers take the row apart (cropping1d), so one input array serves. The last tenth of
the rows is the test set. tokens.json says which id stands for what, for decode.py. Needs numpy only.

Every sequence has LENGTH digits, ids 0 to 9, and the start token is 10. With --padded, a sequence has 2 to LENGTH
digits, padded at the end with id 0: the digits are ids 1 to 10, the start token 11, and a padded step's label is
-100 (not scored), for sort_transformer_padded.json.

Usage: python3 make_data.py OUT_FOLDER [LENGTH] [ROWS] [--padded]
e.g.   python3 examples/seq2seq/make_data.py examples/seq2seq/data
"""
import json
import os
import sys

import numpy as np


def main():
    args = [a for a in sys.argv[1:] if a != "--padded"]
    padded = len(args) < len(sys.argv) - 1
    if len(args) not in (1, 2, 3):
        sys.exit(__doc__)
    out = args[0]
    length = int(args[1]) if len(args) > 1 else 8
    rows = int(args[2]) if len(args) > 2 else 10000
    if length < 2 or rows < 10:
        sys.exit("LENGTH must be at least 2 and ROWS at least 10")
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, size=(rows, length))
    offset, start = (1, 11) if padded else (0, 10)  # a digit's id is the digit plus offset
    lengths = rng.integers(2, length + 1, size=rows) if padded else np.full(rows, length)
    kept = np.arange(length)[None, :] < lengths[:, None]  # the steps each sequence has
    # Padding sorts last (10 > any digit), so each row's digits come first in order.
    target = np.sort(np.where(kept, digits, 10), axis=1)
    source = np.where(kept, digits + offset, 0)
    decoder_input = np.concatenate([np.full((rows, 1), start), np.where(kept, target + offset, 0)[:, :-1]], axis=1)
    x = np.concatenate([source, decoder_input], axis=1)
    labels = np.where(kept, target, -100)
    test = rows // 10
    os.makedirs(out, exist_ok=True)
    for name, array in (("x_train", x[:-test]), ("y_train", labels[:-test]), ("x_test", x[-test:]), ("y_test", labels[-test:])):
        np.save(os.path.join(out, f"{name}.npy"), array)
    with open(os.path.join(out, "tokens.json"), "w") as f:
        json.dump({"start": start, "digit_offset": offset, "padding": 0 if padded else None}, f)
    print(f"wrote {rows - test} training and {test} test rows of {'2 to ' if padded else ''}{length} digits and their sorted order to {out}")


if __name__ == "__main__":
    main()
