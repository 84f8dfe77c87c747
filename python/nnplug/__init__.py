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
from ._nnplug import Error, InvalidArgument, IoError, Network, PluginError, ShapeError, load_plugins, plugins, read_idx

__all__ = ["Error", "InvalidArgument", "IoError", "Network", "PluginError", "ShapeError", "load_plugins", "plugins", "read_idx",
           "Sequential", "layer", "Dense", "Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten", "BatchNorm",
           "Dropout", "Add", "Multiply", "Concat", "SGD", "Adam", "AdamW"]


def layer(type, activation=None, name=None, inputs=None, **parameters):
    """Any layer plugin, with the fields every layer takes in a spec."""
    spec = {"type": type, **parameters}
    for key, value in (("activation", activation), ("name", name), ("inputs", inputs)):
        if value is not None:
            spec[key] = value
    return spec


def Sequential(layers):
    """A spec of these layers; with name= and inputs= on them, any graph a spec describes."""
    return {"layers": list(layers)}


def Dense(units, **fields):
    return layer("dense", units=units, **fields)


def Conv2d(filters, kernel_size, **fields):
    return layer("conv2d", filters=filters, kernel_size=kernel_size, **fields)


def MaxPool2d(pool_size=2, **fields):
    return layer("max_pool2d", pool_size=pool_size, **fields)


def AvgPool2d(pool_size=2, **fields):
    return layer("avg_pool2d", pool_size=pool_size, **fields)


def GlobalAvgPool2d(**fields):
    return layer("global_avg_pool2d", **fields)


def Flatten(**fields):
    return layer("flatten", **fields)


def BatchNorm(**fields):
    return layer("batch_norm", **fields)


def Dropout(rate, **fields):
    return layer("dropout", rate=rate, **fields)


def Add(inputs, **fields):
    return layer("add", inputs=list(inputs), **fields)


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
