"""PyTorch's training throughput, the peer nnplug is measured against in bench/run.sh.

Same models, data, batch and optimizer as the examples: "mlp" is examples/fashion_mlp.json (784-256-128-10 ReLU),
"cnn" is examples/fashion_cnn.json (conv 32, max pool, conv 64, max pool, dense 128, dense 10, ReLU); "x11" is
examples/x11_cifar_cnn.json (six 3x3 convolutions, each followed by ReLU and batch norm, max pooling and dropout,
L2 on the convolution kernels, random horizontal flips); "resnet" is examples/fashion_resnet.json (the network
tests/fixtures/make_torch_resnet_block.py builds, SGD with Nesterov momentum, random horizontal flips); "mobilenet" is
examples/fashion_mobilenet.json (a 3x3 stem and five depthwise separable blocks with batch norm and ReLU6, random
horizontal flips; Adam at a constant rate, where the spec's one-cycle schedule moves it: the same work per step);
"autoencoder" is examples/fashion_autoencoder.json (each image its own target, MSE); "lstm" is examples/fashion_lstm.json
(an LSTM of 128 units over an image's 28 rows, its last step classified); "conv1d" is examples/fashion_conv1d.json
(two 1-D convolutions over an image's 28 columns, its rows as channels, and a global max pooling); "transformer" is
examples/fashion_transformer.json (an image's 28 rows as tokens of 64 features with learned positions, two
nn.TransformerEncoderLayer(64, 4, 128), the mean over the steps); the others Adam 1e-3; all batch 128, on Fashion-MNIST's training
samples as the spec uses them (54,000 after the MLP's 10% validation split, all 60,000 for the CNN, the first
`limit` for X11, as train_throughput --limit). Prints the best epoch of several.
Run with Debian's interpreter: /usr/bin/python3 bench/torch_throughput.py mlp|cnn|x11|resnet|mobilenet|autoencoder|lstm|conv1d|transformer [epochs] [threads] [device]
[batch] [synthetic|limit] [bfloat16]. bfloat16 runs the forward pass and the loss under
torch.autocast(device, dtype=torch.bfloat16), PyTorch's mixed precision (oneDNN's bfloat16 kernels on the CPU, tensor cores on a GPU). threads 0 keeps PyTorch's default; device "cuda" runs on the GPU, each batch copied from host memory as
nnplug does; "synthetic" trains on 60,000 random samples instead of Fashion-MNIST (as train_throughput --synthetic).
"""
import gzip
import os
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
    limit = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6].isdigit() else 0
    bfloat16 = "bfloat16" in sys.argv[7:]
    torch.manual_seed(0)
    n = limit if limit else 54000 if kind == "mlp" and not synthetic else 60000
    if synthetic:
        x, y = torch.randn(n, 784), torch.randint(0, 10, (n,))
    else:
        x = load_images(DATA + "train-images-idx3-ubyte.gz")[:n]
        y = load_labels(DATA + "train-labels-idx1-ubyte.gz")[:n]
    nn = torch.nn
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    elif kind == "cnn":
        x = x.reshape(-1, 1, 28, 28)
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    elif kind == "resnet":
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
        from make_torch_resnet_block import FashionResNet
        x = x.reshape(-1, 1, 28, 28)
        x = (x - x.mean()) / x.std()  # "standardize": "scalar"
        model = FashionResNet()
    elif kind == "mobilenet":
        x = x.reshape(-1, 1, 28, 28)
        x = (x - x.mean()) / x.std()  # "standardize": "scalar"

        def separable(cin, cout, stride=1):
            return [nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU6(),
                    nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(),
                              *separable(32, 64), *separable(64, 128, 2), *separable(128, 128), *separable(128, 256, 2),
                              *separable(256, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10))
    elif kind == "lstm":  # examples/fashion_lstm.json: an image's rows as 28 steps, the last step's h classified
        x = x.reshape(-1, 28, 28)

        class LastStep(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm, self.head = nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)

            def forward(self, v):
                return self.head(self.lstm(v)[0][:, -1])
        model = LastStep()
    elif kind == "conv1d":  # examples/fashion_conv1d.json: an image's 28 columns as a sequence, its 28 rows the channels
        x = x.reshape(-1, 28, 28)
        model = nn.Sequential(nn.Conv1d(28, 64, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(64, 128, 3, padding=1),
                              nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(128, 10))
    elif kind == "transformer":  # examples/fashion_transformer.json: an image's 28 rows as tokens
        x = x.reshape(-1, 28, 28)

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed, self.head = nn.Linear(28, 64), nn.Linear(64, 10)
                self.position = nn.Parameter(torch.zeros(28, 64).normal_(std=0.02))
                block = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.1, batch_first=True)
                self.layers = nn.TransformerEncoder(block, 2, enable_nested_tensor=False)

            def forward(self, v):
                return self.head(self.layers(self.embed(v) + self.position).mean(dim=1))
        model = Encoder()
    elif kind == "autoencoder":
        x = x.reshape(-1, 1, 28, 28)
        model = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
                              nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
                              nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())
    else:
        x = x.reshape(-1, 1, 28, 28)
        x = (x - x.mean()) / x.std()  # "standardize": "scalar"

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(cout)]
        model = nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), nn.Dropout(0.2),
                              *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Dropout(0.3),
                              *block(64, 128), *block(128, 128), nn.MaxPool2d(2), nn.Dropout(0.4),
                              nn.Flatten(), nn.Linear(128 * 3 * 3, 10))
    model = model.to(device)
    convolutions = [m.weight for m in model if isinstance(m, nn.Conv2d)] if kind == "x11" else []
    if kind == "resnet":
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss() if kind == "autoencoder" else torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(len(x))
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            xb, yb = x[idx].to(device), y[idx].to(device)
            if kind == "autoencoder":  # the images are their own targets
                yb = xb
            if kind in ("x11", "resnet", "mobilenet"):  # random horizontal flips, and X11's kernel L2 penalty in the loss (Keras' kernel_regularizer)
                flip = torch.rand(len(xb), device=device) < 0.5
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bfloat16):
                out = model(xb)
                loss = loss_fn(out, yb)
            if convolutions:
                loss = loss + 2e-4 * sum((w * w).sum() for w in convolutions)
            loss.backward()
            opt.step()
            # nnplug reads the loss and the accuracy (or, for values, the mean absolute error) of every batch; so does this loop.
            loss.item(), ((out - yb).abs().mean() if kind == "autoencoder" else (out.argmax(1) == yb).sum()).item()
        return time.perf_counter() - start

    epoch()  # warm-up
    best = min(epoch() for _ in range(epochs))
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"pytorch {torch.__version__} {kind} ({where}, batch {batch}{', bfloat16 autocast' if bfloat16 else ''}): {len(x) / best:.0f} samples/s, "
          f"{best:.3f} s per epoch of {len(x)} samples (best of {epochs})")
    print(f"RESULT torch_samples_per_s {len(x) / best:.0f}")


if __name__ == "__main__":
    main()
