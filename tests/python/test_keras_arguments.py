"""fit's arguments as Keras users write them: verbose. Run by CTest (python_bindings) with PYTHONPATH=build/python."""
import pytest

import nnplug
from blob_data import blobs


def small_network():
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, activation="relu"), nnplug.Dense(3)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=1)
    return net


def test_verbose_0_is_silent_and_2_writes_a_line_per_epoch_without_a_bar(capsys):
    x, y = blobs()
    small_network().fit(x, y, epochs=2, batch_size=100, verbose=0)
    assert capsys.readouterr().out == ""
    small_network().fit(x[:400], y[:400], epochs=2, batch_size=100, validation_data=(x[400:], y[400:]), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "4/4", "Epoch 2/2", "4/4"]
    assert " - loss: " in lines[3] and " - val_accuracy: " in lines[3] and "[" not in lines[3]


def test_verbose_beside_progress_or_out_of_range_is_refused():
    x, y = blobs()
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2, got 3"):
        small_network().fit(x, y, epochs=1, verbose=3)
    with pytest.raises(ValueError, match="give verbose"):
        small_network().fit(x, y, epochs=1, verbose=0, progress=False)
