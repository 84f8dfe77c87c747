"""Sequences from Python: an LSTM, an embedding, conv1d, attention with and without padding against NumPy's
equations, a label per step, and an encoder-decoder built from the example block files. Run by CTest
(python_bindings) with PYTHONPATH=build/python."""
import os

import numpy as np
import pytest

import nnplug


def test_an_lstm_computes_the_equations_numpy_computes_from_its_state_dict():
    """The LSTM's every-step output against the gate equations written out in NumPy (float64), with the weights
    read from the network's state dict under PyTorch's names; then classifiers with an LSTM and with a GRU that
    must remember the first step of a sequence learn it, which a model without memory cannot."""
    net = nnplug.Network(nnplug.Sequential([nnplug.LSTM(5, return_sequences=True, name="rnn")]))
    net.compile(nnplug.Adam(), "mse", dtype="float64", seed=4)
    net.build([6, 3])
    state = {name: np.from_dlpack(view) for name, view in net.state_dict().items()}
    assert sorted(state) == ["rnn.bias_hh_l0", "rnn.bias_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l0"]
    x = np.random.default_rng(0).normal(size=(4, 6, 3))
    w_ih, w_hh, bias = state["rnn.weight_ih_l0"], state["rnn.weight_hh_l0"], state["rnn.bias_ih_l0"] + state["rnn.bias_hh_l0"]
    sigmoid = lambda a: 1 / (1 + np.exp(-a))
    h, c, expected = np.zeros((4, 5)), np.zeros((4, 5)), []
    for t in range(6):
        i, f, g, o = np.split(x[:, t] @ w_ih.T + h @ w_hh.T + bias, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        expected.append(h)
    # predict gives the output's (6, 5) per sample, in float32 (computed in float64)
    np.testing.assert_allclose(net.predict(x), np.stack(expected, axis=1), rtol=2e-7, atol=1e-9)

    # The label is the sign of the first step's value; the five steps after it are noise (0.99 or more for seeds 1 to
    # 6 after 20 epochs, seed 3 after these 12; a model without memory scores one half).
    rng = np.random.default_rng(1)
    sequences = rng.normal(size=(600, 6, 1)).astype(np.float32)
    labels = (sequences[:, 0, 0] > 0).astype(np.int64)
    for recurrent in (nnplug.LSTM, nnplug.GRU):  # the GRU: 0.99 or more for seeds 1 to 6 after these 12 epochs
        memory = nnplug.Network(nnplug.Sequential([recurrent(16), nnplug.Dense(2)]))
        memory.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=3)
        memory.fit(sequences[:500], labels[:500], epochs=12, batch_size=20, progress=False)
        assert memory.evaluate(sequences[500:], labels[500:])["accuracy"] > 0.95, recurrent


def test_an_embedding_reads_integer_token_ids_as_keras_and_pytorch_take_them():
    """Token ids as NumPy integers (int64, as a tokenizer gives them): an embedding alone gives each id's row of its
    table, read from the state dict under PyTorch's name; with a GRU after it, a model learns whether a sequence's
    first id is below 5, the ids after it being noise."""
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 10, size=(600, 6))
    lookup = nnplug.Network(nnplug.Sequential([nnplug.Embedding(10, 3, name="emb")]))
    lookup.compile(nnplug.Adam(), "mse", seed=1)
    lookup.build([6])
    table = np.from_dlpack(lookup.state_dict()["emb.weight"])
    assert table.shape == (10, 3)
    np.testing.assert_array_equal(lookup.predict(ids[:5]), table[ids[:5]])

    labels = (ids[:, 0] < 5).astype(np.int64)
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(10, 8), nnplug.GRU(16), nnplug.Dense(2)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=3)
    net.fit(ids[:500], labels[:500], epochs=12, batch_size=20, progress=False)
    assert net.evaluate(ids[500:], labels[500:])["accuracy"] > 0.95


