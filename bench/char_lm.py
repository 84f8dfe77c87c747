#!/usr/bin/env python3
"""Training a character language model with a class label per step: examples/char_lm's spec (an embedding, an LSTM
of 128 returning every step, a dense layer per step; Adam, batch 32, 30 epochs on the GPL-3's text) in nnplug
against the same recipe in PyTorch (examples/char_lm/char_lstm_torch.py) at 1 and 2 threads, in one run. It prints
each one's training time (the epochs alone), samples per second and test loss and accuracy over every test step,
and the ratio against PyTorch's faster thread count.
  usage: /usr/bin/python3 bench/char_lm.py build/bin/nnplug
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "char_lm")


def main():
    nnplug = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp()
    data = os.path.join(work, "data")
    subprocess.run([sys.executable, os.path.join(EXAMPLE, "make_data.py"), "/usr/share/common-licenses/GPL-3", data], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(EXAMPLE, "char_lstm.json"), work)
    out = subprocess.run([nnplug, "train", os.path.join(work, "char_lstm.json"), "--no-progress"], check=True, capture_output=True,
                         text=True).stdout
    epochs = [(float(s), float(rate)) for s, rate in re.findall(r"\((\d+\.\d+) s, (\d+) samples/s\)", out)]
    seconds = sum(s for s, _ in epochs)
    samples = sum(s * rate for s, rate in epochs)
    test = re.search(r"^test: (.*)$", out, re.M).group(1)
    print(f"nnplug: {seconds:.1f} s, {samples / seconds:.0f} samples/s, test {test}")
    best = None
    for threads in (1, 2):
        run = subprocess.run([sys.executable, os.path.join(EXAMPLE, "char_lstm_torch.py"), data], check=True, capture_output=True, text=True,
                             env=dict(os.environ, OMP_NUM_THREADS=str(threads))).stdout.strip()
        rate = float(re.search(r"(\d+) samples/s", run).group(1))
        print(f"PyTorch, {threads} thread{'s' if threads > 1 else ''}: {run}")
        best = rate if best is None else max(best, rate)
    print(f"ratio against PyTorch's best: {samples / seconds / best:.2f}x")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
