"""nnplug from Python: networks built from a spec dict or from builders, trained on NumPy arrays.

    import nnplug
    net = nnplug.Network(nnplug.Sequential([nnplug.Dense(256, activation="relu"), nnplug.Dense(10)]))
    net.compile(nnplug.Adam(lr=1e-3), "softmax_cross_entropy", seed=42)
    history = net.fit(x_train, y_train, epochs=5, batch_size=128, validation_data=(x_test, y_test))
    probabilities = net.predict(x_test)          # or output="logits" / "classes"
    net.save("model.safetensors"); nnplug.Network.load("model.safetensors")

The builders return the dicts a spec holds, so a plugin without a builder is a dict too:
{"type": "my_layer", "width": 3}. nnplug's errors are nnplug.Error (ShapeError, InvalidArgument, PluginError,
IoError) with the messages the command line prints.
"""
import numpy as np

from ._nnplug import (Error, InvalidArgument, IoError, Network, PluginError, ShapeError, TextVectorization, load_plugins, plugins,
                      read_idx, read_image_folder, read_mnist_json, read_text_folder)

__all__ = ["History", "Scores", "Error", "InvalidArgument", "IoError", "Network", "PluginError", "ShapeError", "TextVectorization",
           "load_plugins", "plugins",
           "read_idx", "read_image_folder", "read_mnist_json", "read_text_folder",
           "Sequential", "Block", "layer", "Dense", "Conv2d", "ConvTranspose2d", "Upsample2d", "LSTM", "GRU", "RNN", "Embedding", "MultiHeadAttention", "PositionEmbedding", "PositionalEncoding", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "GlobalMaxPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
           "ZeroPadding2d", "Padding2d", "Padding1d", "Cropping2d", "Cropping1d",
           "Conv1d", "ConvTranspose1d", "Upsample1d", "RepeatVector", "GLU", "ChannelShuffle", "MaxPool1d", "AvgPool1d", "GlobalAvgPool1d",
           "GlobalMaxPool1d", "Flatten", "Rescaling", "Normalization", "Reshape", "Permute", "BatchNorm", "LayerNorm", "RMSNorm", "GroupNorm",
           "InstanceNorm",
           "Dropout", "SpatialDropout", "StochasticDepth", "PixelShuffle", "PixelUnshuffle", "Add", "Subtract", "Average", "Multiply", "Concat", "SGD", "Adam", "AdamW", "NAdam", "Adamax", "Lion", "Ftrl", "Lamb", "Lars", "Adafactor", "Rprop", "ASGD", "Zeros", "Constant", "Normal", "Uniform",
           "XavierUniform", "XavierNormal", "HeUniform", "HeNormal", "L1", "L2", "ElasticNet", "MaxNorm", "NonNeg",
           "UnitNorm", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup", "MultiStepLR", "PolynomialLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "SequentialLR", "EarlyStopping", "ModelCheckpoint",
           "ReduceLROnPlateau"]


class History(list):
    """What fit() gives: a dict per epoch ({"epoch": 1, "loss": ..., "accuracy": ..., "val_loss": ...}), and, as
    Keras's History gives them, .history (each score's values by epoch: history.history["val_loss"]) and .epoch
    (the epochs counted from 0)."""

    @property
    def history(self):
        keys = [key for record in self for key in record if key != "epoch"]
        return {key: [record[key] for record in self if key in record] for key in dict.fromkeys(keys)}

    @property
    def epoch(self):
        return [record["epoch"] - 1 for record in self]


class Scores(dict):
    """What evaluate() gives: {"loss": ..., "accuracy": ...} ("mae" for a regression), which also reads as the list
    Keras's evaluate returns, the loss first: test_loss, test_acc = net.evaluate(x, y) and score[1] (Keras's
    examples) give the numbers. So iterating it gives the values, as Keras's list does; keys() gives the names."""

    def __iter__(self):
        return iter(self.values())

    def __getitem__(self, key):
        if isinstance(key, (int, slice)) and not isinstance(key, bool):
            return list(self.values())[key]
        return dict.__getitem__(self, key)


def _sizes(value):
    """A size as given, or sizes (a tuple, a NumPy shape) as the list a spec holds."""
    return list(value) if hasattr(value, "__iter__") else value


def _given(spec, **fields):
    """spec with those of the fields that are given (not None)."""
    spec.update({key: value for key, value in fields.items() if value is not None})
    return spec