def test_conv1d_is_a_cross_correlation_and_finds_a_motif_anywhere():
    """conv1d's output is the cross-correlation NumPy computes from its state dict; with a global max pooling over
    the length, a 1-D CNN learns whether a motif occurs anywhere in a sequence."""
    rng = np.random.default_rng(4)
    conv = nnplug.Network(nnplug.Sequential([nnplug.Conv1d(3, 3, padding=1, name="c")]))
    conv.compile(nnplug.Adam(), "mse", seed=1)
    conv.build([2, 10])
    w, b = (np.from_dlpack(conv.state_dict()[f"c.{name}"]) for name in ("weight", "bias"))
    assert w.shape == (3, 2, 3)
    x = rng.normal(size=(4, 2, 10)).astype(np.float32)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    want = np.stack([np.einsum("nck,fck->nf", padded[:, :, t:t + 3], w) for t in range(10)], axis=2) + b[None, :, None]
    np.testing.assert_allclose(conv.predict(x), want, rtol=1e-5, atol=1e-5)

    sequences = rng.normal(scale=0.3, size=(800, 1, 20)).astype(np.float32)
    labels = rng.integers(0, 2, size=800)
    for seq, label, at in zip(sequences, labels, rng.integers(0, 17, size=800)):
        if label:
            seq[0, at:at + 3] += [1.0, 2.0, 1.0]
    net = nnplug.Network(nnplug.Sequential([nnplug.Conv1d(4, 3, activation="relu"), nnplug.GlobalMaxPool1d(), nnplug.Dense(2)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=3)  # 0.995 or more for seeds 1 to 7
    net.fit(sequences[:600], labels[:600], epochs=10, batch_size=20, progress=False)
    assert net.evaluate(sequences[600:], labels[600:])["accuracy"] > 0.95


def test_conv1d_transpose_is_the_scatter_of_each_step_by_its_weights():
    """conv1d_transpose at stride 2: each input step adds its weights, times the step's values, at twice its place,
    as NumPy computes from the state dict; PyTorch's length (L - 1) 2 + k."""
    rng = np.random.default_rng(6)
    up = nnplug.Network(nnplug.Sequential([nnplug.ConvTranspose1d(3, 4, stride=2, name="t")]))
    up.compile(nnplug.Adam(), "mse", seed=1)
    up.build([2, 5])
    w, b = (np.from_dlpack(up.state_dict()[f"t.{name}"]) for name in ("weight", "bias"))
    assert w.shape == (2, 3, 4)  # [in channels, filters, k], as PyTorch's ConvTranspose1d
    x = rng.normal(size=(4, 2, 5)).astype(np.float32)
    want = np.zeros((4, 3, (5 - 1) * 2 + 4), dtype=np.float64)
    for t in range(5):
        want[:, :, 2 * t:2 * t + 4] += np.einsum("nc,cfk->nfk", x[:, :, t], w)
    np.testing.assert_allclose(up.predict(x), want + b[None, :, None], rtol=1e-5, atol=1e-5)


def test_an_lstm_autoencoder_repeats_its_code_for_the_decoder():
    """Keras's LSTM autoencoder: an encoder's last state, repeat_vector'd to every step, decoded by an LSTM read out
    per step; repeat_vector alone is NumPy's repeat along a new steps axis."""
    rng = np.random.default_rng(7)
    repeat = nnplug.Network(nnplug.Sequential([nnplug.RepeatVector(3)]))
    repeat.compile(nnplug.Adam(), "mse", seed=1)
    repeat.build([5])
    x = rng.normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(repeat.predict(x), np.repeat(x[:, None, :], 3, axis=1))
    t = np.linspace(0, 2 * np.pi, 8, dtype=np.float32)
    waves = np.sin(t[None, :] + rng.uniform(0, 2 * np.pi, size=(300, 1)).astype(np.float32))[:, :, None]  # [300, 8, 1]
    net = nnplug.Network(nnplug.Sequential([nnplug.LSTM(16), nnplug.RepeatVector(8), nnplug.LSTM(16, return_sequences=True),
                                            nnplug.Dense(1)]))
    net.compile(nnplug.Adam(lr=0.01), "mse", seed=2)
    history = net.fit(waves, waves.reshape(300, 8), epochs=15, batch_size=20, progress=False)
    assert history[-1]["loss"] < 0.2 * history[0]["loss"]


def test_a_text_cnn_reads_token_ids_through_permute():
    """Keras's and PyTorch's text CNN: token ids, an embedding ([steps, width]), permute to conv1d's [channels,
    length] (NumPy's transpose of the looked-up rows), a convolution over pairs of ids and a global max pooling:
    it learns whether the pair (3, 7) occurs anywhere in a sequence."""
    rng = np.random.default_rng(5)
    lookup = nnplug.Network(nnplug.Sequential([nnplug.Embedding(10, 4, name="emb"), nnplug.Permute([2, 1])]))
    lookup.compile(nnplug.Adam(), "mse", seed=1)
    lookup.build([6])
    ids = rng.integers(0, 10, size=(800, 12))
    table = np.from_dlpack(lookup.state_dict()["emb.weight"])
    np.testing.assert_array_equal(lookup.predict(ids[:5, :6]), table[ids[:5, :6]].transpose(0, 2, 1))

    labels = rng.integers(0, 2, size=800)
    for seq, label, at in zip(ids, labels, rng.integers(0, 11, size=800)):
        seq[1:][(seq[:-1] == 3) & (seq[1:] == 7)] = 8  # no pair by chance
        if label:
            seq[at:at + 2] = [3, 7]
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(10, 8), nnplug.Permute([2, 1]), nnplug.Conv1d(16, 2, activation="relu"),
                                            nnplug.GlobalMaxPool1d(), nnplug.Dense(2)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=3)  # 1.0 for seeds 1 to 7
    net.fit(ids[:600], labels[:600], epochs=10, batch_size=20, progress=False)
    assert net.evaluate(ids[600:], labels[600:])["accuracy"] > 0.95


def test_dense_maps_each_step_of_a_sequence_as_pytorch_and_keras_do():
    """dense on [steps, features] maps every step with one weight (NumPy's x W^T + b); after an lstm that returns
    every step's h, it reads out each step: here the running sum of the inputs so far."""
    rng = np.random.default_rng(6)
    readout = nnplug.Network(nnplug.Sequential([nnplug.Dense(3, name="d")]))
    readout.compile(nnplug.Adam(), "mse", seed=1)
    readout.build([5, 4])
    w, b = (np.from_dlpack(readout.state_dict()[f"d.{name}"]) for name in ("weight", "bias"))
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    np.testing.assert_allclose(readout.predict(x), x @ w.T + b, rtol=1e-5, atol=1e-6)

    x = rng.normal(size=(800, 10, 1)).astype(np.float32)
    sums = np.cumsum(x, axis=1).reshape(800, 10)  # variance 5.5 on average over the steps
    net = nnplug.Network(nnplug.Sequential([nnplug.LSTM(16, return_sequences=True), nnplug.Dense(1)]))
    net.compile(nnplug.Adam(lr=0.01), "mse", seed=3)  # 0.015 or less for seeds 1 to 5
    net.fit(x[:600], sums[:600], epochs=20, batch_size=20, progress=False)
    assert net.evaluate(x[600:], sums[600:])["loss"] < 0.05


def test_a_label_per_step_trains_a_tagger_as_keras_does():
    """(N, steps) whole numbers train a model that scores every step, as Keras's sparse categorical cross-entropy
    takes them on (N, steps, classes): here each step's label is the token before it, which an LSTM remembers and a
    model of each step alone cannot (1/5). -100 marks steps that are not scored (padding), left out of the accuracy
    as NumPy counts it from predict's classes."""
    rng = np.random.default_rng(7)
    tokens = rng.integers(0, 5, size=(600, 8))
    labels = np.concatenate([np.full((600, 1), -100), tokens[:, :-1]], axis=1)
    labels[::3, 6:] = -100  # a third of the sequences padded at the end
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(5, 8), nnplug.LSTM(32, return_sequences=True), nnplug.Dense(5)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=2)
    history = net.fit(tokens[:500], labels[:500], epochs=10, batch_size=25, progress=False)
    assert history[-1]["accuracy"] > 0.95
    p = net.predict(tokens[500:])
    assert p.shape == (100, 8, 5)
    np.testing.assert_allclose(p.sum(axis=2), 1.0, rtol=1e-5)
    classes = net.predict(tokens[500:], output="classes")
    assert classes.shape == (100, 8)
    np.testing.assert_array_equal(classes, p.argmax(axis=2))
    scored = labels[500:] >= 0
    assert net.evaluate(tokens[500:], labels[500:])["accuracy"] == pytest.approx((classes[scored] == labels[500:][scored]).mean())


