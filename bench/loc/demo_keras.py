"""The demo (examples/embed/demo.py) written with Keras, for bench/loc/count.sh: the same 784-256-128-10 ReLU MLP on
Fashion-MNIST, Adam 1e-3, batch 128, 5 epochs, the test accuracy, save, load, one prediction. Debian has no
TensorFlow, so this one is counted but not run here; it runs where `pip install tensorflow` works.
Run: python3 bench/loc/demo_keras.py [EPOCHS]"""
import gzip
import sys

import numpy as np
from tensorflow import keras


def read_idx(images, labels):
    x = np.frombuffer(gzip.open(images).read(), np.uint8, offset=16).reshape(-1, 784) / np.float32(255)
    return x, np.frombuffer(gzip.open(labels).read(), np.uint8, offset=8)


data = "/usr/share/datasets/fashion-mnist/"
x, y = read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz")
x_test, y_test = read_idx(data + "t10k-images-idx3-ubyte.gz", data + "t10k-labels-idx1-ubyte.gz")
keras.utils.set_random_seed(42)
net = keras.Sequential([keras.layers.Dense(256, activation="relu"), keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
net.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
net.fit(x, y, epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 5, batch_size=128)
print(f"test accuracy {net.evaluate(x_test, y_test)[1]:.4f}")
net.save("demo_keras.keras")
print("the first test image is class", keras.models.load_model("demo_keras.keras").predict(x_test[:1]).argmax(1)[0])
