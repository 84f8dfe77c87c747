"""Writes text with a trained character language model (char_lstm.json), as Karpathy's char-rnn samples: the model
reads the last LENGTH characters written (the window it was trained on; a shorter prompt is padded on the left with
spaces), the scores of its last step give the next character's probabilities, sharpened or flattened by the
temperature (p ** (1 / T), renormalised; 0 takes the most probable), one is drawn, written, and read in turn.

Run: PYTHONPATH=build/python /usr/bin/python3 examples/char_lm/sample.py MODEL.safetensors DATA_FOLDER
         [--prompt TEXT] [--characters N] [--temperature T] [--seed S]
"""
import argparse
import json
import os
import sys

import numpy as np

import nnplug


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("data", help="the folder make_data.py wrote (its characters.json)")
    parser.add_argument("--prompt", default="This License")
    parser.add_argument("--characters", type=int, default=300, help="how many to write")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(os.path.join(args.data, "characters.json")) as f:
        characters = json.load(f)
    unknown = sorted(set(args.prompt) - set(characters))
    if unknown:
        sys.exit(f"the prompt holds characters the model never saw: {unknown}")
    if args.temperature < 0:
        sys.exit("the temperature must be 0 or more")
    model = nnplug.Network.load(args.model)
    length = np.load(os.path.join(args.data, "x_test.npy")).shape[1]
    ids = [characters.index(c) for c in args.prompt.rjust(length)]
    rng = np.random.default_rng(args.seed)
    for _ in range(args.characters):
        window = np.array([ids[-length:]], dtype=np.float32)
        p = model.predict(window)[0, -1].astype(np.float64)  # the last step's probabilities of the next character
        if args.temperature == 0:
            ids.append(int(p.argmax()))
            continue
        p = p ** (1.0 / args.temperature)
        ids.append(int(rng.choice(len(p), p=p / p.sum())))
    print(args.prompt + "".join(characters[i] for i in ids[length:]))


if __name__ == "__main__":
    main()