def layer(type, activation=None, name=None, inputs=None, **parameters):
    """Any layer plugin, with the fields every layer takes in a spec."""
    return _given({"type": type, **parameters}, activation=activation, name=name, inputs=inputs)


def Sequential(layers, blocks=None):
    """A spec of these layers; with name= and inputs= on them, any graph a spec describes. blocks: the blocks that
    Block() uses, by name: each an object as a spec writes one, or the file that holds one."""
    spec = {"layers": list(layers)}
    if blocks:
        spec["blocks"] = dict(blocks)
    return spec


def Block(block, name=None, inputs=None, **parameters):
    """A use of a block (a sub-graph used like a layer) with its parameters; for a block of several inputs, inputs
    lists them: Block("decoder", inputs=["target", "encoder"], d_model=32, nhead=4)."""
    return _given({"block": block, **parameters}, name=name, inputs=inputs)


def Dense(units, **fields):
    return layer("dense", units=units, **fields)


def Conv2d(filters, kernel_size, **fields):
    return layer("conv2d", filters=filters, kernel_size=kernel_size, **fields)


def ConvTranspose2d(filters, kernel_size, **fields):
    return layer("conv2d_transpose", filters=filters, kernel_size=kernel_size, **fields)


def Upsample2d(scale_factor=2, **fields):
    return layer("upsample2d", scale_factor=scale_factor, **fields)


def LSTM(units, **fields):
    return layer("lstm", units=units, **fields)


def GRU(units, **fields):
    return layer("gru", units=units, **fields)


def RNN(units, **fields):
    return layer("rnn", units=units, **fields)


def Embedding(input_dim, output_dim, **fields):
    return layer("embedding", input_dim=input_dim, output_dim=output_dim, **fields)


def MultiHeadAttention(num_heads, **fields):
    return layer("multi_head_attention", num_heads=num_heads, **fields)


def PositionEmbedding(**fields):
    return layer("position_embedding", **fields)


def PositionalEncoding(**fields):
    return layer("positional_encoding", **fields)


def MaxPool2d(pool_size=2, **fields):
    return layer("max_pool2d", pool_size=pool_size, **fields)


def AvgPool2d(pool_size=2, **fields):
    return layer("avg_pool2d", pool_size=pool_size, **fields)


def GlobalAvgPool2d(**fields):
    return layer("global_avg_pool2d", **fields)


def GlobalMaxPool2d(**fields):
    return layer("global_max_pool2d", **fields)


def AdaptiveAvgPool2d(output_size, **fields):
    return layer("adaptive_avg_pool2d", output_size=_sizes(output_size), **fields)


def AdaptiveMaxPool2d(output_size, **fields):
    return layer("adaptive_max_pool2d", output_size=_sizes(output_size), **fields)


def ZeroPadding2d(padding, **fields):
    return layer("zero_padding2d", padding=padding, **fields)


def Padding2d(padding, mode, **fields):
    """A border of mode "reflect", "replicate" or "circular" (or "zeros"), as PyTorch's ReflectionPad2d and the like."""
    return layer("padding2d", padding=padding, mode=mode, **fields)


def Padding1d(padding, mode="zeros", **fields):
    """Both ends of each sequence: a number or (start, end), with a border of mode, as PyTorch's ReflectionPad1d."""
    return layer("padding1d", padding=_sizes(padding), mode=mode, **fields)


def Cropping2d(cropping, **fields):
    return layer("cropping2d", cropping=cropping, **fields)


def Cropping1d(cropping, **fields):
    """Steps cut off each sample's first axis: a number (both ends) or (start, end), as Keras's Cropping1D."""
    return layer("cropping1d", cropping=_sizes(cropping), **fields)


def Conv1d(filters, kernel_size, **fields):
    return layer("conv1d", filters=filters, kernel_size=kernel_size, **fields)


def ConvTranspose1d(filters, kernel_size, **fields):
    return layer("conv1d_transpose", filters=filters, kernel_size=kernel_size, **fields)


def ChannelShuffle(groups, **fields):
    return layer("channel_shuffle", groups=groups, **fields)


def GLU(dim=-1, **fields):
    return layer("glu", dim=dim, **fields)


def RepeatVector(n, **fields):
    return layer("repeat_vector", n=n, **fields)


def Upsample1d(scale_factor=2, **fields):
    return layer("upsample1d", scale_factor=scale_factor, **fields)


