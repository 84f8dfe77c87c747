"""The demo (examples/embed/demo.py) written with PyTorch, for bench/loc/count.sh: the same 784-256-128-10 ReLU MLP
on Fashion-MNIST, Adam 1e-3, batch 128, 5 epochs, the test accuracy, save, load, one prediction.
Run: /usr/bin/python3 bench/loc/demo_pytorch.py [EPOCHS]"""
import gzip
import sys

import numpy as np
import torch


def read_idx(images, labels):
    x = np.frombuffer(gzip.open(images).read(), np.uint8, offset=16).reshape(-1, 784) / np.float32(255)
    return torch.from_numpy(x), torch.from_numpy(np.frombuffer(gzip.open(labels).read(), np.uint8, offset=8).astype(np.int64))


data = "/usr/share/datasets/fashion-mnist/"
x, y = read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz")
x_test, y_test = read_idx(data + "t10k-images-idx3-ubyte.gz", data + "t10k-labels-idx1-ubyte.gz")
torch.manual_seed(42)
net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=128, shuffle=True)
for epoch in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch + 1} loss {loss.item():.4f}")
with torch.no_grad():
    print(f"test accuracy {(net(x_test).argmax(1) == y_test).float().mean().item():.4f}")
torch.save(net, "demo_pytorch.pt")
print("the first test image is class", torch.load("demo_pytorch.pt")(x_test[:1]).argmax(1).item())
