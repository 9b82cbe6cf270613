"""Video style transfer: stream a clip through a style network, steadily.

`stylize_video` decodes a video with PyAV, stylizes its frames in batches,
removes flicker with optical flow (`FlowStabilizer`) and encodes the result
with the input's timestamps and untouched audio. `stylize_frames` does the
same for any iterable of frames. Needs the `video` extra:
`pip install "keras-style[video]"` (PyAV and OpenCV).
"""

import functools

import numpy as np

from keras_style.utils.checks import check_fraction, check_int
from keras_style.video.consistency import (
    FlowStabilizer,
    consistency_mask,
    estimate_flow,
    warp,
    warping_error,
)
from keras_style.video.reader import VideoInfo, VideoReader, is_video, require_av
from keras_style.video.writer import VideoWriter, check_output_path

__all__ = [
    "FlowStabilizer",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "consistency_mask",
    "estimate_flow",
    "is_video",
    "probe",
    "stylize_frames",
    "stylize_video",
    "warp",
    "warping_error",
]

CONSISTENCY_MODES = ("flow", "none")


def probe(path, *, name="input"):
    """Describes a video file without decoding more than its first frame.

    Args:
        path: the video file.
        name: argument name used in error messages.

    Returns:
        A `VideoInfo` (displayed size, rotation, frame count, duration, ...).

    Example:

    >>> keras_style.video.probe("clip.mp4").width
    640
    """
    with VideoReader(path, name=name) as reader:
        return reader.info()