def MaxPool1d(pool_size=2, **fields):
    return layer("max_pool1d", pool_size=pool_size, **fields)


def AvgPool1d(pool_size=2, **fields):
    return layer("avg_pool1d", pool_size=pool_size, **fields)


def GlobalAvgPool1d(**fields):
    return layer("global_avg_pool1d", **fields)


def GlobalMaxPool1d(**fields):
    return layer("global_max_pool1d", **fields)


def Flatten(**fields):
    return layer("flatten", **fields)


def Rescaling(scale, offset=0.0, **fields):
    """scale * x + offset inside the model, as Keras's Rescaling: Rescaling(1 / 255) takes pixels of 0 to 255."""
    return layer("rescaling", scale=scale, offset=offset, **fields)


class Normalization(dict):
    """Keras's Normalization, as nnplug's normalization layer: (x - mean) / sqrt(variance) for each entry of `axis` (a
    sample axis counted from 1 as Keras counts them, -1 the last; axis=1 for the channels of nnplug's channels-first
    images; None one pair for everything), its statistics given, or computed from data by adapt(x) as Keras's adapt
    does (a variance of 0 divides by 1). The spec's dict, which the network's spec and saved model keep."""

    def __init__(self, axis=-1, mean=None, variance=None, **fields):
        super().__init__(type="normalization", axis=axis, **fields)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither and call adapt(x)")
        if mean is not None:
            self.update(mean=_numbers(mean), variance=_numbers(variance))

    def adapt(self, data):
        """The mean and the (biased) variance of data, (N, sample...), over every axis but `axis`."""
        x = np.asarray(data, dtype=np.float64)
        if x.ndim == 1:  # samples of one value, as fit reads an x of one axis
            x = x[:, None]
        if x.ndim < 2 or len(x) == 0:
            raise ValueError("Normalization.adapt: data must be samples, shape (N, features...), got shape {}".format(x.shape))
        axis = self["axis"]
        if axis is not None and not -1 <= axis < x.ndim or axis == 0:
            raise ValueError("Normalization.adapt: axis {} is not a sample axis of data of shape {}".format(axis, x.shape))
        kept = None if axis is None else axis % x.ndim
        over = tuple(a for a in range(x.ndim) if a != kept)
        self.update(mean=x.mean(axis=over).ravel().tolist(), variance=x.var(axis=over).ravel().tolist())


def _numbers(values):
    return np.asarray(values, dtype=np.float64).ravel().tolist()


def Reshape(shape, **fields):
    return layer("reshape", shape=list(shape), **fields)


def Permute(dims, **fields):
    return layer("permute", dims=list(dims), **fields)


def BatchNorm(**fields):
    return layer("batch_norm", **fields)


def LayerNorm(normalized_shape=None, **fields):
    if normalized_shape is not None:
        fields["normalized_shape"] = _sizes(normalized_shape)
    return layer("layer_norm", **fields)


def RMSNorm(normalized_shape=None, **fields):
    if normalized_shape is not None:
        fields["normalized_shape"] = _sizes(normalized_shape)
    return layer("rms_norm", **fields)


def SpatialDropout(rate, **fields):
    return layer("spatial_dropout", rate=rate, **fields)


def PixelShuffle(upscale_factor, **fields):
    """torch's PixelShuffle: r² channels into r x r pixels, (C r², H, W) -> (C, H r, W r)."""
    return layer("pixel_shuffle", upscale_factor=upscale_factor, **fields)


def PixelUnshuffle(downscale_factor, **fields):
    """torch's PixelUnshuffle: r x r pixels into r² channels, (C, H r, W r) -> (C r², H, W)."""
    return layer("pixel_unshuffle", downscale_factor=downscale_factor, **fields)


def StochasticDepth(rate, **fields):
    """Drops a residual branch for whole samples (timm's DropPath; mode="batch": the whole batch, as torchvision's)."""
    return layer("stochastic_depth", rate=rate, **fields)


def GroupNorm(num_groups, **fields):
    return layer("group_norm", num_groups=num_groups, **fields)


def InstanceNorm(**fields):
    return layer("instance_norm", **fields)


def Dropout(rate, **fields):
    return layer("dropout", rate=rate, **fields)


def Add(inputs, **fields):
    return layer("add", inputs=list(inputs), **fields)


def Subtract(inputs, **fields):
    return layer("subtract", inputs=list(inputs), **fields)


