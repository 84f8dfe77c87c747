"""The demo (examples/fashion_mlp.json) from Python: a 784-256-128-10 ReLU MLP on Fashion-MNIST, Adam 1e-3, batch
128, 5 epochs; the test accuracy; the model saved, loaded back and asked for a prediction.
Run: PYTHONPATH=build/python /usr/bin/python3 examples/embed/demo.py [EPOCHS]"""
import sys

import nnplug

data = "/usr/share/datasets/fashion-mnist/"
x, y = nnplug.read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz", divide_by=255)
x_test, y_test = nnplug.read_idx(data + "t10k-images-idx3-ubyte.gz", data + "t10k-labels-idx1-ubyte.gz", divide_by=255)
net = nnplug.Network(nnplug.Sequential([nnplug.Dense(256, activation="relu"), nnplug.Dense(128, activation="relu"), nnplug.Dense(10)]))
net.compile(nnplug.Adam(lr=1e-3), "softmax_cross_entropy", seed=42)
net.fit(x, y, epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 5, batch_size=128)
print(f"test accuracy {net.evaluate(x_test, y_test)['accuracy']:.4f}")
net.save("demo.safetensors")
print("the first test image is class", nnplug.Network.load("demo.safetensors").predict(x_test[:1], output="classes")[0])
