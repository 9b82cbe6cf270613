"""Gatys optimization judged with the real ImageNet VGG19 weights.

One short run (stata photo, Hokusai's wave, 128 px) per backend, shared by
the tests: the style loss must fall to a small fraction, the photo must stay
recognisable in relu4_2, and the image borders must be free of the coloured
fringe VGG's zero padding left before the reflection border (REFLECT_BORDER in
gatys.py). Skips when the shared data is absent (see conftest.py).
"""

import numpy as np
import pytest
from keras import ops

from keras_style import image as image_lib
from keras_style.optimize import GatysStyleTransfer

pytestmark = pytest.mark.slow  # real ImageNet weights: minutes per backend

SIZE = 128
ITERATIONS = 50


def border_colour_cast(image, width=2):
    """Mean colour shift (0..255 units) of the outer `width` rows/columns
    against the `width` next to them, averaged over the four sides.

    A coloured fringe is a shift of every channel along a side; texture
    (positive and negative differences) averages out.
    """
    x = np.asarray(image, np.float64)
    sides = (x, x[::-1], x.transpose(1, 0, 2), x.transpose(1, 0, 2)[::-1])
    shifts = [
        np.abs((s[:width] - s[width : 2 * width]).mean(axis=(0, 1))).mean()
        for s in sides
    ]
    return float(np.mean(shifts))


def _correlation(a, b):
    a = ops.convert_to_numpy(a).ravel()
    b = ops.convert_to_numpy(b).ravel()
    return float(np.corrcoef(a, b)[0, 1])


@pytest.fixture(scope="module")
def run(shared_data, vgg19_imagenet_weights):
    content = image_lib.load_image(shared_data / "content" / "stata.jpg")
    style = image_lib.load_image(shared_data / "styles" / "wave.jpg")
    gatys = GatysStyleTransfer(vgg_weights=str(vgg19_imagenet_weights))
    result = gatys.run(content, style, size=SIZE, iterations=ITERATIONS, verbose=0)
    photo = image_lib.resize(content, *result.image.shape[:2])
    # Measured with the plain Keras model, not the pass being tested.
    features = {
        name: gatys.extractor(image[None])["relu4_2"]
        for name, image in (
            ("result", result.image),
            ("photo", photo),
            ("mirrored", photo[:, ::-1].copy()),
        )
    }
    return result, photo, features


def test_style_loss_falls_and_content_stays_recognisable(run):
    result, _, features = run
    style = [h["style"] for h in result.history]
    # Measured (style loss last / first step; relu4_2 correlation with the
    # photo; with the mirrored photo): TensorFlow 0.0244, 0.689, 0.299;
    # JAX 0.0240, 0.688, 0.298; torch 0.0247, 0.693, 0.298.
    assert style[-1] < 0.1 * style[0], (style[0], style[-1])
    with_photo = _correlation(features["result"], features["photo"])
    with_mirrored = _correlation(features["result"], features["mirrored"])
    assert with_photo > 0.5, with_photo
    assert with_photo > with_mirrored + 0.3, (with_photo, with_mirrored)


def test_no_coloured_fringe_at_the_borders(run):
    result, photo, _ = run
    cast = border_colour_cast(result.image)
    # Measured: TensorFlow 2.64, JAX 2.78, torch 2.80; the photo itself 3.20;
    # without the reflection border (border=0, tv_weight=100, the code before
    # it) 9.68 on TensorFlow.
    assert cast < 6.0, (cast, border_colour_cast(photo))
