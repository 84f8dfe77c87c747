"""Keras's habits: input_shape on the first layer, compile's metrics, fit's, evaluate's and predict's verbose, an x of
one axis, history.history, the EarlyStopping and ModelCheckpoint callbacks, and a validation_split of sorted arrays.
Run by CTest (python_bindings) with PYTHONPATH=build/python."""
import warnings

import numpy as np
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


def test_evaluate_and_predict_write_kerass_line_where_verbose_asks_for_it(capsys):
    """TensorFlow's first tutorial ends on model.evaluate(x_test, y_test, verbose=2)."""
    x, y = blobs()
    net = small_network()
    net.fit(x, y, epochs=1, verbose=0)
    scores = net.evaluate(x, y, batch_size=256, verbose=2)
    net.predict(x, batch_size=256)
    assert capsys.readouterr().out == "3/3 - 0s - loss: {:.4f} - accuracy: {:.4f}\n".format(scores["loss"], scores["accuracy"])
    net.predict(x, batch_size=100, verbose=1)
    assert capsys.readouterr().out == "6/6 - 0s\n"
    with pytest.raises(ValueError, match="predict: verbose must be 0, 1 or 2, got -1"):
        net.predict(x, verbose=-1)


def test_verbose_beside_progress_or_out_of_range_is_refused():
    x, y = blobs()
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2, got 3"):
        small_network().fit(x, y, epochs=1, verbose=3)
    with pytest.raises(ValueError, match="give verbose"):
        small_network().fit(x, y, epochs=1, verbose=0, progress=False)


def test_an_x_of_one_axis_is_samples_of_one_value_as_keras_reads_it():
    """Keras's first example: y = 2x - 1 from six points, x and y of one axis each."""
    xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(1)]))
    net.compile(nnplug.SGD(lr=0.05), "mse", seed=1)
    net.fit(xs, 2 * xs - 1, epochs=500, batch_size=6, progress=False)
    assert net.predict(np.array([10.0])).shape == (1, 1) and net.predict(np.array([10.0]))[0, 0] == pytest.approx(19.0, abs=1e-3)


def test_compile_takes_the_metrics_nnplug_reports_and_refuses_others():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
    net.compile("adam", "softmax_cross_entropy", metrics=["accuracy"])
    assert "accuracy" in net.fit(x, y, epochs=1, verbose=0)[0]
    with pytest.raises(ValueError, match="compile: metrics: nnplug reports the loss and accuracy .* and not 'AUC'"):
        net.compile("adam", "softmax_cross_entropy", metrics=["accuracy", "AUC"])


def test_input_shape_on_the_first_layer_builds_the_network_at_once():
    net = nnplug.Network(nnplug.Sequential([nnplug.Flatten(input_shape=(2, 2)), nnplug.Dense(3)]))
    assert "input                       [2, 2]" in str(net)
    assert np.asarray(net.state_dict()["1.weight"]).shape == (3, 4)  # named as in PyTorch's nn.Sequential
    with pytest.raises(ValueError, match=r"layers\[0\]: input_shape must hold whole numbers, as Keras's \(28, 28\) does, got \[2.5\]"):
        nnplug.Network(nnplug.Sequential([nnplug.Dense(3, input_shape=(2.5,))]))
    with pytest.raises(ValueError, match=r"layers\[1\]: input_shape is Keras's argument of the first layer only"):
        nnplug.Network(nnplug.Sequential([nnplug.Flatten(), nnplug.Dense(3, input_shape=(4,))]))


def test_fits_history_is_a_list_of_epochs_with_kerass_history_beside_it():
    x, y = blobs()
    history = small_network().fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    assert [record["epoch"] for record in history] == [1, 2, 3] and history.epoch == [0, 1, 2]
    assert history.history["val_accuracy"] == [record["val_accuracy"] for record in history]
    assert list(history.history)[:2] == ["loss", "accuracy"]


def test_kerass_callbacks_stop_and_save_as_keras_does(tmp_path):
    x, y = blobs()
    # min_delta past any change: no epoch improves on the first, and Keras's patience 0 stops at the second.
    stop = nnplug.EarlyStopping(min_delta=1e9)
    history = small_network().fit(x, y, epochs=10, validation_split=0.2, verbose=0, callbacks=[stop])
    assert len(history) == 2
    checkpoint = nnplug.ModelCheckpoint(tmp_path / "m-{epoch:02d}.safetensors")
    small_network().fit(x, y, epochs=2, validation_split=0.2, verbose=0, callbacks=[checkpoint])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m-01.safetensors", "m-02.safetensors"]
    assert nnplug.Network.load(tmp_path / "m-02.safetensors").predict(x[:1]).shape == (1, 3)


