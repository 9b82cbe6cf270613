"""The perceptual losses (`perceptual.py`: content, style, total variation,
stability) and the VGG loss network they are measured with (`vgg.py`, also
`keras_style.features`)."""

from keras_style.losses.perceptual import (
    STABILITY_MARGIN,
    PerceptualLoss,
    content_loss,
    gram_matrix,
    shift_down_right,
    stability_loss,
    style_loss,
    total_variation_loss,
)

__all__ = [
    "STABILITY_MARGIN",
    "PerceptualLoss",
    "content_loss",
    "gram_matrix",
    "shift_down_right",
    "stability_loss",
    "style_loss",
    "total_variation_loss",
]
