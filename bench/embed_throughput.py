"""The demo MLP trained from Python on the same float32 rows as bench/embed_throughput.cpp; prints the median of
the epochs' samples/s. Run by bench/python_bindings.sh."""
import statistics

import nnplug

data = "/usr/share/datasets/fashion-mnist/"
x, y = nnplug.read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz", divide_by=255)
net = nnplug.Network(nnplug.Sequential([nnplug.Dense(256, activation="relu", weight_init="he_normal"),
                                        nnplug.Dense(128, activation="relu", weight_init="he_normal"), nnplug.Dense(10)]))
net.compile(nnplug.Adam(lr=1e-3), "softmax_cross_entropy", seed=42)
history = net.fit(x, y, epochs=5, batch_size=128, progress=False)
print(round(statistics.median(len(x) / epoch["seconds"] for epoch in history)))
