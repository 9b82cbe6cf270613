"""Streaming video encoding on PyAV (FFmpeg), written atomically.

`VideoWriter` encodes frames with the input's timestamps and copies audio
packets through untouched, into a temporary file that is renamed into place
only when everything was written.
"""

import contextlib
import fractions
import os
import pathlib
import tempfile

import numpy as np

from keras_style.utils.files import current_umask
from keras_style.video.reader import require_av

# Output extension -> (container format, video codec). Other extensions are
# left to FFmpeg's guess with H.264.
_OUTPUT_FORMATS = {
    ".mp4": ("mp4", "libx264"),
    ".m4v": ("mp4", "libx264"),
    ".mov": ("mov", "libx264"),
    ".mkv": ("matroska", "libx264"),
    ".webm": ("webm", "libvpx-vp9"),
    ".avi": ("avi", "mpeg4"),
    ".gif": ("gif", "gif"),
    ".webp": ("webp", "libwebp_anim"),
}


def check_output_path(path, *, name="output"):
    """Checks, before any work, that a video can be written to `path`.

    Returns:
        `(path, container format, video codec)`.
    """
    path = pathlib.Path(path)
    if path.is_dir() or str(path).endswith(("/", "\\")):
        raise IsADirectoryError(
            f"`{name}` must be a file path, not a folder. Received: {name}={path}"
        )
    suffix = path.suffix.lower()
    if suffix in _OUTPUT_FORMATS:
        fmt, codec = _OUTPUT_FORMATS[suffix]
    else:
        av = require_av()
        try:
            with av.open(os.devnull, "w", format=suffix.lstrip(".") or None):
                pass
        except (ValueError, av.FFmpegError):
            raise ValueError(
                f"`{name}` must end in a video extension FFmpeg can write "
                f"({', '.join(sorted(_OUTPUT_FORMATS))}, ...). Received: {name}={path}"
            ) from None
        fmt, codec = suffix.lstrip("."), "libx264"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(
            f"Cannot create the folder of `{name}` ({e}). Received: {name}={path}"
        ) from None
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(
            f"The folder of `{name}` is not writable. Received: {name}={path}"
        )
    return path, fmt, codec


