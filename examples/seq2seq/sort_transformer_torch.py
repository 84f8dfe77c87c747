"""The sort_transformer.json recipe in PyTorch, for comparison: the same arrays and model (embeddings with the
sinusoidal positional encoding, nn.TransformerEncoderLayer and nn.TransformerDecoderLayer with the causal tgt_mask,
a linear layer per step), loss, optimizer and schedule of batches (Adam 2e-3, batch 64, 10 epochs, a tenth of the
training rows held out); its test loss and accuracy over every step with the target given, and greedy decoding's
share of sequences and digits right without it, as decode.py reports nnplug's. Given make_data.py --padded's data, it
is sort_transformer_padded.json's recipe: the source's padding masked (src_key_padding_mask and
memory_key_padding_mask) and the padded steps' labels (-100) left out of the loss and the scores.
Run with Debian's interpreter: /usr/bin/python3 examples/seq2seq/sort_transformer_torch.py [DATA_FOLDER] [EPOCHS]
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

DIGITS, WIDTH = 10, 32


def positional_encoding(steps):
    position = torch.arange(steps).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, WIDTH, 2) * (-math.log(10000.0) / WIDTH))
    encoding = torch.zeros(steps, WIDTH)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency)
    return encoding


class SortTransformer(nn.Module):
    def __init__(self, length, tokens):
        super().__init__()
        self.length = length
        self.padding = tokens["padding"]  # the padding's id, or None where every sequence is whole
        self.source_embedding = nn.Embedding(tokens["start"] + 1, WIDTH)
        self.target_embedding = nn.Embedding(tokens["start"] + 1, WIDTH)
        self.encoder = nn.TransformerEncoderLayer(WIDTH, 4, 64, dropout=0.0, batch_first=True)
        self.decoder = nn.TransformerDecoderLayer(WIDTH, 4, 64, dropout=0.0, batch_first=True)
        self.generator = nn.Linear(WIDTH, DIGITS)
        self.register_buffer("positions", positional_encoding(length))
        self.register_buffer("causal", torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1))

    def forward(self, x):
        source, target = x[:, :self.length], x[:, self.length:]
        padding = None if self.padding is None else source == self.padding  # True: may not be attended to
        memory = self.encoder(self.source_embedding(source) + self.positions, src_key_padding_mask=padding)
        return self.generator(self.decoder(self.target_embedding(target) + self.positions, memory, tgt_mask=self.causal,
                                           memory_key_padding_mask=padding))


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    load = lambda name: torch.from_numpy(np.load(os.path.join(data, f"{name}.npy")))
    x, y, x_test, y_test = load("x_train"), load("y_train"), load("x_test"), load("y_test")
    with open(os.path.join(data, "tokens.json")) as f:  # make_data.py's: the start token's id, a digit's, the padding's
        tokens = json.load(f)
    length = y.shape[1]
    torch.manual_seed(1)
    order = torch.randperm(len(x))
    held = len(x) // 10
    x, y = x[order[held:]], y[order[held:]]
    model = SortTransformer(length, tokens)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()  # ignore_index -100: the padded steps
    start = time.perf_counter()
    for epoch in range(epochs):
        for batch in torch.randperm(len(x)).split(64):
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]).reshape(-1, DIGITS), y[batch].reshape(-1))
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        scores = model(x_test).reshape(-1, DIGITS)
        test_loss = loss_fn(scores, y_test.reshape(-1)).item()
        labelled = y_test >= 0
        accuracy = (scores.argmax(dim=1) == y_test.reshape(-1))[labelled.reshape(-1)].double().mean().item()
        written = x_test.clone()
        written[:, length:] = tokens["start"]
        for step in range(length):
            digits = model(written).argmax(dim=2)
            if step + 1 < length:
                written[:, length + step + 1] = digits[:, step] + tokens["digit_offset"]
        right = (digits == y_test) | ~labelled
    print(f"test: loss {test_loss:.4f}  accuracy {accuracy:.4f}  ({seconds:.1f} s, {epochs * len(x) / seconds:.0f} samples/s, "
          f"{torch.get_num_threads()} threads)")
    print(f"greedy: sequences right {right.all(dim=1).double().mean().item():.4f}  digits right {right[labelled].double().mean().item():.4f}")


if __name__ == "__main__":
    main()
