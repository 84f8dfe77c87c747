#!/usr/bin/env python3
"""Reading a folder of texts: nnplug's text_folder against the same pipeline in Python (what a PyTorch user writes
around torchtext's tokenizer: read each file, lower-case, strip punctuation, split, count, sort as Keras does, encode
to a NumPy array of sequences), on a generated corpus the size of IMDB's training set (25,000 texts of about 230 words
from a Zipf-distributed vocabulary of 30,000 words). Both build the vocabulary of max_tokens 20,000 and encode every
text to 200 token indices; the script checks that their vocabularies agree before it prints the times.
  usage: bench/text_folder.py build/bin/nnplug [WORK_FOLDER]
"""
import json
import os
import random
import shutil
import string
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter

import numpy as np

TEXTS, WORDS, VOCABULARY, MAX_TOKENS, LENGTH = 25_000, 230, 30_000, 20_000, 200


def make_corpus(root):
    rng = random.Random(7)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) for _ in range(VOCABULARY)]
    weights = [1.0 / (rank + 1) for rank in range(VOCABULARY)]
    for label in ("neg", "pos"):
        os.makedirs(os.path.join(root, label))
        for i in range(TEXTS // 2):
            text = rng.choices(words, weights, k=WORDS)
            text = [w.capitalize() + "," if rng.random() < 0.05 else w for w in text]
            with open(os.path.join(root, label, f"{i:05}.txt"), "w") as f:
                f.write(" ".join(text) + ".<br /><br />\n")


def python_pipeline(root):
    strip = str.maketrans("", "", string.punctuation)
    texts = []
    for label in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, label))):
            with open(os.path.join(root, label, name), encoding="utf-8", errors="replace") as f:
                texts.append(f.read().lower().translate(strip).split())
    counts = Counter(token for tokens in texts for token in tokens)
    ranked = sorted(counts.items(), key=lambda item: (item[1], item[0].encode()), reverse=True)[: MAX_TOKENS - 2]
    index = {token: i + 2 for i, (token, _) in enumerate(ranked)}
    x = np.zeros((len(texts), LENGTH), dtype=np.float32)
    for n, tokens in enumerate(texts):
        ids = [index.get(t, 1) for t in tokens[:LENGTH]]
        x[n, : len(ids)] = ids
    return [token for token, _ in ranked], x


def saved_tokens(model_file):
    with open(model_file, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    return json.loads(header["__metadata__"]["nnplug.text_vectorization"])["tokens"]


def main():
    nnplug = os.path.abspath(sys.argv[1])
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
    corpus = os.path.join(work, "corpus")
    if not os.path.isdir(corpus):
        make_corpus(corpus)
    spec = os.path.join(work, "spec.json")
    with open(spec, "w") as f:
        json.dump({"data": {"format": "text_folder", "path": "corpus",
                            "text": {"max_tokens": MAX_TOKENS, "output_sequence_length": LENGTH}},
                   "layers": [{"type": "embedding", "input_dim": MAX_TOKENS, "output_dim": 16, "padding_idx": 0},
                              {"type": "global_avg_pool1d"}, {"type": "dense", "units": 2}],
                   "loss": "softmax_cross_entropy", "optimizer": "adam", "training": {"epochs": 0}}, f)
    model = os.path.join(work, "model.safetensors")
    runs = {"nnplug": [], "python": []}
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([nnplug, "train", spec, "--no-progress", "--save", model], check=True, stdout=subprocess.DEVNULL)
        runs["nnplug"].append(time.perf_counter() - start)
        start = time.perf_counter()
        tokens, _ = python_pipeline(corpus)
        runs["python"].append(time.perf_counter() - start)
    if saved_tokens(model) != tokens:
        sys.exit("the vocabularies differ")
    best = {name: min(times) for name, times in runs.items()}
    print(f"{TEXTS} texts, vocabulary of {MAX_TOKENS}, sequences of {LENGTH} (best of 3 runs, the same vocabulary):")
    print(f"  nnplug train --epochs 0 (the whole process) {best['nnplug']:.2f} s")
    print(f"  Python (str.lower, translate, split, Counter, NumPy) {best['python']:.2f} s")
    print(f"  ratio {best['python'] / best['nnplug']:.2f}x")
    if len(sys.argv) <= 2:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
