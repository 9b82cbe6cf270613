"""Streaming video decoding on PyAV (FFmpeg).

`VideoReader` decodes frames one at a time (upright, optionally downscaled,
trimmed to `start`/`end`) and hands over the audio packets it meets on the
way, for `keras_style.video.writer.VideoWriter` to copy. Nothing holds more
than a few frames, so memory does not depend on the clip's length.
"""

import dataclasses
import fractions
import pathlib

import numpy as np

EXTRA_HINT = 'pip install "keras-style[video]"'

# Demuxers that read still images: a photo opens as a one-frame "video".
_IMAGE_DEMUXERS = ("image2", "image2pipe")


def require_av():
    """Imports PyAV, or raises an `ImportError` naming the `video` extra."""
    try:
        import av
    except ImportError:
        raise ImportError(
            f"Video support needs PyAV and OpenCV: {EXTRA_HINT}"
        ) from None
    return av


@dataclasses.dataclass
class VideoInfo:
    """What `probe` learns about a video file.

    Attributes:
        width, height: displayed size in pixels (rotation applied).
        rotation: counter-clockwise rotation (degrees) the file asks players
            to apply; frames read by `VideoReader` are already upright.
        frames: frame count declared by the container, or `None`.
        duration: seconds, or `None` when unknown.
        rate: average frame rate as a `Fraction`, or `None`.
        format: FFmpeg container name.
        codec: video codec name.
        audio_streams: number of audio streams.
    """

    width: int
    height: int
    rotation: int
    frames: int | None
    duration: float | None
    rate: fractions.Fraction | None
    format: str
    codec: str
    audio_streams: int


def _check_input_path(path, name):
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"`{name}` does not exist. Received: {name}={path}")
    if path.is_dir():
        raise IsADirectoryError(
            f"`{name}` must be a video file, not a directory. Received: {name}={path}"
        )
    return path


def _open_input(path, name):
    av = require_av()
    try:
        container = av.open(str(path), "r")
    except (av.FFmpegError, UnicodeDecodeError) as e:
        raise ValueError(
            f"`{name}` could not be opened as a video ({e}). Received: {name}={path}"
        ) from None
    if not container.streams.video:
        container.close()
        raise ValueError(f"`{name}` holds no video stream. Received: {name}={path}")
    return container


def _rotation_quarters(rotation):
    """Counter-clockwise display rotation in degrees -> `np.rot90` turns."""
    return int(round((rotation or 0) / 90.0)) % 4


def is_video(path):
    """Whether FFmpeg reads `path` as a moving picture (by probing, not by name).

    Still images (which FFmpeg also opens, as one-frame streams) and
    single-frame GIFs count as images; unreadable files are not videos.

    Args:
        path: a file path.

    Returns:
        A bool.

    Example:

    >>> is_video("clip.mov"), is_video("photo.jpg")
    (True, False)
    """
    path = pathlib.Path(path)
    if not path.is_file() or _still_image(path):
        return False
    av = require_av()
    try:
        with av.open(str(path), "r") as container:
            fmt = container.format.name
            if (
                not container.streams.video
                or fmt in _IMAGE_DEMUXERS
                or fmt.endswith("_pipe")
            ):
                return False
            # A GIF is a video only when it moves.
            stream = container.streams.video[0]
            count = 0
            for _ in container.decode(stream):
                count += 1
                if count > 1:
                    return True
            return fmt != "gif" and count == 1 and stream.frames != 1
    except (av.FFmpegError, UnicodeDecodeError):
        return False