def Average(inputs, **fields):
    return layer("average", inputs=list(inputs), **fields)


def Multiply(inputs, **fields):
    return layer("multiply", inputs=list(inputs), **fields)


def Concat(inputs, axis=0, **fields):
    return layer("concat", inputs=list(inputs), axis=axis, **fields)


def SGD(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    return {"type": "sgd", "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay, "nesterov": nesterov}


def Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
    return {"type": "adam", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}


def AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
    return {"type": "adamw", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}


def NAdam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    """torch.optim.NAdam as PyTorch 2 computes it."""
    return {"type": "nadam", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "momentum_decay": momentum_decay}


def Adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return {"type": "adamax", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay}


def Lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    """Lion (Chen et al. 2023), as Keras's: a step of lr along the sign of an interpolated momentum."""
    return {"type": "lion", "lr": lr, "betas": list(betas), "weight_decay": weight_decay}


def Ftrl(lr=1e-3, learning_rate_power=-0.5, initial_accumulator_value=0.1, l1_regularization_strength=0.0, l2_regularization_strength=0.0,
         l2_shrinkage_regularization_strength=0.0, beta=0.0):
    """FTRL-Proximal (McMahan et al. 2013), as Keras's Ftrl, for wide, sparse linear models: the L1 strength makes weights
    exactly 0."""
    return {"type": "ftrl", "lr": lr, "learning_rate_power": learning_rate_power, "initial_accumulator_value": initial_accumulator_value,
            "l1_regularization_strength": l1_regularization_strength, "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength, "beta": beta}


def Lars(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, trust_coefficient=1e-3, eps=1e-8, trust_clip=False,
         always_adapt=False):
    """LARS (You et al. 2017), as timm's Lars: SGD on gradients scaled per parameter tensor by
    trust_coefficient ||param|| / (||grad|| + weight_decay ||param||), for large global batches of convolutional networks."""
    return {"type": "lars", "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay, "nesterov": nesterov,
            "trust_coefficient": trust_coefficient, "eps": eps, "trust_clip": trust_clip, "always_adapt": always_adapt}


def Lamb(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, trust_ratio=True):
    """LAMB (You et al. 2020), as Keras's Lamb: Adam's direction scaled per parameter tensor by ||param|| / ||direction||,
    for large global batches; trust_ratio=False (in a parameter group of biases and norms) takes the ratio as 1."""
    return {"type": "lamb", "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "trust_ratio": trust_ratio}


def Adafactor(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0):
    """Adafactor (Shazeer and Stern 2018), as torch.optim.Adafactor: row and column means of the squared gradient of a
    matrix instead of Adam's full second moment, and a step relative to each tensor's RMS; eps=(None, eps2) takes the
    parameter dtype's machine epsilon as eps1."""
    return {"type": "adafactor", "lr": lr, "beta2_decay": beta2_decay, "eps": list(eps), "d": d, "weight_decay": weight_decay}


def Rprop(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    """Rprop (Riedmiller and Braun 1993), as torch.optim.Rprop: a step size per weight, grown by etas[1] while its
    gradient keeps its sign and shrunk by etas[0] when it flips, within step_sizes; for full-batch training."""
    return {"type": "rprop", "lr": lr, "etas": list(etas), "step_sizes": list(step_sizes)}


def ASGD(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
    """ASGD (Polyak and Juditsky 1992), as torch.optim.ASGD: SGD whose rate decays as lr / (1 + lambd lr t)^alpha,
    keeping the average of the weights from step t0 on as state ("ax")."""
    return {"type": "asgd", "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay}


# Initializers, as torch.nn.init's, for a layer's weight_init= and bias_init=.
def Zeros():
    return {"type": "zeros"}


def Constant(value):
    return {"type": "constant", "value": value}


def Normal(mean=0.0, std=1.0):
    return {"type": "normal", "mean": mean, "std": std}


def Uniform(a=0.0, b=1.0):
    return {"type": "uniform", "a": a, "b": b}


def XavierUniform(gain=1.0):
    return {"type": "xavier_uniform", "gain": gain}


def XavierNormal(gain=1.0):
    return {"type": "xavier_normal", "gain": gain}


def HeUniform(mode="fan_in"):
    return {"type": "he_uniform", "mode": mode}


def HeNormal(mode="fan_in"):
    return {"type": "he_normal", "mode": mode}


# Penalties (weight_regularizer=, activity_regularizer=) and constraints (weight_constraint=), as Keras' own.
def L1(l1):
    return {"type": "l1", "lambda": l1}


def L2(l2):
    return {"type": "l2", "lambda": l2}


def ElasticNet(l1=0.0, l2=0.0):
    return {"type": "elastic", "l1": l1, "l2": l2}


def MaxNorm(max_value=2.0):
    return {"type": "max_norm", "max_value": max_value}


def NonNeg():
    return {"type": "non_neg"}


def UnitNorm():
    return {"type": "unit_norm"}


# Learning-rate schedules (compile(schedule=...)), as torch.optim.lr_scheduler's; counted in epochs.
def StepLR(step_size, gamma=0.1):
    return {"type": "step", "step_size": step_size, "gamma": gamma}


def ExponentialLR(gamma):
    return {"type": "exponential", "gamma": gamma}


def CosineAnnealingLR(T_max, eta_min=0.0):
    return {"type": "cosine", "T_max": T_max, "eta_min": eta_min}


def LinearWarmup(start_factor=1.0 / 3.0, end_factor=1.0, total_iters=5, per="epoch"):
    """torch's LinearLR, over total_iters epochs (per="epoch") or optimizer steps (per="step")."""
    return {"type": "linear_warmup", "start_factor": start_factor, "end_factor": end_factor, "total_iters": total_iters, "per": per}


def MultiStepLR(milestones, gamma=0.1):
    return {"type": "multi_step", "milestones": list(milestones), "gamma": gamma}


def PolynomialLR(total_iters=5, power=1.0):
    return {"type": "polynomial", "total_iters": total_iters, "power": power}


def CosineAnnealingWarmRestarts(T_0, T_mult=1, eta_min=0.0):
    """torch's CosineAnnealingWarmRestarts (SGDR): cosine cycles of T_0 epochs, each T_mult times the last."""
    return {"type": "cosine_warm_restarts", "T_0": T_0, "T_mult": T_mult, "eta_min": eta_min}


def CyclicLR(max_lr, base_lr=None, step_size_up=2000, step_size_down=None, mode="triangular", gamma=None, cycle_momentum=True,
             base_momentum=0.8, max_momentum=0.9):
    """torch's CyclicLR, stepped every optimizer step, from base_lr (the optimizer's rate unless given) to max_lr and back;
    the optimizer's momentum moves against the rate unless cycle_momentum is False."""
    schedule = {"type": "cyclic", "max_lr": max_lr, "step_size_up": step_size_up, "mode": mode, "cycle_momentum": cycle_momentum}
    if cycle_momentum:
        schedule.update(base_momentum=base_momentum, max_momentum=max_momentum)
    for key, value in (("base_lr", base_lr), ("step_size_down", step_size_down), ("gamma", gamma)):
        if value is not None:
            schedule[key] = value
    return schedule


def OneCycleLR(total_steps, max_lr=None, pct_start=0.3, anneal_strategy="cos", div_factor=25.0, final_div_factor=1e4,
               three_phase=False, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95):
    """torch's OneCycleLR over total_steps optimizer steps; max_lr is the optimizer's rate unless given. The optimizer's
    momentum (SGD's, RMSprop's, the Adams' beta1) moves against the rate unless cycle_momentum is False."""
    schedule = {"type": "one_cycle", "total_steps": total_steps, "pct_start": pct_start, "anneal_strategy": anneal_strategy,
                "div_factor": div_factor, "final_div_factor": final_div_factor, "three_phase": three_phase,
                "cycle_momentum": cycle_momentum}
    if cycle_momentum:
        schedule.update(base_momentum=base_momentum, max_momentum=max_momentum)
    if max_lr is not None:
        schedule["max_lr"] = max_lr
    return schedule


def SequentialLR(schedules, milestones, per="epoch"):
    """torch's SequentialLR: the schedules one after another, each taking over at its milestone, each with its clock
    restarted there and counting epochs (per="epoch") or optimizer steps (per="step")."""
    return {"type": "sequential", "schedules": list(schedules), "milestones": list(milestones), "per": per}


def EarlyStopping(monitor="val_loss", min_delta=0.0, patience=0, restore_best_weights=False):
    """Keras's EarlyStopping, in its names and defaults, as nnplug's early_stopping: training stops after `patience`
    epochs in a row that do not improve `monitor` by more than min_delta (Keras's patience 0 stops at the first such
    epoch, as 1 does); with restore_best_weights the network ends with its best epoch's weights."""
    return {"type": "early_stopping", "monitor": monitor, "min_delta": min_delta, "patience": max(patience, 1),
            "restore_best": restore_best_weights}


def ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0):
    """Keras's ReduceLROnPlateau, in its names, defaults and counting, as nnplug's reduce_lr_on_plateau with
    "rules": "keras": after `patience` epochs in a row that do not improve `monitor` by more than min_delta the rate
    is multiplied by factor, not below min_lr, and `cooldown` epochs pass before epochs count again. mode is the
    monitor's own direction (nnplug lowers losses and raises accuracies), as Keras's "auto" reads it."""
    direction = "max" if "acc" in monitor else "min"
    if mode not in ("auto", direction):
        raise ValueError('ReduceLROnPlateau: mode "{}" for {}, which nnplug always {}imizes'.format(mode, monitor, direction))
    return {"type": "reduce_lr_on_plateau", "rules": "keras", "monitor": monitor, "factor": factor, "patience": patience,
            "threshold": min_delta, "threshold_mode": "abs", "cooldown": cooldown, "min_lr": min_lr}


def ModelCheckpoint(filepath, monitor="val_loss", save_best_only=False):
    """Keras's ModelCheckpoint, in its names and defaults, as nnplug's checkpoint: the model (safetensors, with the
    optimizer's state: `nnplug train --resume` and Network.load read it) after every epoch, or where `monitor`
    improved; filepath may name the epoch and its scores as Keras's does ("ckpt-{epoch:02d}-{val_loss:.2f}")."""
    return {"type": "checkpoint", "path": str(filepath), "monitor": monitor, "best_only": save_best_only}


# Keras's and PyTorch's names of nnplug's builders, where nnplug's differ by more than case and underscores
# (Conv2D is nnplug.Conv2d, found by that alone).
_OTHER_FRAMEWORKS_NAMES = {
    "BatchNormalization": "BatchNorm", "BatchNorm1d": "BatchNorm", "BatchNorm2d": "BatchNorm", "LayerNormalization": "LayerNorm",
    "GroupNormalization": "GroupNorm", "InstanceNorm2d": "InstanceNorm", "MaxPooling1D": "MaxPool1d", "MaxPooling2D": "MaxPool2d",
    "AveragePooling1D": "AvgPool1d", "AveragePooling2D": "AvgPool2d", "GlobalAveragePooling1D": "GlobalAvgPool1d",
    "GlobalAveragePooling2D": "GlobalAvgPool2d", "GlobalMaxPooling1D": "GlobalMaxPool1d", "GlobalMaxPooling2D": "GlobalMaxPool2d",
    "AdaptiveAvgPool2D": "AdaptiveAvgPool2d", "Conv1DTranspose": "ConvTranspose1d", "Conv2DTranspose": "ConvTranspose2d",
    "UpSampling1D": "Upsample1d", "UpSampling2D": "Upsample2d", "Linear": "Dense", "SimpleRNN": "RNN", "Concatenate": "Concat",
    "SpatialDropout1D": "SpatialDropout", "SpatialDropout2D": "SpatialDropout", "Dropout2d": "SpatialDropout",
    "GlorotUniform": "XavierUniform", "GlorotNormal": "XavierNormal", "KaimingUniform": "HeUniform", "KaimingNormal": "HeNormal",
    "load_model": "Network.load"}


def _folded(name):
    return "".join(c for c in name.lower() if c.isalnum())


def __getattr__(name):
    """A name nnplug lacks, as Keras or PyTorch write it, is pointed to nnplug's (nnplug.MaxPooling2D: nnplug.MaxPool2d);
    Keras's augmentation layers (RandomFlip, RandomRotation, RandomZoom) to fit's augmentation."""
    meant = _OTHER_FRAMEWORKS_NAMES.get(name) or next((n for n in __all__ if _folded(n) == _folded(name)), None)
    hint = " (did you mean nnplug.{}?)".format(meant) if meant else ""
    if name.startswith("Random") and not meant:
        hint = (" (Keras's augmentation layers are fit's augmentation, applied to training batches alone as theirs are: "
                "net.fit(x, y, augmentation={\"horizontal_flip\": True, \"rotation\": 36, \"zoom\": 0.1}); rotation in degrees)")
    raise AttributeError("module 'nnplug' has no attribute '{}'{}".format(name, hint))
