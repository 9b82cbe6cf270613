"""Temporal consistency: optical-flow stabilisation and the warping error.

A feed-forward style network run frame by frame flickers: tiny changes in the
input move its brush strokes. `FlowStabilizer` removes most of that flicker
from any network at inference time. For each frame it estimates the optical
flow to the previous input frame (OpenCV's DIS, Kroeger et al. 2016), warps the
previous *output* along it, and blends it into the fresh stylization where the
flow is reliable: forward and backward flows agree (Sundaram et al. 2010, as
in Ruder et al. 2016) and the warped input matches the current input. A scene
cut (few reliable pixels) starts afresh.

`warping_error` is the flicker metric of Ruder et al. 2016 and Lai et al.
2018: the mean squared difference, over non-occluded pixels, between output
frame t and output frame t-1 warped by the flow, on the 0..255 scale.
"""

import numpy as np


def _require_cv2():
    try:
        import cv2
    except ImportError:
        from keras_style.video.reader import EXTRA_HINT

        raise ImportError(
            f"Video support needs PyAV and OpenCV: {EXTRA_HINT}"
        ) from None
    return cv2


def _grid(height, width):
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs, ys


def warp(image, flow):
    """Samples `image` at `x + flow(x)` (bilinear, edges replicated).

    With `flow` from frame t to frame t-1 (`frame_t(x) ~ frame_t-1(x + flow)`),
    `warp(frame_t-1, flow)` lines frame t-1 up with frame t.

    Args:
        image: `(H, W)` or `(H, W, C)` array.
        flow: float32 `(H, W, 2)` displacements `(dx, dy)` in pixels.

    Returns:
        A float32 array shaped like `image`.

    Example:

    >>> flow = np.zeros((4, 5, 2), "float32"); flow[..., 0] = 1
    >>> warp(np.arange(20.0).reshape(4, 5), flow)[0]
    array([1., 2., 3., 4., 4.], dtype=float32)
    """
    cv2 = _require_cv2()
    xs, ys = _grid(*flow.shape[:2])
    return cv2.remap(
        np.asarray(image, np.float32),
        xs + flow[..., 0],
        ys + flow[..., 1],
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def inside_mask(flow):
    """Pixels whose flow target lies inside the frame."""
    h, w = flow.shape[:2]
    xs, ys = _grid(h, w)
    tx, ty = xs + flow[..., 0], ys + flow[..., 1]
    return (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)


def consistency_mask(backward, forward):
    """Pixels where the flow is reliable (not occluded, not at motion edges).

    Forward-backward check of Sundaram et al. (2010) as used by Ruder et al.
    (2016): following the backward flow and then the forward flow must come
    back to the start, up to `0.01 * (|b|^2 + |f|^2) + 0.5` pixels squared.

    Args:
        backward: flow from frame t to frame t-1, `(H, W, 2)`.
        forward: flow from frame t-1 to frame t, `(H, W, 2)`.

    Returns:
        A bool `(H, W)` array.
    """
    forward_at = warp(forward, backward)
    error = np.sum((backward + forward_at) ** 2, axis=-1)
    bound = 0.01 * (np.sum(backward**2, -1) + np.sum(forward_at**2, -1)) + 0.5
    return (error <= bound) & inside_mask(backward)


def estimate_flow(previous, current, *, preset="medium", max_size=640):
    """Backward optical flow and its reliability mask between two frames.

    Args:
        previous: frame t-1, `(H, W, 3)` RGB (uint8 or floats in 0..255).
        current: frame t, same shape.
        preset: DIS preset, `"ultrafast"`, `"fast"` or `"medium"`.
        max_size: flow is computed on frames downscaled to this longest side
            (then scaled back up); `None` keeps the full size.

    Returns:
        `(flow, mask)`: float32 `(H, W, 2)` displacements with
        `current(x) ~ previous(x + flow(x))`, and the bool forward-backward
        consistency mask.

    Example:

    >>> flow, mask = estimate_flow(frames[0], frames[1])
    """
    estimator = FlowEstimator(preset=preset, max_size=max_size)
    g0, g1 = estimator.gray(previous), estimator.gray(current)
    backward, forward = estimator.flows(g0, g1)
    return backward, consistency_mask(backward, forward)


def warping_error(previous, current, flow, mask=None):
    """Mean squared difference between `current` and `previous` warped by `flow`.

    The temporal-consistency metric of Ruder et al. (2016) and Lai et al.
    (2018), computed on the 0..255 scale over the pixels of `mask`.

    Args:
        previous: output frame t-1, `(H, W, 3)` in 0..255.
        current: output frame t, same shape.
        flow: float32 `(H, W, 2)` flow from frame t to frame t-1 (e.g. the
            exact flow of a synthetic pan, or `estimate_flow`'s).
        mask: optional bool `(H, W)`: pixels to count (non-occluded); defaults
            to those whose flow target lies inside the frame.

    Returns:
        A float.

    Example:

    >>> flow, mask = estimate_flow(inputs[0], inputs[1])
    >>> warping_error(outputs[0], outputs[1], flow, mask)
    """
    if mask is None:
        mask = inside_mask(flow)
    diff = np.asarray(current, np.float32) - warp(previous, flow)
    return float(np.mean(diff[mask] ** 2)) if mask.any() else 0.0


class FlowEstimator:
    """DIS optical flow (OpenCV) in both directions, optionally downscaled."""

    _PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}

    def __init__(self, preset="medium", max_size=640):
        cv2 = self.cv2 = _require_cv2()
        if preset not in self._PRESETS:
            raise ValueError(
                f"`preset` must be one of {sorted(self._PRESETS)}. "
                f"Received: preset={preset!r}"
            )
        self._dis = cv2.DISOpticalFlow_create(self._PRESETS[preset])
        self.max_size = max_size

    def gray(self, frame):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8:
            frame = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
        gray = self.cv2.cvtColor(frame, self.cv2.COLOR_RGB2GRAY)
        h, w = gray.shape
        if self.max_size and max(h, w) > self.max_size:
            scale = self.max_size / max(h, w)
            size = (max(8, round(w * scale)), max(8, round(h * scale)))
            gray = self.cv2.resize(gray, size, interpolation=self.cv2.INTER_AREA)
        return gray

    def flows(self, previous_gray, current_gray, size=None):
        """`(backward, forward)` flows, scaled up to `size=(H, W)` if given."""
        backward = self._dis.calc(current_gray, previous_gray, None)
        forward = self._dis.calc(previous_gray, current_gray, None)
        if size is not None and size != backward.shape[:2]:
            backward, forward = (self._upscale(f, size) for f in (backward, forward))
        return backward, forward

    def _upscale(self, flow, size):
        h, w = size
        scale = np.array([w / flow.shape[1], h / flow.shape[0]], np.float32)
        return (
            self.cv2.resize(flow, (w, h), interpolation=self.cv2.INTER_LINEAR) * scale
        )