def _still_image(path):
    """Whether Pillow reads `path` as a one-frame image: it reads only the
    header, where FFmpeg's probe (and importing PyAV) costs a photo's run a
    tenth of a second. Anything else, animations included, goes to FFmpeg."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            # Only the header is read; loading the image checks its size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return getattr(image, "n_frames", 1) == 1
    except Exception:  # Pillow cannot read it: FFmpeg decides
        return False


def _frame_size(width, height, max_size):
    """Output `(width, height)` after `max_size`; even sides when downscaled
    (H.264's 4:2:0 chroma needs them)."""
    if max_size is None or max(width, height) <= max_size:
        return width, height
    scale = max_size / max(width, height)
    # Rounded down, so no side exceeds `max_size`.
    return (
        max(2, 2 * int(width * scale / 2 + 1e-6)),
        max(2, 2 * int(height * scale / 2 + 1e-6)),
    )


class VideoReader:
    """Decodes a video file frame by frame, upright, as RGB uint8 arrays.

    Iterating yields `("video", (frame, pts, duration))` items, with `frame` a
    `(H, W, 3)` uint8 array and `pts`/`duration` in `time_base` units
    (shifted so that `start` is time 0), and `("audio", packet)` items, the
    demuxed audio packets (timestamps shifted alike), in file order.

    Args:
        path: the video file.
        name: argument name used in error messages.
        max_size: optional int; frames whose longest side exceeds it are
            downscaled (sides rounded to even numbers).
        start: optional start time in seconds.
        end: optional end time in seconds (exclusive).

    Example:

    >>> with VideoReader("clip.mp4", max_size=640) as reader:
    ...     frames = [item for kind, item in reader if kind == "video"]
    """

    def __init__(self, path, *, name="input", max_size=None, start=None, end=None):
        self.av = require_av()
        self.path = _check_input_path(path, name)
        self.name = name
        self.start = start
        self.end = end
        self.container = _open_input(self.path, name)
        self.video = self.container.streams.video[0]
        self.video.thread_type = "AUTO"
        self.audio = list(self.container.streams.audio)
        self.time_base = self.video.time_base or fractions.Fraction(1, 90000)
        self.rate = self.video.average_rate or self.video.guessed_rate
        self._offset = 0 if not start else int(round(start / self.time_base))
        self._default_duration = (
            int(round(1 / (self.rate * self.time_base))) if self.rate else 1
        )
        self._count = 0
        self._pending = []
        self._items = self._demux()
        try:
            # Decode up to the first kept frame: its rotation and size set the
            # output's.
            for kind, item in self._items:
                if kind == "video" and self._before_start(item.pts):
                    continue
                self._pending.append((kind, item))
                if kind == "video":
                    break
            else:
                raise ValueError(
                    f"`{name}` holds no frames"
                    + ("" if start is None else f" after start={start}")
                    + f". Received: {name}={self.path}"
                )
            self._first_frame = self._pending[-1][1]
        except BaseException:
            self.close()
            raise
        self.rotation = self._first_frame.rotation or 0
        quarters = _rotation_quarters(self.rotation)
        raw_w, raw_h = self._first_frame.width, self._first_frame.height
        if quarters % 2:
            raw_w, raw_h = raw_h, raw_w
        self.width, self.height = _frame_size(raw_w, raw_h, max_size)

    def info(self):
        """A `VideoInfo` describing the input (size after `max_size`)."""
        duration = None
        if self.video.duration is not None:
            duration = float(self.video.duration * self.time_base)
        elif self.container.duration is not None:
            duration = self.container.duration / 1e6
        return VideoInfo(
            width=self.width,
            height=self.height,
            rotation=int(self.rotation),
            frames=self.video.frames or None,
            duration=duration,
            rate=self.rate,
            format=self.container.format.name,
            codec=self.video.codec_context.name,
            audio_streams=len(self.audio),
        )

    def _error(self, e):
        return ValueError(
            f"`{self.name}` could not be decoded ({e}); the file may be truncated "
            f"or damaged. Received: {self.name}={self.path}"
        )

    def _demux(self):
        """Raw items in file order: `("video", av.VideoFrame)`, `("audio", packet)`."""
        av = self.av
        if self.start:
            # Seek to the key frame before `start`; frames before it are dropped.
            self.container.seek(int(self.start * 1e6), backward=True)
        try:
            for packet in self.container.demux(self.video, *self.audio):
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        yield "audio", packet
                    continue
                for frame in packet.decode():
                    yield "video", frame
        except av.FFmpegError as e:
            raise self._error(e) from None

    def _before_start(self, pts):
        # Half a frame of slack: `start` may fall between two frames' stamps.
        return bool(
            self.start
            and pts is not None
            and pts < self._offset - self._default_duration // 2
        )

    def _convert(self, frame):
        quarters = _rotation_quarters(self.rotation)
        width, height = (
            (self.height, self.width) if quarters % 2 else (self.width, self.height)
        )
        frame = frame.reformat(
            width=width, height=height, format="rgb24", interpolation="AREA"
        )
        rgb = frame.to_ndarray()
        return np.ascontiguousarray(np.rot90(rgb, quarters)) if quarters else rgb

    def __iter__(self):
        tb = self.time_base
        start_pts = self._offset
        end_pts = None if self.end is None else self.end / tb
        last_pts = None
        default_duration = self._default_duration
        items = _chain(self._pending, self._items)
        self._pending = []
        past_end = False
        for kind, item in items:
            if kind == "audio":
                pts = item.pts if item.pts is not None else item.dts
                item_tb = item.time_base
                if self.start and pts * item_tb < self.start:
                    continue
                if self.end is not None and pts * item_tb >= self.end:
                    if past_end:
                        break  # both streams are past `end`
                    continue
                if self.start:
                    shift = int(round(self.start / item_tb))
                    item.pts = None if item.pts is None else item.pts - shift
                    item.dts = item.dts - shift
                yield "audio", item
                continue
            pts = item.pts
            if pts is None:  # raw streams without timestamps: use the frame rate
                pts = start_pts + self._count * default_duration
            if self._before_start(pts):
                continue
            if end_pts is not None and pts >= end_pts:
                # Audio packets before `end` may still follow (streams are
                # interleaved loosely): read on until one passes `end` too.
                past_end = True
                if not self.audio:
                    break
                continue
            pts = max(pts - start_pts, 0)  # a frame just before `start` shows at 0
            if last_pts is not None and pts <= last_pts:
                pts = last_pts + 1  # encoders need strictly increasing stamps
            last_pts = pts
            duration = item.duration or default_duration
            self._count += 1
            yield "video", (self._convert(item), pts, duration)
        self._check_complete()

    def _check_complete(self):
        declared = self.video.frames
        # Containers may trim a frame or two through edit lists, so only a
        # clear shortfall counts as truncation.
        if (
            self.start is None
            and self.end is None
            and declared
            and self._count < declared - 2
        ):
            raise ValueError(
                f"`{self.name}` ends early: {self._count} of the {declared} frames "
                f"its header declares could be decoded (a truncated or damaged "
                f"file). Received: {self.name}={self.path}"
            )

    def close(self):
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _chain(first, rest):
    yield from first
    yield from rest