def test_a_validation_split_of_arrays_sorted_by_class_is_warned_of():
    """Keras's split takes the last samples: of arrays sorted by class, classes that training never sees."""
    x, y = blobs()
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1), np.flatnonzero(y == 2)[:50]])  # class 2 last, 50 of it
    sorted_split = r"the last 0.2 of the samples, .* hold class 2 that no training sample has: are the arrays sorted"
    with pytest.warns(UserWarning, match=sorted_split):
        small_network().fit(x[keep], y[keep], epochs=1, validation_split=0.2, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small_network().fit(x, y, epochs=1, validation_split=0.2, verbose=0)


def test_evaluate_unpacks_as_kerass_list_of_the_loss_and_the_score():
    """TensorFlow's first tutorial: test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)."""
    x, y = blobs()
    net = small_network()
    net.fit(x, y, epochs=2, verbose=0)
    test_loss, test_acc = net.evaluate(x, y)
    scores = net.evaluate(x, y)
    assert isinstance(test_acc, float) and test_acc > 0.9
    assert (test_loss, test_acc) == (scores["loss"], scores["accuracy"]) == (scores[0], scores[1])  # Keras's score[1]
    assert list(scores.keys()) == ["loss", "accuracy"] and scores[-1] == test_acc
    assert net.evaluate(x, y, return_dict=False) == [test_loss, test_acc]
    assert type(net.evaluate(x, y, return_dict=True)) is dict


def test_calling_the_network_gives_its_raw_outputs_as_keras_and_pytorch_do():
    """TensorFlow's first tutorial calls the model before compiling it: predictions = model(x_train[:1])."""
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, activation="relu", input_shape=(4,)), nnplug.Dense(3)]))
    w1, b1, w2, b2 = (np.asarray(v, dtype=np.float64) for v in net.state_dict().values())
    by_hand = np.maximum(x[:5] @ w1.T + b1, 0) @ w2.T + b2  # PyTorch's Linear: x W^T + b
    np.testing.assert_allclose(net(x[:5]), by_hand, rtol=1e-5, atol=1e-6)
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=1)
    net.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(net(x[:5]), net.predict(x[:5], output="logits"))