def test_nll_on_log_softmax_takes_a_label_per_step_as_pytorchs_tagger_does():
    """PyTorch's sequence-tagging tutorial ends its model in log_softmax and trains it with NLLLoss: the same (N, steps)
    labels train it here, each scored step's class one-hot for that loss of values. predict gives a row of
    probabilities per step, even without labels: the exponentials of the log-probabilities that output="logits" gives,
    as softmax takes them. evaluate's loss is NumPy's mean of -log p over the scored steps."""
    rng = np.random.default_rng(7)
    tokens = rng.integers(0, 5, size=(600, 8))
    labels = np.concatenate([np.full((600, 1), -100), tokens[:, :-1]], axis=1)
    labels[::3, 6:] = -100
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(5, 8), nnplug.LSTM(32, return_sequences=True),
                                            nnplug.Dense(5, activation="log_softmax")]))
    net.compile(nnplug.Adam(lr=0.01), "nll", seed=2)
    history = net.fit(tokens[:500], labels[:500], epochs=10, batch_size=25, progress=False)
    assert history[-1]["accuracy"] > 0.95
    log_p = net.predict(tokens[500:], output="logits")
    assert log_p.shape == (100, 8, 5)
    np.testing.assert_allclose(np.exp(log_p).sum(axis=2), 1.0, rtol=1e-5)
    np.testing.assert_allclose(net.predict(tokens[500:]), np.exp(log_p), rtol=1e-5, atol=1e-7)
    scored, test_labels = labels[500:] >= 0, labels[500:]
    picked = np.take_along_axis(log_p, np.where(scored, test_labels, 0)[..., None], axis=2)[..., 0]
    result = net.evaluate(tokens[500:], test_labels)
    assert result["loss"] == pytest.approx(-picked[scored].mean(), rel=1e-5)
    assert result["accuracy"] == pytest.approx((log_p.argmax(axis=2)[scored] == test_labels[scored]).mean())


