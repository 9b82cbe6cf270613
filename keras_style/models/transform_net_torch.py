"""`TransformNet`'s forward pass as `torch.nn.functional` calls, for inference
on the PyTorch backend.

Keras' torch backend moves every layer's input to channels-first and its
output back, and pads through a layout copy; here the photo is viewed as
NCHW once (NHWC memory, which PyTorch's CPU convolutions take as
`channels_last` without a copy) and every layer keeps that layout. The same
weights and the same function (up to float rounding):
`tests/test_transform_net_torch.py` checks it against the Keras layers.
"""

import torch
import torch.nn.functional as F


def _conv_kernel(conv):
    # Keras (kh, kw, in, out) -> torch (out, in, kh, kw), channels-last like x.
    kernel = conv.kernel.value.detach().permute(3, 2, 0, 1)
    return kernel.contiguous(memory_format=torch.channels_last)


def _bias(conv):
    return conv.bias.value.detach() if conv.use_bias else None


def _same_padding(size, kernel, stride):
    """TensorFlow's "SAME" padding `(before, after)` of one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def padded_conv(layer, x):
    """`PaddedConv2D`: reflection or TensorFlow-"SAME" zero padding, then a
    valid convolution."""
    k, s = layer.kernel_size, layer.strides
    if layer.padding == "reflect":
        x = F.pad(x, (k // 2,) * 4, mode="reflect")
    else:
        top, bottom = _same_padding(x.shape[2], k, s)
        left, right = _same_padding(x.shape[3], k, s)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, _conv_kernel(layer.conv), _bias(layer.conv), stride=s)


def upsample_conv(layer, x):
    """`UpsampleConv2D`: a 2x transposed convolution ("SAME": the full output
    cropped at the end), or nearest upsampling then a padded convolution."""
    if layer.mode == "transpose":
        conv = layer.conv
        height, width = x.shape[2], x.shape[3]
        # Keras (kh, kw, out, in) -> torch (in, out, kh, kw).
        kernel = conv.kernel.value.detach().permute(3, 2, 0, 1).contiguous()
        full = F.conv_transpose2d(x, kernel, _bias(conv), stride=2)
        top = (full.shape[2] - 2 * height) // 2
        left = (full.shape[3] - 2 * width) // 2
        return full[:, :, top : top + 2 * height, left : left + 2 * width]
    if layer.kernel_size == 3:
        return _subpixel_upsample_conv(layer, x)
    x = F.interpolate(x, scale_factor=2, mode="nearest")
    return padded_conv(layer.conv, x)


def _subpixel_upsample_conv(layer, x):
    """Nearest 2x upsampling and a 3x3 convolution, at the input resolution:
    each output phase `(a, b)` is a 2x2 convolution of the input with the
    kernel's taps summed (as `UpsampleConv2D._subpixel_call`, 16 instead of
    36 multiply-adds per input pixel), written into every other row and
    column of the output."""
    conv = layer.conv.conv
    # Reflection padding of the upsampled image is edge padding of this one.
    mode = "replicate" if layer.padding == "reflect" else "constant"
    x = F.pad(x, (1, 1, 1, 1), mode=mode)
    k = conv.kernel.value.detach()  # (3, 3, in, out)
    rows = (torch.stack([k[0], k[1] + k[2]]), torch.stack([k[0] + k[1], k[2]]))
    batch, _, height, width = x.shape
    height, width = height - 2, width - 2
    out = torch.empty(
        (batch, conv.filters, 2 * height, 2 * width),
        dtype=x.dtype,
        device=x.device,
        memory_format=torch.channels_last,
    )
    for a, kr in enumerate(rows):
        cols = (
            torch.stack([kr[:, 0], kr[:, 1] + kr[:, 2]], dim=1),
            torch.stack([kr[:, 0] + kr[:, 1], kr[:, 2]], dim=1),
        )
        for b, kab in enumerate(cols):
            kernel = kab.permute(3, 2, 0, 1).contiguous(
                memory_format=torch.channels_last
            )
            window = x[:, :, a : a + height + 1, b : b + width + 1]
            out[:, :, a::2, b::2] = F.conv2d(window, kernel, _bias(conv))
    return out


def instance_norm(layer, x):
    # Group norm with one channel per group is instance norm; unlike
    # `F.instance_norm` (a batch norm of a reshaped, contiguous copy), its CPU
    # kernel reads channels-last tensors as they are.
    return F.group_norm(
        x,
        x.shape[1],
        weight=layer.gamma.value.detach(),
        bias=layer.beta.value.detach(),
        eps=layer.epsilon,
    )


def residual_block(block, x):
    y = F.relu(instance_norm(block.norm1, padded_conv(block.conv1, x)), inplace=True)
    return x + instance_norm(block.norm2, padded_conv(block.conv2, y))


@torch.no_grad()
def transform_net_forward(net, images):
    """`net(images, training=False)` for a float32 `TransformNet`.

    Args:
        net: a built float32 `TransformNet`.
        images: `(N, H, W, 3)` float32 in 0..255 (numpy or torch).

    Returns:
        The stylized `(N, H, W, 3)` float32 torch tensor, as the Keras call
        returns it (roughly 0..255 after `tanh`, clipped for `"linear"`).
    """
    # On the device Keras keeps the weights on (a GPU when there is one).
    device = net.conv_out.conv.kernel.value.device
    x = torch.as_tensor(images, dtype=torch.float32, device=device)
    height, width = x.shape[1], x.shape[2]
    x = x.permute(0, 3, 1, 2)  # a view: NHWC memory is channels-last NCHW
    # Two stride-2 stages: a multiple of 4 crops back to the input size.
    pad_h, pad_w = -height % 4, -width % 4
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
    for conv, norm in net.down_layers:
        x = F.relu(instance_norm(norm, padded_conv(conv, x)), inplace=True)
    for block in net.res_layers:
        x = residual_block(block, x)
    for conv, norm in net.up_layers:
        x = F.relu(instance_norm(norm, upsample_conv(conv, x)), inplace=True)
    x = padded_conv(net.conv_out, x)
    if net.norm_out is not None:
        x = instance_norm(net.norm_out, x)
    if net.output_activation == "tanh":
        x = torch.tanh(x) * 150.0 + 127.5
    else:
        x = torch.clamp(x, 0.0, 255.0)
    return x[:, :, :height, :width].permute(0, 2, 3, 1)
