"""Stylizing a folder of images and videos: mirrored sub-folders, bad files
skipped.

Used by `Stylizer.stylize_folder`; every output is written atomically, and
files that cannot be read or stylized are reported, never aborting the run.
Videos (and animated GIFs) are found by probing the files with FFmpeg when
the `video` extra is installed.
"""

import collections
import pathlib
import sys

import numpy as np

from keras_style.image import IMAGE_EXTENSIONS, load_image_with_alpha, save_image

FolderResult = collections.namedtuple("FolderResult", ["written", "skipped"])


# Names that are videos for sure: without the `video` extra they are reported
# as skipped (naming the extra) rather than silently left out.
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg")


def media_files(input_dir, *, exclude=None, name="input_dir"):
    """Sorted `[(path, kind)]` under `input_dir`, recursively; `kind` is
    `"image"`, `"video"` (probed with FFmpeg; animated GIFs included) or
    `"video-unreadable"` (a video name while the `video` extra is missing).
    Other files, and files under the folder `exclude`, are left out.

    Example:

    >>> media_files("holiday/")
    [(PosixPath('holiday/beach.jpg'), 'image'), (PosixPath('holiday/surf.mp4'), 'video')]
    """
    input_dir = pathlib.Path(input_dir)
    if not input_dir.is_dir():
        raise FileNotFoundError(
            f"`{name}` must be an existing directory. "
            f"Received: {name}={str(input_dir)!r}"
        )
    try:
        from keras_style.video import is_video, require_av

        require_av()
    except ImportError:  # no `video` extra: images only
        is_video = None
    found = []
    exclude = None if exclude is None else pathlib.Path(exclude).resolve()
    paths = sorted(
        p
        for p in input_dir.rglob("*")
        if p.is_file() and not (exclude and p.resolve().is_relative_to(exclude))
    )
    for path in paths:
        suffix = path.suffix.lower()
        if is_video is None:
            if suffix in IMAGE_EXTENSIONS:
                found.append((path, "image"))
            elif suffix in VIDEO_EXTENSIONS:
                found.append((path, "video-unreadable"))
        elif suffix in IMAGE_EXTENSIONS and suffix != ".gif":
            found.append((path, "image"))
        elif is_video(path) or suffix in VIDEO_EXTENSIONS:
            # (a broken file with a video name is reported, not left out)
            found.append((path, "video"))
        elif suffix in IMAGE_EXTENSIONS:  # a still GIF
            found.append((path, "image"))
    return found


def stylize_folder(stylize_image, stylize_video, input_dir, output_dir, *, verbose=1):
    """Stylizes every image and video under `input_dir` into `output_dir`.

    See `Stylizer.stylize_folder`, which binds its options into the two
    callables (the walker knows nothing of networks).

    Args:
        stylize_image: `stylize_image(array)` with an `(H, W, 3)` or
            `(H, W, 4)` uint8 array returns the stylized image; a
            `ValueError` skips the file.
        stylize_video: `stylize_video(input_path, output_path)` writes the
            stylized video; `ValueError`, `OSError` or `ImportError` skip it.
        input_dir, output_dir, verbose: see `Stylizer.stylize_folder`.

    Returns:
        A `FolderResult(written, skipped)`.
    """
    input_dir = pathlib.Path(input_dir)
    output_dir = pathlib.Path(output_dir)
    # Outputs inside the input folder are never inputs (a rerun would
    # stylize its own earlier results), nor probed.
    files = media_files(input_dir, exclude=output_dir, name="input_dir")
    if output_dir.resolve() == input_dir.resolve():
        raise ValueError(
            "`output_dir` must differ from `input_dir` (outputs keep the input "
            f"file names). Received: output_dir={str(output_dir)!r}"
        )
    from keras_style.utils.progbar import Progbar  # Keras': imported when used

    progbar = Progbar(len(files), verbose=verbose, unit_name="file")
    written, skipped = [], {}
    for i, (path, kind) in enumerate(files):
        target = output_dir / path.relative_to(input_dir)
        if kind != "image":
            try:
                target = _stylize_video_file(stylize_video, path, target, kind)
            except (ValueError, OSError, ImportError) as e:
                skipped[path] = str(e)
            else:
                written.append(target)
            progbar.update(i + 1)
            continue
        try:
            rgb, alpha = load_image_with_alpha(path, name="input")
        except (ValueError, OSError) as e:
            skipped[path] = str(e)
        else:
            try:
                result = stylize_image(
                    rgb if alpha is None else np.dstack([rgb, alpha])
                )
            except ValueError as e:  # e.g. too small for the network
                skipped[path] = str(e)
                progbar.update(i + 1)
                continue
            try:
                save_image(result, target)
            except (ValueError, OSError) as e:
                skipped[path] = f"could not write {target}: {e}"
            else:
                written.append(target)
        progbar.update(i + 1)
    if verbose and skipped:
        print(f"Skipped {len(skipped)} file(s):", file=sys.stderr)
        for path, reason in skipped.items():
            print(f"  {path}: {reason}", file=sys.stderr)
    return FolderResult(written, skipped)


def _stylize_video_file(stylize_video, path, target, kind):
    if kind == "video-unreadable":
        from keras_style.video import require_av

        require_av()  # raises the ImportError that names the extra
    from keras_style.video.writer import check_output_path

    try:
        check_output_path(target)
    except ValueError:  # a video under a name FFmpeg cannot write to
        target = target.with_name(target.name + ".mp4")
    stylize_video(path, target)
    return target
