"""Makes docs/images/video_wave.webp: a generated clip, per-frame vs flow-stabilised.

The clip is a camera pan and zoom over scikit-image's astronaut photo (public
domain, NASA), so no footage is needed. Panels, left to right: the clip, the
wave style frame by frame (`consistency="none"`), and with optical-flow
stabilisation (`consistency="flow"`, the default). The warping error of both
stylized clips is printed.

Run from the repository root: `python docs/make_video_example.py`.
"""

import fractions
import pathlib

import cv2
import numpy as np
from skimage import data

import keras_style
from keras_style import video

OUT = pathlib.Path(__file__).parent / "images" / "video_wave.webp"
WIDTH, HEIGHT, FRAMES, RATE = 192, 112, 24, 12


def camera_move(photo):
    """Frames of a slow pan with zoom, and the exact flow between them."""
    ph, pw = photo.shape[:2]
    frames, matrices = [], []
    for t in range(FRAMES):
        scale = WIDTH / pw * 1.6 * 1.01**t
        cx, cy = pw * (0.40 + 0.006 * t), ph * 0.30
        matrix = np.array(
            [[scale, 0, WIDTH / 2 - scale * cx], [0, scale, HEIGHT / 2 - scale * cy]],
            np.float32,
        )
        frames.append(cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT)))
        matrices.append(np.vstack([matrix, [0, 0, 1]]))
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    points = np.stack([xs, ys, np.ones_like(xs)], -1)
    flows = []
    for t in range(1, FRAMES):
        # Frame t pixel -> photo -> frame t-1 pixel.
        to_prev = matrices[t - 1] @ np.linalg.inv(matrices[t])
        mapped = points @ to_prev.T
        flows.append((mapped[..., :2] - points[..., :2]).astype(np.float32))
    return frames, flows


def main():
    frames, flows = camera_move(data.astronaut())
    stylizer = keras_style.zoo.load("wave")
    results = {}
    for mode in ("none", "flow"):
        results[mode] = list(video.stylize_frames(stylizer, frames, consistency=mode))
        error = np.mean(
            [
                video.warping_error(
                    results[mode][t - 1], results[mode][t], flows[t - 1]
                )
                for t in range(1, FRAMES)
            ]
        )
        print(f"consistency={mode}: warping error {error:.1f}")
    step = int(round(100 / RATE))
    # Through the package's own writer: an animated WebP (a GIF is 6x larger).
    with video.VideoWriter(
        OUT, width=3 * WIDTH, height=HEIGHT, time_base=fractions.Fraction(1, 100)
    ) as writer:
        for t in range(FRAMES):
            panel = np.concatenate(
                [frames[t], results["none"][t], results["flow"][t]], axis=1
            )
            writer.write(panel, t * step, step)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
