"""PyTorch's training throughput, the peer nnplug is measured against in bench/run.sh.

Same models, data, batch and optimizer as the examples: "mlp" is examples/fashion_mlp.json (784-256-128-10 ReLU),
"cnn" is examples/fashion_cnn.json (conv 32, max pool, conv 64, max pool, dense 128, dense 10, ReLU); both Adam
1e-3, batch 128, on Fashion-MNIST's training samples as the spec uses them (54,000 after the MLP's 10% validation
split, all 60,000 for the CNN). Prints the best epoch of several.
Run with Debian's interpreter: /usr/bin/python3 bench/torch_throughput.py mlp|cnn [epochs] [threads] [device] [batch]
[synthetic]. threads 0 keeps PyTorch's default; device "cuda" runs on the GPU, each batch copied from host memory as
nnplug does; "synthetic" trains on 60,000 random samples instead of Fashion-MNIST (as train_throughput --synthetic).
"""
import gzip
import sys
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist/"


def load_images(path):
    with gzip.open(path, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(raw.reshape(-1, 784).astype(np.float32) / 255.0)


def load_labels(path):
    with gzip.open(path, "rb") as f:
        return torch.from_numpy(np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64))


def main():
    kind = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if len(sys.argv) > 3 and int(sys.argv[3]) > 0:
        torch.set_num_threads(int(sys.argv[3]))
    device = torch.device(sys.argv[4] if len(sys.argv) > 4 else "cpu")
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 128
    synthetic = len(sys.argv) > 6 and sys.argv[6] == "synthetic"
    torch.manual_seed(0)
    n = 54000 if kind == "mlp" and not synthetic else 60000
    if synthetic:
        x, y = torch.randn(n, 784), torch.randint(0, 10, (n,))
    else:
        x = load_images(DATA + "train-images-idx3-ubyte.gz")[:n]
        y = load_labels(DATA + "train-labels-idx1-ubyte.gz")[:n]
    nn = torch.nn
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    else:
        x = x.reshape(-1, 1, 28, 28)
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(len(x))
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            xb, yb = x[idx].to(device), y[idx].to(device)
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            # nnplug reads the loss and the accuracy of every batch; so does this loop.
            loss.item(), (out.argmax(1) == yb).sum().item()
        return time.perf_counter() - start

    epoch()  # warm-up
    best = min(epoch() for _ in range(epochs))
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"pytorch {torch.__version__} {kind} ({where}, batch {batch}): {len(x) / best:.0f} samples/s, "
          f"{best:.3f} s per epoch of {len(x)} samples (best of {epochs})")
    print(f"RESULT torch_samples_per_s {len(x) / best:.0f}")


if __name__ == "__main__":
    main()
