"""Data the Python tests train on."""
import numpy as np


def blobs(samples=600, seed=0):
    """Three Gaussian blobs in 4 dimensions, well apart: a network should separate them."""
    rng = np.random.default_rng(seed)
    centres = np.array([[4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0]], dtype=np.float64)
    y = rng.integers(0, 3, samples)
    return (centres[y] + rng.normal(size=(samples, 4))).astype(np.float32), y