def test_whole_numbers_given_to_a_regression_are_its_values_as_in_keras():
    """An integer y (counts, ages, -3 to 30) given to mse on one output is regressed on, as Keras's mse takes it:
    the same training as y in float; labels of 0 and 1, or a network of several outputs, still read classes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    y = np.round(10 + 6 * x[:, 0] - 4 * x[:, 1]).astype(np.int64)
    assert y.min() < 0 and y.max() > 20

    def trained(targets, outputs=1, loss="mse"):
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, activation="tanh"), nnplug.Dense(outputs)]))
        net.compile(nnplug.Adam(lr=0.01), loss, dtype="float64", seed=2)
        return net, net.fit(x, targets, epochs=3, batch_size=50, verbose=0)

    as_ints, history = trained(y)
    as_floats, _ = trained(y.astype(np.float64))
    np.testing.assert_array_equal(as_ints.predict(x), as_floats.predict(x))
    assert "mae" in history[-1] and as_ints.evaluate(x, y)["mae"] == pytest.approx(as_floats.evaluate(x, y.astype(np.float64))["mae"])
    assert "accuracy" in trained((y > 10).astype(np.int64))[1][-1]  # 0 and 1: a label regressed on, scored by accuracy
    assert "accuracy" in trained(y % 4, outputs=4)[1][-1]  # classes, one-hot for mse over 4 outputs


def test_summary_prints_the_table_as_kerass_does(capsys):
    """Keras's summary() prints (a script that calls it shows the table) and returns None; print(net) as PyTorch's."""
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
    assert str(net) == "nnplug.Network, not built yet: fit(), or build(sample_shape), gives it its shapes"
    net.build([4])
    assert net.summary() is None
    table = capsys.readouterr().out
    assert table.startswith("layer ") and "layers[0] (dense)           [3]                 15" in table and table == str(net) + "\n"
    lines = []
    net.summary(print_fn=lines.append)
    assert lines == str(net).split("\n") and len(lines) > 2


def test_class_names_as_y_are_refused_with_how_to_number_them():
    net = small_network()
    with pytest.raises(TypeError, match=r"fit: y must hold class labels \(whole numbers\), got <U6; number the class names first, as Keras and "
                                        r"PyTorch need them numbered too: names, y = numpy.unique\(y, return_inverse=True\)"):
        net.fit(np.ones((3, 4), np.float32), np.array(["cat", "dog", "parrot"]), verbose=0)


def test_reduce_lr_on_plateau_in_kerass_names_counts_as_kerass_does():
    """Keras's docs' example: ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=5, min_lr=0.001). A loss that
    never improves on the first epoch's (min_delta past any change) lowers the rate after every later epoch with
    patience 1, where PyTorch's counting waits for two bad epochs each time."""
    assert nnplug.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001) == {
        "type": "reduce_lr_on_plateau", "rules": "keras", "monitor": "val_loss", "factor": 0.2, "patience": 5, "threshold": 1e-4,
        "threshold_mode": "abs", "cooldown": 0, "min_lr": 0.001}
    x, y = blobs()
    net = small_network()
    keras = nnplug.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    history = net.fit(x, y, epochs=5, batch_size=100, verbose=0, callbacks=[keras])
    assert [round(h["lr"], 12) for h in history] == [0.01, 0.01, 0.005, 0.0025, 0.00125]
    history = small_network().fit(x, y, epochs=5, batch_size=100, verbose=0, callbacks=[dict(keras, rules="pytorch")])
    assert [round(h["lr"], 12) for h in history] == [0.01, 0.01, 0.01, 0.005, 0.005]
    with pytest.raises(ValueError, match='ReduceLROnPlateau: mode "min" for val_accuracy, which nnplug always maximizes'):
        nnplug.ReduceLROnPlateau(monitor="val_accuracy", mode="min")


def test_rescaling_inside_the_model_takes_raw_pixels_as_kerass_does():
    """Keras's image tutorials begin the model with layers.Rescaling(1./255): the saved model takes raw uint8 pixels."""
    pixels = np.arange(0, 256, 51, dtype=np.uint8).reshape(2, 3)
    net = nnplug.Network(nnplug.Sequential([nnplug.Rescaling(1 / 255, input_shape=(3,))]))
    np.testing.assert_allclose(net(pixels), pixels / 255, rtol=1e-6)
    shifted = nnplug.Network(nnplug.Sequential([nnplug.Rescaling(1 / 127.5, offset=-1, input_shape=(3,))]))
    np.testing.assert_allclose(shifted(pixels), pixels / 127.5 - 1, rtol=1e-6, atol=1e-7)


