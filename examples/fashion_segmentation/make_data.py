"""Writes a semantic segmentation task made from Fashion-MNIST as .npy arrays: each image (1x28x28 bytes) and a class
label per pixel (28x28 = 784 labels): 0 for the background, where the pixel is darker than THRESHOLD, and 1 + the
garment's class where it is brighter, so that a network must find both where the garment lies and what it is, as in
Pascal VOC or Cityscapes, 11 classes in all (fashion_unet.json names them). Needs numpy only.

Usage: python3 make_data.py IDX_FOLDER OUT_FOLDER [TRAIN_IMAGES [TEST_IMAGES]]
e.g.   python3 examples/fashion_segmentation/make_data.py /usr/share/datasets/fashion-mnist examples/fashion_segmentation/data
"""
import gzip
import os
import sys

import numpy as np

THRESHOLD = 25  # of 255


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def task(folder, prefix, count):
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28)[:count]
    garments = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), 8)[:count]
    pixels = np.where(images[:, 0] > THRESHOLD, garments[:, None, None] + 1, 0).reshape(len(images), 784)
    return images, pixels.astype(np.uint8)


def main():
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__)
    folder, out = sys.argv[1], sys.argv[2]
    train_count = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
    test_count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    os.makedirs(out, exist_ok=True)
    for prefix, name, count in (("train", "train", train_count), ("t10k", "test", test_count)):
        x, y = task(folder, prefix, count)
        np.save(os.path.join(out, f"x_{name}.npy"), x)
        np.save(os.path.join(out, f"y_{name}.npy"), y)
        print(f"{name}: {len(x)} images, {np.mean(y > 0):.3f} of their pixels a garment's")


if __name__ == "__main__":
    main()
