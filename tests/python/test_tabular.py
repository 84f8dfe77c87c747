"""Tabular data from Python: a spec's data section that fills missing values (NaN) as scikit-learn's SimpleImputer
does, and labels counted from 1. Run by CTest (python_bindings) with PYTHONPATH=build/python."""
import os
import tempfile

import numpy as np
import pytest

import nnplug
from blob_data import blobs


def test_a_spec_that_fills_missing_values_takes_nan_as_scikit_learns_simple_imputer():
    """data.fill_missing: NaN in the first fit's samples (and later ones) is each feature's median of the first fit's."""
    x, y = blobs()
    x = x.copy()
    x[::7, 0] = np.nan
    x[3::11, 1] = np.nan
    net = nnplug.Network({"data": {"fill_missing": "median"}, "layers": [nnplug.Dense(3)], "loss": "softmax_cross_entropy",
                          "optimizer": nnplug.Adam(lr=0.05), "seed": 1})
    net.fit(x, y, epochs=3, batch_size=32, progress=False)
    filled = np.where(np.isnan(x), np.nanmedian(x, axis=0), x)
    np.testing.assert_array_equal(net.predict(x), net.predict(filled))
    assert net.evaluate(x, y)["loss"] == pytest.approx(net.evaluate(filled, y)["loss"])
    with tempfile.TemporaryDirectory() as folder:
        net.save(os.path.join(folder, "filled.safetensors"))
        loaded = nnplug.Network.load(os.path.join(folder, "filled.safetensors"))
        np.testing.assert_allclose(loaded.predict(x), net.predict(filled), rtol=1e-6)
    x[5, 1] = np.inf  # an infinity is no missing value
    with pytest.raises(nnplug.InvalidArgument, match="sample 5 holds inf"):
        net.predict(x)


def test_labels_counted_from_1_are_named_in_the_refusal_of_the_outputs():
    """Labels 1 to 3 ask for 4 outputs, as Keras's sparse crossentropy does; the refusal says why."""
    x, y = blobs()
    net = nnplug.Network({"layers": [nnplug.Dense(3)], "loss": "softmax_cross_entropy", "optimizer": nnplug.Adam(), "seed": 1})
    with pytest.raises(nnplug.ShapeError, match="the last layer needs 4 units; no sample has label 0, the labels run from 1 to 3"):
        net.fit(x, y + 1, epochs=1, progress=False)