class FlowStabilizer:
    """Blends each stylized frame with the previous output warped by the flow.

    `out_t = s_t + blend * c * (warp(out_t-1) - s_t)`, where `s_t` is the
    network's output for frame t and `c` (in 0..1, softened at the edges) marks
    pixels whose flow is reliable: forward-backward consistent and with the
    warped previous input within `photometric_threshold` of the current
    input. When under `cut_fraction` of the pixels are reliable (a scene cut)
    the fresh stylization is used alone.

    Args:
        blend: weight of the warped previous output in 0..1; higher is
            steadier but strays further from per-frame stylization.
        preset: DIS preset (`"ultrafast"`, `"fast"`, `"medium"`).
        flow_size: flow is estimated at most at this longest side.
        photometric_threshold: mean absolute RGB difference (0..255) above
            which a warped input pixel counts as mismatched.
        cut_fraction: minimum share of reliable pixels to keep the history.

    Example:

    >>> stabilizer = FlowStabilizer()
    >>> outputs = [stabilizer(frame, styled) for frame, styled in pairs]
    """

    def __init__(
        self,
        blend=0.5,
        *,
        preset="medium",
        flow_size=640,
        photometric_threshold=24.0,
        cut_fraction=0.4,
    ):
        if not 0.0 <= float(blend) < 1.0:
            raise ValueError(f"`blend` must be in [0, 1). Received: blend={blend!r}")
        self.blend = float(blend)
        self.estimator = FlowEstimator(preset=preset, max_size=flow_size)
        self.photometric_threshold = photometric_threshold
        self.cut_fraction = cut_fraction
        self.cuts = 0
        self.reset()

    def reset(self):
        """Forgets the history (the next frame is used as stylized)."""
        self._gray = self._frame = self._output = None

    def __call__(self, frame, styled):
        """Stabilises one frame.

        Args:
            frame: the input frame t, `(H, W, 3)` uint8.
            styled: the network's output for it, float32 `(H, W, 3)` 0..255.

        Returns:
            The stabilised float32 `(H, W, 3)` output.
        """
        cv2 = self.estimator.cv2
        styled = np.asarray(styled, np.float32)
        gray = self.estimator.gray(frame)
        out = styled
        if self._gray is not None and self._gray.shape == gray.shape:
            backward, forward = self.estimator.flows(
                self._gray, gray, size=styled.shape[:2]
            )
            reliable = consistency_mask(backward, forward)
            warped_input = warp(self._frame, backward)
            mismatch = np.mean(np.abs(warped_input - frame), axis=-1)
            reliable &= mismatch <= self.photometric_threshold
            if reliable.mean() < self.cut_fraction:
                self.cuts += 1
            else:
                # Soft edges: a hard mask leaves visible seams around occlusions.
                weight = cv2.GaussianBlur(reliable.astype(np.float32), (0, 0), 1.5)
                weight = (self.blend * weight * reliable)[..., None]
                out = styled + weight * (warp(self._output, backward) - styled)
        self._gray, self._frame, self._output = gray, frame.astype(np.float32), out
        return out