def _check_time(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(
            f"`{name}` must be a number of seconds or None. Received: {name}={value!r}"
        )
    if value < 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
    return float(value)


def _check_consistency(consistency):
    if consistency not in CONSISTENCY_MODES:
        raise ValueError(
            f"`consistency` must be one of {CONSISTENCY_MODES}. "
            f"Received: consistency={consistency!r}"
        )


def _frame_stylizer(stylize, **options):
    """`stylize` as a callable on a list of frames: a callable as is, or a
    `Stylizer`'s `stylize` method with the tiling and batch options bound."""
    method = getattr(stylize, "stylize", None)
    if callable(method):
        return functools.partial(method, **options)
    if not callable(stylize):
        raise TypeError(
            "`stylize` must be a callable taking a list of frames (or a "
            f"Stylizer). Received: stylize={type(stylize).__name__}"
        )
    return stylize


def stylize_frames(
    stylize,
    frames,
    *,
    consistency="flow",
    blend=0.5,
    strength=1.0,
    preserve_colors=False,
    batch_size=4,
    tile_size=None,
    tile_overlap=None,
):
    """Stylizes a stream of frames; a generator, so memory stays flat.

    Frames go through the network `batch_size` at a time; with
    `consistency="flow"` each output is then blended with the previous one
    warped by the optical flow (`FlowStabilizer`); colours and strength are
    applied last.

    Args:
        stylize: what stylizes the frames: a callable taking a list of
            `(H, W, 3)` uint8 frames and returning as many images (arrays or
            PIL), or a `Stylizer` (its `stylize`).
        frames: iterable of `(H, W, 3)` uint8 RGB frames.
        consistency: `"flow"` (stabilised) or `"none"` (frame by frame).
        blend: weight of the warped previous output with `"flow"`.
        strength: float in [0, 1]; blend with the original frames.
        preserve_colors: keep the frames' colours (luminance transfer).
        batch_size: frames per network call.
        tile_size, tile_overlap: as in `Stylizer.stylize` (for a `Stylizer`;
            a callable applies its own).

    Yields:
        `(H, W, 3)` uint8 frames, one per input frame.

    Example:

    >>> outputs = list(stylize_frames(keras_style.zoo.load("wave"), frames))
    """
    from keras_style.image import to_uint8, transfer_luminance

    _check_consistency(consistency)
    stabilizer = FlowStabilizer(blend) if consistency == "flow" else None
    stylize = _frame_stylizer(
        stylize, tile_size=tile_size, tile_overlap=tile_overlap, batch_size=batch_size
    )
    batch = []

    def flush():
        if strength == 0.0:
            styled = [f.astype(np.float32) for f in batch]
        else:
            # The public per-image API: batching, tiling and size checks
            # stay in one place (uint8 results are exact enough to blend).
            styled = [np.asarray(img, np.float32) for img in stylize(list(batch))]
        for frame, out in zip(batch, styled):
            if stabilizer is not None and strength > 0.0:
                out = stabilizer(frame, out)
            if preserve_colors:
                out = transfer_luminance(frame.astype(np.float32), out)
            if strength < 1.0:
                out = strength * out + (1.0 - strength) * frame
            yield to_uint8(out)
        batch.clear()

    for frame in frames:
        batch.append(np.asarray(frame, np.uint8))
        if len(batch) == batch_size:
            yield from flush()
    if batch:
        yield from flush()


def stylize_video(
    stylize,
    input,
    output,
    *,
    consistency="flow",
    blend=0.5,
    strength=1.0,
    preserve_colors=False,
    max_size=None,
    batch_size=4,
    start=None,
    end=None,
    crf=18,
    codec=None,
    audio=True,
    tile_size=None,
    tile_overlap=None,
    verbose=0,
    progress=None,
):
    """Stylizes a video file, keeping its timing and sound.

    Frames are decoded, stylized in batches and encoded as a stream (memory
    does not grow with the clip's length). The output has the input's frame
    count, timestamps (variable frame rates survive) and size (after
    `max_size`); phone rotation is applied to the pixels; audio streams are
    copied without re-encoding. The file appears only when complete: it is
    written to a temporary file next to `output` and renamed.

    Args:
        stylize: a callable stylizing a list of frames, or a `Stylizer`
            (see `stylize_frames`).
        input: path of a video or animated GIF.
        output: destination; `.mp4`/`.mov`/`.mkv` (H.264), `.webm` (VP9),
            `.gif` (no sound), or another extension FFmpeg can write.
        consistency: `"flow"` (default) removes flicker with optical flow;
            `"none"` stylizes each frame on its own.
        blend: weight of the warped previous output with `"flow"` (0..1).
        strength: float in [0, 1]; blend with the original frames.
        preserve_colors: keep the video's colours (luminance transfer).
        max_size: optional int; frames are downscaled so their longest side
            is at most this (the output has that size; sides are even).
        batch_size: frames per network call.
        start, end: optional times in seconds; the output covers
            `[start, end)`, starting at time 0 (audio trimmed to whole
            packets).
        crf: H.264/VP9 quality, lower is better (18: visually lossless).
        codec: optional FFmpeg encoder name overriding the extension's.
        audio: `False` drops the sound.
        tile_size, tile_overlap: as in `Stylizer.stylize`.
        verbose: 1 shows a progress bar, 2 plain lines, 0 nothing.
        progress: optional `progress(done, total)` called after each
            written frame (`total` is None when the container does not say),
            e.g. for a web page's progress bar.

    Returns:
        The output path as a `pathlib.Path`.

    Example:

    >>> stylizer = keras_style.zoo.load("wave")
    >>> stylize_video(stylizer, "clip.mp4", "wave.mp4", max_size=640)
    PosixPath('wave.mp4')
    """
    require_av()
    _check_consistency(consistency)
    strength = check_fraction(strength, "strength")
    max_size = check_int(max_size, "max_size", minimum=2, allow_none=True)
    batch_size = check_int(batch_size, "batch_size", allow_none=True) or 4
    crf = check_int(crf, "crf", minimum=0, allow_none=True)
    start, end = _check_time(start, "start"), _check_time(end, "end")
    if start is not None and end is not None and end <= start:
        raise ValueError(
            f"`end` must be after `start`. Received: start={start}, end={end}"
        )
    check_output_path(output)
    with VideoReader(input, max_size=max_size, start=start, end=end) as reader:
        info = reader.info()
        total = info.frames
        if total and (start is not None or end is not None) and info.duration:
            span = (end or info.duration) - (start or 0.0)
            total = max(1, round(total * span / info.duration))
        progbar = None
        if verbose:
            from keras_style.utils.progbar import Progbar

            progbar = Progbar(total, verbose=verbose, unit_name="frame")
        with VideoWriter(
            output,
            width=reader.width,
            height=reader.height,
            time_base=reader.time_base,
            rate=reader.rate,
            audio_streams=reader.audio if audio else (),
            crf=crf,
            codec=codec,
        ) as writer:
            timing = []

            def frames():
                for kind, item in reader:
                    if kind == "audio":
                        writer.write_audio(item)
                    else:
                        frame, pts, duration = item
                        timing.append((pts, duration))
                        yield frame

            outputs = stylize_frames(
                stylize,
                frames(),
                consistency=consistency,
                blend=blend,
                strength=strength,
                preserve_colors=preserve_colors,
                batch_size=batch_size,
                tile_size=tile_size,
                tile_overlap=tile_overlap,
            )
            count = 0
            for count, out in enumerate(outputs, 1):
                pts, duration = timing.pop(0)
                writer.write(out, pts, duration)
                if progbar is not None:
                    progbar.update(min(count, progbar.target or count))
                if progress is not None:
                    progress(count, total or None)
            if not count:
                # Raised inside the writer's block: no empty file is left.
                raise ValueError(
                    f"`input` has no frames between start={start} and end={end}. "
                    f"Received: input={input}"
                )
    return writer.path