def test_normalization_adapted_to_the_data_standardizes_inside_the_model_as_kerass_does(tmp_path):
    """Keras's regression tutorial: normalizer = layers.Normalization(axis=-1); normalizer.adapt(train_features). A
    feature constant in that data is centred and not scaled (Keras would divide it by 1e-7)."""
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.normal(5, 2, 50), rng.normal(-3, 0.5, 50), np.full(50, 7.0)]).astype(np.float32)
    normalizer = nnplug.Normalization(axis=-1)
    normalizer.adapt(x)
    net = nnplug.Network(nnplug.Sequential([nnplug.Normalization(**{k: v for k, v in normalizer.items() if k != "type"}, input_shape=(3,))]))
    with_adapted = nnplug.Network(nnplug.Sequential([normalizer, nnplug.Dense(1)]))
    with_adapted.build([3])
    want = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1)
    np.testing.assert_allclose(net(x), want, rtol=1e-5, atol=1e-5)
    # Images (N, C, H, W): one mean and variance per channel with axis=1.
    images = rng.normal(size=(4, 2, 3, 3)) + np.array([1.0, -4.0])[None, :, None, None]
    per_channel = nnplug.Normalization(axis=1)
    per_channel.adapt(images)
    assert len(per_channel["mean"]) == 2
    np.testing.assert_allclose(per_channel["mean"], images.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(per_channel["variance"], images.var(axis=(0, 2, 3)))
    column = nnplug.Normalization()
    column.adapt(x[:, 0])  # samples of one value, as fit reads an x of one axis
    assert column["mean"] == pytest.approx([x[:, 0].mean()]) and column["variance"] == pytest.approx([x[:, 0].var()])
    with pytest.raises(nnplug.Error, match="needs \"mean\" and \"variance\", the data's statistics"):
        nnplug.Network(nnplug.Sequential([nnplug.Normalization(), nnplug.Dense(1)])).build([3])


def test_fit_takes_the_specs_augmentation_of_every_training_batch():
    """Keras's ImageDataGenerator(horizontal_flip=True, rotation_range=10) as nnplug's augmentation: the same seed
    trains the same weights, the flips change them, and a name the augmentation does not take is refused."""
    rng = np.random.default_rng(5)
    images, labels = rng.normal(size=(64, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 64)

    def trained(**fit):
        net = nnplug.Network(nnplug.Sequential([nnplug.Flatten(), nnplug.Dense(3)]))
        net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy", seed=3)
        net.fit(images, labels, epochs=2, batch_size=16, verbose=0, **fit)
        return np.asarray(net.state_dict()["1.weight"])

    flipped = trained(augmentation={"horizontal_flip": True, "rotation": 10})
    np.testing.assert_array_equal(flipped, trained(augmentation={"horizontal_flip": True, "rotation": 10}))
    assert np.abs(flipped - trained()).max() > 1e-3
    with pytest.raises(nnplug.Error, match="unknown parameter 'rotation_range'.*Keras's 'rotation_range' is nnplug's 'rotation'"):
        trained(augmentation={"rotation_range": 10})


def test_builders_named_as_keras_and_pytorch_name_them_are_pointed_to_nnplugs():
    """nnplug.Conv2D (Keras's), nnplug.MaxPooling2D, nnplug.Linear (PyTorch's); Keras 2's Dense(64, input_dim=8)."""
    for theirs, ours in [("Conv2D", "Conv2d"), ("MaxPooling2D", "MaxPool2d"), ("BatchNormalization", "BatchNorm"), ("Linear", "Dense")]:
        with pytest.raises(AttributeError, match=r"module 'nnplug' has no attribute '{}' \(did you mean nnplug.{}\?\)".format(theirs, ours)):
            getattr(nnplug, theirs)
    with pytest.raises(AttributeError, match=r"no attribute 'Transformer'$"):
        nnplug.Transformer
    with pytest.raises(AttributeError, match=r"no attribute 'RandomFlip' \(Keras's augmentation layers are fit's augmentation"):
        nnplug.RandomFlip
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(4, input_dim=8), nnplug.Dense(1)]))
    assert np.asarray(net.state_dict()["0.weight"]).shape == (4, 8)
    embedded = nnplug.Network(nnplug.Sequential([nnplug.Embedding(input_dim=50, output_dim=4), nnplug.Flatten(), nnplug.Dense(1)]))
    embedded.build([3])
    assert np.asarray(embedded.state_dict()["0.weight"]).shape == (50, 4)  # an embedding's input_dim is its vocabulary


def test_a_second_fit_from_initial_epoch_goes_on_as_one_fit_would():
    """Keras's model.fit(x, y, epochs=4, initial_epoch=2) after a fit of 2 epochs: the same weights as 4 epochs in one
    fit, with shuffling, dropout, Adam and a schedule by epoch; the epochs numbered 3 and 4."""
    x, y = blobs(300)

    def network():
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, activation="tanh"), nnplug.Dropout(0.2), nnplug.Dense(3)]))
        net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", dtype="float64", seed=6, schedule={"type": "step", "step_size": 1, "gamma": 0.5})
        return net

    whole, parts = network(), network()
    whole.fit(x, y, epochs=4, batch_size=32, verbose=0)
    parts.fit(x, y, epochs=2, batch_size=32, verbose=0)
    history = parts.fit(x, y, epochs=4, batch_size=32, verbose=0, initial_epoch=2)
    assert [h["epoch"] for h in history] == [3, 4] and history[-1]["lr"] == pytest.approx(0.01 * 0.5 ** 3)
    for name, value in whole.state_dict().items():
        np.testing.assert_allclose(np.asarray(parts.state_dict()[name]), np.asarray(value), rtol=0, atol=1e-12, err_msg=name)
    with pytest.raises(ValueError, match=r"fit: initial_epoch must be in \[0, 2147483647\], got -1"):
        parts.fit(x, y, epochs=1, initial_epoch=-1)