def test_class_probabilities_per_step_take_a_softmax_per_step():
    """(N, steps, classes) probabilities as y, as PyTorch's CrossEntropyLoss takes (N, C, T) ones: each step's softmax
    is its own, evaluate's loss is NumPy's mean over the steps of -sum t log softmax of predict's logits, its accuracy
    that of each step's most probable class, and predict gives a row of probabilities per step."""
    rng = np.random.default_rng(7)
    tokens = rng.integers(0, 5, size=(600, 8))
    before = np.concatenate([np.zeros((600, 1), dtype=np.int64), tokens[:, :-1]], axis=1)
    y = np.full((600, 8, 5), 0.05)
    y[np.arange(600)[:, None], np.arange(8)[None, :], before] = 0.8  # the token before, smoothed
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(5, 8), nnplug.LSTM(32, return_sequences=True), nnplug.Dense(5)]))
    net.compile(nnplug.Adam(lr=0.01), {"type": "softmax_cross_entropy", "targets": "probabilities"}, seed=2)
    history = net.fit(tokens[:500], y[:500], epochs=10, batch_size=25, progress=False)
    assert history[-1]["accuracy"] > 0.95
    logits = net.predict(tokens[500:], output="logits")
    assert logits.shape == (100, 8, 5)
    shifted = logits - logits.max(axis=2, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    result = net.evaluate(tokens[500:], y[500:])
    assert result["loss"] == pytest.approx(-(y[500:] * log_p).sum(axis=2).mean(), rel=1e-5)
    assert result["accuracy"] == pytest.approx((log_p.argmax(axis=2) == y[500:].argmax(axis=2)).mean())
    np.testing.assert_allclose(net.predict(tokens[500:]), np.exp(log_p), rtol=1e-4, atol=1e-6)


def test_targets_per_step_lie_as_the_output_and_fit_reports_their_mean_over_the_steps():
    """y of several axes is read as the model's output lies: (N, classes, steps) for a [steps, classes] output is
    refused rather than read in C order as it; an axis of length 1 moves no value and is taken. fit's loss is the mean
    over the steps, as evaluate's: at a rate of 0, fit's and evaluate's on the same weights are NumPy's."""
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 5, size=(40, 8))
    y = rng.dirichlet(np.ones(5), size=(40, 8))
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(5, 8), nnplug.LSTM(8, return_sequences=True), nnplug.Dense(5)]))
    net.compile(nnplug.SGD(lr=0.0), {"type": "softmax_cross_entropy", "targets": "probabilities"}, seed=2)
    with pytest.raises(nnplug.ShapeError, match=r"fit: y: the targets have shape \[5, 8\] per sample, but the model outputs \[8, 5\]"):
        net.fit(tokens, y.transpose(0, 2, 1), epochs=1, progress=False)
    history = net.fit(tokens, y[..., None], epochs=1, batch_size=40, progress=False)
    logits = net.predict(tokens, output="logits")
    shifted = logits - logits.max(axis=2, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    expected = -(y * log_p).sum(axis=2).mean()
    assert history[-1]["loss"] == pytest.approx(expected, rel=1e-5)
    assert net.evaluate(tokens, y)["loss"] == pytest.approx(expected, rel=1e-5)


def test_self_attention_is_numpys_and_learns_whether_the_first_token_recurs():
    """multi_head_attention's output is the scaled dot-product attention NumPy computes from its state dict (each
    step sees every step, or with causal the steps up to itself); with it a model learns whether a sequence's first
    token occurs again, which a model that looks at each step alone does not (0.73 to 0.86 in its place)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 5, 4)).astype(np.float32)
    for causal in (False, True):
        attention = nnplug.Network(nnplug.Sequential([nnplug.MultiHeadAttention(2, causal=causal, name="a")]))
        attention.compile(nnplug.Adam(), "mse", seed=1)
        attention.build([5, 4])
        w_in, w_out = (np.from_dlpack(attention.state_dict()[f"a.{name}"]) for name in ("in_proj_weight", "out_proj.weight"))
        q, k, v = (t.reshape(3, 5, 2, 2).transpose(0, 2, 1, 3) for t in np.split(x @ w_in.T, 3, axis=-1))  # zero biases
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(2) + (np.triu(np.full((5, 5), -np.inf), 1) if causal else 0)
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)
        want = (weights @ v).transpose(0, 2, 1, 3).reshape(3, 5, 4) @ w_out.T
        np.testing.assert_allclose(attention.predict(x), want, rtol=1e-5, atol=1e-5)

    ids = rng.integers(0, 10, size=(1000, 8))
    labels = (ids[:, 1:] == ids[:, :1]).any(axis=1).astype(np.int64)  # 51 % ones
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(10, 16), nnplug.PositionEmbedding(name="pos"), nnplug.MultiHeadAttention(2, name="att"),
                                            nnplug.Add(["att", "pos"]), nnplug.GlobalMaxPool1d(data_format="channels_last"), nnplug.Dense(2)]))
    net.compile(nnplug.Adam(lr=0.01), "softmax_cross_entropy", seed=1)  # 0.9 to 0.995 for seeds 1 to 7
    net.fit(ids[:800], labels[:800], epochs=30, batch_size=20, progress=False)
    assert net.evaluate(ids[800:], labels[800:])["accuracy"] > 0.95


def test_attention_with_padding_idx_masks_the_padding_steps_as_numpy_does():
    """With padding_idx the layer reads the token ids beside the sequence (an embedding's input) and no step attends
    to a padding step: NumPy's softmax with those keys left out, from the layer's own state dict."""
    ids = np.array([[4, 7, 1, 0, 0], [0, 3, 0, 9, 2]])
    net = nnplug.Network(nnplug.Sequential([nnplug.Embedding(10, 4, name="emb"),
                                            nnplug.MultiHeadAttention(2, padding_idx=0, name="a", inputs=["emb", "input"])]))
    net.compile(nnplug.Adam(), "mse", seed=2)
    net.build([5])
    state = {name: np.from_dlpack(t) for name, t in net.state_dict().items()}
    x = state["emb.weight"][ids]
    q, k, v = (t.reshape(2, 5, 2, 2).transpose(0, 2, 1, 3) for t in np.split(x @ state["a.in_proj_weight"].T, 3, axis=-1))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(2) + np.where(ids == 0, -np.inf, 0.0)[:, None, None, :]
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    want = (weights @ v).transpose(0, 2, 1, 3).reshape(2, 5, 4) @ state["a.out_proj.weight"].T
    np.testing.assert_allclose(net.predict(ids.astype(np.float32)), want, rtol=1e-5, atol=1e-5)


def test_an_encoder_decoder_is_built_from_block_files_and_learns_to_sort():
    blocks = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "blocks")
    sizes = dict(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0)
    net = nnplug.Network(nnplug.Sequential([
        nnplug.Cropping1d((0, 4), name="source"), nnplug.Embedding(11, 16), nnplug.PositionalEncoding(),
        nnplug.Block("encoder", name="encoder", **sizes),
        nnplug.Cropping1d((4, 0), name="target", inputs="input"), nnplug.Embedding(11, 16), nnplug.PositionalEncoding(name="target_positions"),
        nnplug.Block("decoder", name="decoder", inputs=["target_positions", "encoder"], **sizes),
        nnplug.Dense(10)],
        blocks={"encoder": os.path.join(blocks, "transformer_encoder_block.json"), "decoder": os.path.join(blocks, "transformer_decoder_block.json")}))
    net.compile(nnplug.Adam(lr=3e-3), "softmax_cross_entropy", seed=1)
    rng = np.random.default_rng(0)
    source = rng.integers(0, 10, size=(4000, 4))
    target = np.sort(source, axis=1)
    x = np.concatenate([source, np.full((4000, 1), 10), target[:, :3]], axis=1).astype(np.float32)
    net.fit(x[:3000], target[:3000].astype(np.int32), epochs=6, batch_size=32)
    assert {"decoder.self_attn.in_proj_weight", "decoder.multihead_attn.in_proj_weight", "decoder.norm3.weight"} <= set(net.state_dict())
    # Each step's most frequent digit is what a model that reads no source scores (0.27 here), and one whose memory
    # held the target itself would copy every step but the last (0.84, tried): 0.95 needs the source's order.
    baseline = np.mean([np.bincount(target[3000:, t]).max() / 1000 for t in range(4)])
    accuracy = net.evaluate(x[3000:], target[3000:].astype(np.int32))["accuracy"]
    assert baseline < 0.3 and accuracy > 0.95, (accuracy, baseline)


def test_a_label_per_pixel_trains_a_segmentation_net():
    """Pixels as steps: a 1x1 convolution scores 2 classes at every pixel of 6x6 images, a permute puts the classes
    last, and (N, 6, 6) labels (1 where a pixel is bright) train it, as (N, 36) ones would; without the labels per
    pixel it could not tell them. predict gives a class, or a row of the 2 classes' probabilities, at each pixel."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0] > 0.3).astype(np.int64)
    net = nnplug.Network(nnplug.Sequential([nnplug.Conv2d(2, 1), nnplug.Permute([2, 3, 1])]))
    net.compile(nnplug.Adam(lr=0.05), "softmax_cross_entropy", seed=3)
    net.fit(x, y, epochs=10, batch_size=20, progress=False)
    assert net.predict(x, output="classes").shape == (200, 6, 6)
    assert net.predict(x).shape == (200, 6, 6, 2)
    assert (net.predict(x, output="classes") == y).mean() > 0.97
    assert net.evaluate(x, y.reshape(200, 36))["accuracy"] == pytest.approx((net.predict(x, output="classes") == y).mean())