class VideoWriter:
    """Encodes frames with given timestamps; copies audio packets through.

    Output goes to a temporary file next to `path`; `close()` renames it into
    place, `abort()` (or leaving a `with` block by an exception) deletes it.

    Args:
        path: destination; the container follows the extension (`.mp4`:
            H.264, `.webm`: VP9, `.gif`: animated GIF with a palette per frame).
        width, height: frame size.
        time_base: `Fraction` unit of the `pts` passed to `write`.
        rate: nominal frame rate (rate control; timing follows `pts`).
        audio_streams: input audio streams to copy (not re-encoded).
        crf: quality for H.264/VP9 (lower is better; 18 is near transparent).
        codec: optional video encoder name overriding the extension's default.
        name: argument name used in error messages.
    """

    def __init__(
        self,
        path,
        *,
        width,
        height,
        time_base,
        rate=None,
        audio_streams=(),
        crf=18,
        codec=None,
        name="output",
    ):
        av = self.av = require_av()
        self.path, fmt, default_codec = check_output_path(path, name=name)
        self.name = name
        self.codec = codec or default_codec
        self.time_base = time_base
        fd, self.tmp = tempfile.mkstemp(
            prefix=f".{self.path.stem}.",
            suffix=f".part{self.path.suffix}",
            dir=self.path.parent,
        )
        os.close(fd)
        try:
            # Animations loop forever, as GIFs do by default.
            options = {"loop": "0"} if fmt == "webp" else {}
            self.container = av.open(self.tmp, "w", format=fmt, options=options)
            self.stream = self._add_video(width, height, rate, crf)
            self.audio = {}
            for stream in audio_streams:
                if fmt == "gif":
                    break  # GIF holds no sound
                codec_name = stream.codec_context.name
                if codec_name not in self.container.supported_codecs:
                    raise ValueError(
                        f"The input's {codec_name} audio cannot be copied into a "
                        f"{fmt} file; pick .mp4, .mkv or .mov, or audio=False. "
                        f"Received: {name}={self.path}"
                    )
                self.audio[stream.index] = self.container.add_stream_from_template(
                    stream
                )
        except BaseException:
            self.abort()
            raise

    def _add_video(self, width, height, rate, crf):
        av = self.av
        try:
            stream = self.container.add_stream(self.codec, rate=rate)
        except (ValueError, av.FFmpegError) as e:
            raise ValueError(
                f"The video encoder {self.codec!r} is not available ({e}). "
                f"Received: {self.name}={self.path}"
            ) from None
        stream.width, stream.height = width, height
        if self.codec == "gif":
            stream.pix_fmt = "pal8"
        elif self.codec == "libx264" and (width % 2 or height % 2):
            stream.pix_fmt = "yuv444p"  # 4:2:0 needs even sides; keep the size exact
        else:
            stream.pix_fmt = "yuv420p"
        if self.codec == "gif":
            # GIF delays are whole centiseconds.
            self._codec_time_base = fractions.Fraction(1, 100)
        else:
            # The input's time base keeps variable frame rates exact.
            self._codec_time_base = self.time_base
        stream.codec_context.time_base = self._codec_time_base
        stream.time_base = self._codec_time_base
        self._last_pts = None
        if self.codec == "libwebp_anim":
            stream.options = {"quality": str(max(0, 100 - 2 * crf))}
        if self.codec in ("libx264", "libvpx-vp9"):
            options = {"crf": str(crf)}
            if self.codec == "libvpx-vp9":
                options["b"] = "0"
            stream.options = options
        return stream

    def _to_frame(self, rgb):
        av = self.av
        if self.codec == "gif":
            from PIL import Image

            # A palette per frame (median cut) looks far better than FFmpeg's
            # fixed rgb8 palette.
            pal = Image.fromarray(rgb).quantize(256, dither=Image.Dither.NONE)
            palette = np.zeros((256, 4), np.uint8)
            colors = np.asarray(pal.getpalette(), np.uint8).reshape(-1, 3)[:256]
            palette[: len(colors), 1:] = colors
            palette[:, 0] = 255
            return av.VideoFrame.from_ndarray(
                (np.asarray(pal, np.uint8), palette), format="pal8"
            )
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        return frame.reformat(format=self.stream.pix_fmt)

    def write(self, rgb, pts, duration=None):
        """Encodes one `(H, W, 3)` uint8 frame shown at `pts` (`time_base` units)."""
        frame = self._to_frame(rgb)
        scale = self.time_base / self._codec_time_base
        pts = int(round(pts * scale))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # frames closer than a GIF tick
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = self._codec_time_base
        if duration:
            frame.duration = max(1, int(round(duration * scale)))
        self._mux(self.stream.encode(frame))

    def write_audio(self, packet):
        """Copies one demuxed audio packet into the output, without decoding."""
        stream = self.audio.get(packet.stream.index)
        if stream is not None:
            packet.stream = stream
            self._mux([packet])

    def _mux(self, packets):
        try:
            self.container.mux(packets)
        except self.av.FFmpegError as e:
            raise ValueError(
                f"Could not write `{self.name}` ({e}). Received: {self.name}={self.path}"
            ) from None

    def close(self):
        """Flushes the encoder and moves the finished file into place."""
        try:
            self._mux(self.stream.encode(None))
            self.container.close()
            # mkstemp creates 0600 files; give the result the usual umask mode.
            os.chmod(self.tmp, 0o666 & ~current_umask())
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self):
        """Discards the partial output."""
        container = getattr(self, "container", None)
        if container is not None:
            # A half-open muxer may fail to finalise; the file goes anyway.
            with contextlib.suppress(Exception):
                container.close()
        pathlib.Path(self.tmp).unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abort()
