"""The char_lstm.json recipe in PyTorch, for comparison: the same arrays, model, loss, optimizer and schedule of
batches (Adam 3e-3, batch 32, 30 epochs, a tenth of the training sequences held out), its test loss and accuracy
over every step. Run with Debian's interpreter: /usr/bin/python3 examples/char_lm/char_lstm_torch.py [DATA_FOLDER]
"""
import os
import sys
import time

import numpy as np
import torch


class CharLstm(torch.nn.Module):
    def __init__(self, characters):
        super().__init__()
        self.embedding = torch.nn.Embedding(characters, 32)
        self.lstm = torch.nn.LSTM(32, 128, batch_first=True)
        self.dense = torch.nn.Linear(128, characters)

    def forward(self, x):
        return self.dense(self.lstm(self.embedding(x))[0])


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    load = lambda name: torch.from_numpy(np.load(os.path.join(data, f"{name}.npy")))
    x, y, x_test, y_test = load("x_train"), load("y_train"), load("x_test"), load("y_test")
    torch.manual_seed(1)
    order = torch.randperm(len(x))
    held = len(x) // 10
    x, y = x[order[held:]], y[order[held:]]
    model = CharLstm(76)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(30):
        for batch in torch.randperm(len(x)).split(32):
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]).reshape(-1, 76), y[batch].reshape(-1))
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        scores = model(x_test).reshape(-1, 76)
        test_loss = loss_fn(scores, y_test.reshape(-1)).item()
        accuracy = (scores.argmax(dim=1) == y_test.reshape(-1)).double().mean().item()
    print(f"test: loss {test_loss:.4f}  accuracy {accuracy:.4f}  ({seconds:.1f} s, {30 * len(x) / seconds:.0f} samples/s, "
          f"{torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
