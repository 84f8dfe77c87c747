#!/usr/bin/env python3
"""Training an example against the same recipe in PyTorch, in one run:
  char_lm  examples/char_lm's character language model (an embedding, an LSTM of 128 returning every step, a dense
           layer per step; Adam, batch 32, 30 epochs on the GPL-3's text) against char_lstm_torch.py;
  seq2seq  examples/seq2seq's encoder-decoder transformer that sorts 8 digits (Adam, batch 64, 10 epochs) against
           sort_transformer_torch.py, and greedy decoding's share of sequences right (decode.py, nnplug's Python
           module; set PYTHONPATH to build/python) against PyTorch's;
  seq2seq_padded  the same on sequences of 2 to 8 digits padded at the end (sort_transformer_padded.json: the
           padding masked in attention and left out of the loss) against the same script's padded recipe.
PyTorch runs at 1 and 2 threads (OMP_NUM_THREADS). It prints each one's training time (the epochs alone), samples per
second and test loss and accuracy over every test step, and the ratio against PyTorch's faster thread count.
  usage: /usr/bin/python3 bench/example_vs_torch.py build/bin/nnplug char_lm|seq2seq|seq2seq_padded
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")

# Per recipe: the example's folder, make_data.py's arguments (DATA: the data folder, named as the spec reads it), the
# spec, the PyTorch script, and a script that reads the saved model and the data folder (or None).
RECIPES = {
    "char_lm": ("char_lm", ["/usr/share/common-licenses/GPL-3", "DATA"], "data", "char_lstm.json", "char_lstm_torch.py", None),
    "seq2seq": ("seq2seq", ["DATA"], "data", "sort_transformer.json", "sort_transformer_torch.py", "decode.py"),
    "seq2seq_padded": ("seq2seq", ["DATA", "8", "10000", "--padded"], "data_padded", "sort_transformer_padded.json", "sort_transformer_torch.py",
                       "decode.py"),
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in RECIPES:
        sys.exit(__doc__)
    nnplug = os.path.abspath(sys.argv[1])
    folder, data_args, data_folder, spec, torch_script, reader = RECIPES[sys.argv[2]]
    work = tempfile.mkdtemp()
    # The example's folder and the block files its spec may name, so that its relative paths hold.
    example = os.path.join(work, folder)
    shutil.copytree(os.path.join(EXAMPLES, folder), example, ignore=shutil.ignore_patterns("data*"))
    shutil.copytree(os.path.join(EXAMPLES, "blocks"), os.path.join(work, "blocks"))
    data = os.path.join(example, data_folder)
    subprocess.run([sys.executable, os.path.join(example, "make_data.py")] + [data if a == "DATA" else a for a in data_args], check=True,
                   stdout=subprocess.DEVNULL)
    model = os.path.join(work, "model.safetensors")
    out = subprocess.run([nnplug, "train", os.path.join(example, spec), "--no-progress", "--save", model], check=True, capture_output=True,
                         text=True).stdout
    epochs = [(float(s), float(rate)) for s, rate in re.findall(r"\((\d+\.\d+) s, (\d+) samples/s\)", out)]
    seconds = sum(s for s, _ in epochs)
    samples = sum(s * rate for s, rate in epochs)
    test = re.search(r"^test: (.*)$", out, re.M).group(1)
    print(f"nnplug: {seconds:.1f} s, {samples / seconds:.0f} samples/s, test {test}")
    if reader:
        print("nnplug " + subprocess.run([sys.executable, os.path.join(example, reader), model, data], check=True, capture_output=True,
                                         text=True).stdout.strip())
    best = None
    for threads in (1, 2):
        run = subprocess.run([sys.executable, os.path.join(example, torch_script), data], check=True, capture_output=True, text=True,
                             env=dict(os.environ, OMP_NUM_THREADS=str(threads))).stdout.strip()
        rate = float(re.search(r"(\d+) samples/s", run).group(1))
        print(f"PyTorch, {threads} thread{'s' if threads > 1 else ''}: {run}")
        best = rate if best is None else max(best, rate)
    print(f"ratio against PyTorch's best: {samples / seconds / best:.2f}x")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
