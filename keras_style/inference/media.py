"""Folders and videos for every stylizer: `stylize_folder` and `stylize_video`
bind a stylizer's options into the callables that `folders.stylize_folder`
and `keras_style.video` take (they know nothing of networks)."""

import functools

from keras_style import video
from keras_style.inference.folders import stylize_folder
from keras_style.inference.options import check_options


class MediaMixin:
    """`stylize_folder` and `stylize_video` on top of a stylizer's `stylize`."""

    def stylize_folder(
        self, input_dir, output_dir, *, verbose=1, video_options=None, **kwargs
    ):
        """Stylizes every image and video under `input_dir` into `output_dir`.

        Sub-folders are mirrored and file names kept (the format follows the
        extension). Images go through `stylize`; with the `video` extra, files
        are probed with FFmpeg and videos (animated GIFs too) go through
        `stylize_video` (`.mp4` is appended to a name FFmpeg cannot write).
        Without the extra, video files are skipped with a reason naming it.
        Outputs are written atomically; files that cannot be read or
        stylized are skipped and reported, never aborting the run.

        Args:
            input_dir: folder searched recursively for images and videos.
            output_dir: destination folder (created; must differ from
                `input_dir`).
            verbose: 1 shows a progress bar and lists skipped files on
                stderr; 2 prints plain progress lines instead of the bar (for
                logs: one every few seconds and one at the end); 0 is silent.
            video_options: optional dict of `stylize_video` options for the
                videos only, e.g. `dict(consistency="flow", start=0, end=10)`
                (`consistency`, `start`, `end`, `blend`, `crf`, `codec`,
                `audio`, ...); images ignore it.
            **kwargs: forwarded to `stylize` for images and to
                `stylize_video` for videos (`strength`, `preserve_colors`,
                `max_size`, `tile_size`, `batch_size`, ...); checked once, up
                front.

        Returns:
            A `FolderResult(written, skipped)`: the list of written paths and a
            dict `{input path: reason}` of skipped files.

        Example:

        >>> result = stylizer.stylize_folder("media/", "styled/",
        ...                                  video_options=dict(end=10))
        >>> len(result.written), result.skipped
        (12, {})
        """
        # Bad options fail once, up front, not as one skipped file each.
        check_options(**{k: v for k, v in kwargs.items() if k != "preserve_colors"})
        video_kwargs = {**kwargs, **(video_options or {})}
        return stylize_folder(
            functools.partial(self.stylize, **kwargs),
            # One line per video from the folder's progress bar, not a nested bar.
            functools.partial(self.stylize_video, verbose=0, **video_kwargs),
            input_dir,
            output_dir,
            verbose=verbose,
        )

    def stylize_video(
        self,
        input,
        output,
        *,
        consistency="flow",
        strength=1.0,
        preserve_colors=False,
        max_size=None,
        batch_size=4,
        start=None,
        end=None,
        **kwargs,
    ):
        """Stylizes a video file, keeping its frames, timing and sound.

        Frames are streamed (decoded, stylized in batches, encoded), so memory
        does not depend on the clip's length; with `consistency="flow"`
        flicker is removed with optical flow. Needs the `video` extra
        (`pip install "keras-style[video]"`). See
        `keras_style.video.stylize_video` for all options.

        Args:
            input: path of a video file or animated GIF.
            output: destination (`.mp4` H.264 by default, `.gif`, `.mkv`,
                ...); written to a temporary file and renamed when complete.
            consistency: `"flow"` (steady) or `"none"` (frame by frame).
            strength: float in [0, 1]; blend with the original frames.
            preserve_colors: keep the video's colours.
            max_size: optional int; frames are downscaled so their longest
                side is at most this (the output has that size).
            batch_size: frames per network call.
            start, end: optional times in seconds to cut the clip.
            **kwargs: `crf`, `codec`, `audio`, `blend`, `verbose`,
                `progress`, tiling.

        Returns:
            The output path as a `pathlib.Path`.

        Example:

        >>> stylizer = keras_style.zoo.load("wave")
        >>> stylizer.stylize_video("clip.mp4", "wave.mp4", max_size=640)
        PosixPath('wave.mp4')
        """

        return video.stylize_video(
            self,
            input,
            output,
            consistency=consistency,
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            batch_size=batch_size,
            start=start,
            end=end,
            **kwargs,
        )
