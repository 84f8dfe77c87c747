"""Keras's fit(class_weight=..., sample_weight=...): each sample's loss gradient times its weight in training, checked
against what other parts compute (a loss's own class_weights, PyTorch's weight=; a sample of weight 0 left out), and
the forms Keras users pass (numpy.unique's classes as keys, scikit-learn's "balanced"). Run by CTest (python_bindings)
with PYTHONPATH=build/python."""
import numpy as np
import pytest

import nnplug
from blob_data import blobs


def network(loss="softmax_cross_entropy", optimizer=None):
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, activation="tanh"), nnplug.Dense(3)]))
    net.compile(optimizer or nnplug.Adam(lr=0.01), loss, dtype="float64", seed=4)
    return net


def weights(net):
    return np.concatenate([np.asarray(v).ravel() for v in net.state_dict().values()])


def test_class_weight_trains_as_the_losses_own_class_weights():
    x, y = blobs(300)
    classes = np.unique(y)  # numpy.int64 keys, as dict(zip(numpy.unique(y), ...)) gives them
    by_fit = network()
    history = by_fit.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, class_weight=dict(zip(classes, [0.5, 3.0, 1.0])),
                         progress=False)
    by_loss = network({"type": "softmax_cross_entropy", "class_weights": [0.5, 3.0, 1.0]})
    by_loss.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, progress=False)
    unweighted = network()
    unweighted.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, progress=False)
    assert np.abs(weights(by_fit) - weights(by_loss)).max() < 1e-12
    assert np.abs(weights(by_fit) - weights(unweighted)).max() > 1e-3
    # Validation is scored unweighted, as in Keras: the trained network's loss on the last fifth.
    assert history.history["val_loss"][-1] == pytest.approx(by_fit.evaluate(x[240:], y[240:])["loss"], abs=1e-12)


def test_a_sample_of_weight_zero_trains_as_if_left_out():
    """One full-batch SGD step: the others' weight 4/3 brings the mean over 4 samples to the mean over the 3 kept."""
    x, y = blobs(4)
    weighted, kept = network(optimizer=nnplug.SGD(lr=0.5)), network(optimizer=nnplug.SGD(lr=0.5))
    weighted.fit(x, y, epochs=1, batch_size=4, shuffle=False, sample_weight=np.array([4 / 3, 0, 4 / 3, 4 / 3]), progress=False)
    kept.fit(x[[0, 2, 3]], y[[0, 2, 3]], epochs=1, batch_size=3, shuffle=False, progress=False)
    assert np.abs(weights(weighted) - weights(kept)).max() < 1e-12


def test_validation_split_leaves_the_held_out_samples_weights_aside():
    x, y = blobs(200)
    sample_weight = np.linspace(0.5, 2.0, 200)
    split, sliced = network(), network()
    split.fit(x, y, epochs=2, batch_size=50, validation_split=0.25, sample_weight=sample_weight, progress=False)
    sliced.fit(x[:150], y[:150], epochs=2, batch_size=50, validation_data=(x[150:], y[150:]), sample_weight=sample_weight[:150], progress=False)
    assert np.abs(weights(split) - weights(sliced)).max() < 1e-12


def test_balanced_and_refusals():
    x, y = blobs(60)
    network().fit(x, y, epochs=1, class_weight="balanced", progress=False)
    network().fit(x, y, epochs=1, class_weight=np.array([1.0, 2.0, 0.5]), progress=False)  # compute_class_weight's array
    with pytest.raises(nnplug.Error, match="fit: class_weight gives class 1 the weight nan; weights are finite and >= 0"):
        network().fit(x, y, epochs=1, class_weight=[1.0, float("nan"), 1.0], progress=False)
    with pytest.raises(ValueError, match=r"fit: class_weight's keys are class indices, as Keras's are, got 1.5"):
        network().fit(x, y, epochs=1, class_weight={0: 1.0, 1.5: 2.0}, progress=False)
    with pytest.raises(nnplug.Error, match="fit: parameter 'class_weight' must name each class from 0 to 1 once"):
        network().fit(x, y, epochs=1, class_weight={0: 1.0, 2: 2.0}, progress=False)
    with pytest.raises(nnplug.Error, match="fit: class_weight weighs classes 0 to 1, but sample .* is of class 2; give a weight to every class"):
        network().fit(x, y, epochs=1, class_weight={0: 1.0, 1: 2.0}, progress=False)
    with pytest.raises(ValueError, match=r"fit: sample_weight must hold one weight per sample of x, shape \(60,\), got shape \(60, 2\)"):
        network().fit(x, y, epochs=1, sample_weight=np.ones((60, 2)), progress=False)
    with pytest.raises(nnplug.Error, match="fit: class_weight weighs the classes, and loss softmax_cross_entropy weighs them too by its "
                                           "class_weights, so each sample would be weighed twice"):
        network({"type": "softmax_cross_entropy", "class_weights": [1, 2, 3]}).fit(x, y, epochs=1, class_weight="balanced", progress=False)
    with pytest.raises(nnplug.Error, match="fit: sample_weight gives sample 3 the weight -1"):
        network().fit(x, y, epochs=1, sample_weight=np.where(np.arange(60) == 3, -1.0, 1.0), progress=False)
