"""The optimizers from Python: each builder writes its plugin's parameters into the spec and trains the blobs, and
parameter groups give a layer a rate of its own. Run by CTest (python_bindings) with PYTHONPATH=build/python."""
import numpy as np
import pytest

import nnplug
from blob_data import blobs


def test_nadam_and_adamax_train_as_their_plugins_take_them():
    x, y = blobs()
    for optimizer in (nnplug.NAdam(lr=0.01), nnplug.Adamax(lr=0.01, weight_decay=1e-4)):
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
        net.compile(optimizer, "softmax_cross_entropy", seed=1)
        assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.95, optimizer


def test_parameter_groups_give_the_first_layer_a_rate_of_its_own():
    # PyTorch's param_groups in the optimizer's dict: the first layer at rate 0 keeps its weights exactly, while the
    # last moves; a pattern that names nothing is refused with the names there are.
    x, y = blobs(200)
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, activation="tanh", name="h"), nnplug.Dense(3, name="out")]))
    net.compile(dict(nnplug.Adam(lr=0.01), param_groups=[{"params": "h.*", "lr": 0.0}]), "softmax_cross_entropy", seed=1)
    net.build([4])
    state = net.state_dict()
    before = {name: np.from_dlpack(view).copy() for name, view in state.items()}
    net.fit(x, y, epochs=2, progress=False)
    np.testing.assert_array_equal(np.from_dlpack(state["h.weight"]), before["h.weight"])
    np.testing.assert_array_equal(np.from_dlpack(state["h.bias"]), before["h.bias"])
    assert np.abs(np.from_dlpack(state["out.weight"]) - before["out.weight"]).max() > 1e-3
    net.compile(dict(nnplug.SGD(lr=0.1), param_groups=[{"params": "hidden.*", "lr": 0.0}]), "softmax_cross_entropy")
    with pytest.raises(nnplug.InvalidArgument, match=r'"hidden.\*" names no trainable parameter; they are h.weight, h.bias, out.weight, out.bias'):
        net.fit(x, y, epochs=1, progress=False)


def test_lion_trains_as_its_plugin_takes_it():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Lion(lr=3e-3, weight_decay=0.1), "softmax_cross_entropy", seed=1)
    assert net.spec["optimizer"] == {"type": "lion", "lr": 3e-3, "betas": [0.9, 0.99], "weight_decay": 0.1}
    assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.95


def test_ftrl_l1_zeroes_exactly_the_weights_of_the_features_that_carry_no_class():
    # Keras's use of FTRL: a linear model from weights of 0. The blobs' fourth feature and six more columns of noise
    # carry nothing; l1 leaves their weights at exactly 0 and the three blobs' own, without it none is 0.
    x, y = blobs()
    x = np.hstack([x, np.random.default_rng(1).normal(size=(len(x), 6)).astype(np.float32)])
    for l1, zero_columns in ((2.0, list(range(3, 10))), (0.0, [])):
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3, name="out", weight_init=nnplug.Zeros())]))
        net.compile(nnplug.Ftrl(lr=0.5, l1_regularization_strength=l1), "softmax_cross_entropy", seed=1)
        assert net.spec["optimizer"]["l1_regularization_strength"] == l1
        assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.95
        weight = np.from_dlpack(net.state_dict()["out.weight"])
        assert np.flatnonzero((weight == 0).all(axis=0)).tolist() == zero_columns
        assert (weight[:, :3] != 0).all()


def test_lamb_trains_as_its_plugin_takes_it():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Lamb(lr=0.02, weight_decay=0.01), "softmax_cross_entropy", seed=1)
    assert net.spec["optimizer"] == {"type": "lamb", "lr": 0.02, "betas": [0.9, 0.999], "eps": 1e-6, "weight_decay": 0.01,
                                    "trust_ratio": True}
    assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.95


def test_adafactor_trains_as_its_plugin_takes_it():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Adafactor(lr=0.05), "softmax_cross_entropy", seed=1)
    assert net.spec["optimizer"] == {"type": "adafactor", "lr": 0.05, "beta2_decay": -0.8, "eps": [None, 1e-3], "d": 1.0,
                                    "weight_decay": 0.0}
    assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.95


def test_rprop_trains_full_batch_as_its_plugin_takes_it():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Rprop(), "softmax_cross_entropy", seed=1)
    assert net.spec["optimizer"] == {"type": "rprop", "lr": 1e-2, "etas": [0.5, 1.2], "step_sizes": [1e-6, 50.0]}
    assert net.fit(x, y, epochs=30, batch_size=len(x), progress=False)[-1]["accuracy"] > 0.95


def test_lars_trains_as_its_plugin_takes_it():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Lars(lr=1.0, momentum=0.9, weight_decay=1e-4, trust_coefficient=0.02), "softmax_cross_entropy", seed=1)
    assert net.spec["optimizer"]["type"] == "lars" and net.spec["optimizer"]["trust_coefficient"] == 0.02
    assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.95
