"""Writes a character language model's data as .npy arrays: a text cut into sequences of LENGTH characters, each
character an id (its place in the sorted set of the text's characters), and as targets each character's successor,
one class label per step, as Karpathy's char-rnn and the Keras and PyTorch text-generation tutorials make them.
The last tenth of the sequences is the test set. Needs numpy only.

Usage: python3 make_data.py TEXT_FILE OUT_FOLDER [LENGTH]
e.g.   python3 examples/char_lm/make_data.py /usr/share/common-licenses/GPL-3 examples/char_lm/data
"""
import json
import os
import sys

import numpy as np


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    text_file, out = sys.argv[1], sys.argv[2]
    length = int(sys.argv[3]) if len(sys.argv) == 4 else 64
    with open(text_file, encoding="utf-8", errors="replace") as f:
        text = f.read()
    characters = sorted(set(text))
    ids = np.array([characters.index(c) for c in text], dtype=np.int64)
    sequences = (len(ids) - 1) // length
    if sequences < 10:
        sys.exit(f"{text_file}: {len(ids)} characters make fewer than 10 sequences of {length}")
    x = ids[:sequences * length].reshape(sequences, length)
    y = ids[1:sequences * length + 1].reshape(sequences, length)  # each step's label: the character after it
    test = sequences // 10
    os.makedirs(out, exist_ok=True)
    for name, array in (("x_train", x[:-test]), ("y_train", y[:-test]), ("x_test", x[-test:]), ("y_test", y[-test:])):
        np.save(os.path.join(out, f"{name}.npy"), array)
    with open(os.path.join(out, "characters.json"), "w") as f:
        json.dump(characters, f)
    print(f"wrote {sequences - test} training and {test} test sequences of {length} characters, {len(characters)} classes, to {out}")


if __name__ == "__main__":
    main()
