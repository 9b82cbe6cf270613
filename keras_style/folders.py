"""Stylizing a folder of images: mirrored sub-folders, bad files skipped.

Used by `Stylizer.stylize_folder`; every output is written atomically, and
files that cannot be read or stylized are reported, never aborting the run.
"""

import collections
import pathlib
import sys

import numpy as np

from keras_style.image import list_images, load_image_with_alpha, save_image
from keras_style.progbar import Progbar

FolderResult = collections.namedtuple("FolderResult", ["written", "skipped"])


def stylize_folder(stylizer, input_dir, output_dir, *, verbose=1, **kwargs):
    """Stylizes every image under `input_dir` into `output_dir`; see
    `Stylizer.stylize_folder`."""
    from keras_style.stylizer import check_options

    # Bad options fail once, up front, not as one skipped file each.
    check_options(**{k: v for k, v in kwargs.items() if k != "preserve_colors"})
    input_dir = pathlib.Path(input_dir)
    output_dir = pathlib.Path(output_dir)
    files = list_images(input_dir, name="input_dir")
    if output_dir.resolve() == input_dir.resolve():
        raise ValueError(
            "`output_dir` must differ from `input_dir` (outputs keep the input "
            f"file names). Received: output_dir={str(output_dir)!r}"
        )
    # Outputs inside the input folder are never inputs (a rerun would
    # stylize its own earlier results).
    files = [p for p in files if not p.resolve().is_relative_to(output_dir.resolve())]
    progbar = Progbar(len(files), verbose=verbose, unit_name="image")
    written, skipped = [], {}
    for i, path in enumerate(files):
        target = output_dir / path.relative_to(input_dir)
        try:
            rgb, alpha = load_image_with_alpha(path, name="input")
        except (ValueError, OSError) as e:
            skipped[path] = str(e)
        else:
            try:
                result = stylizer.stylize(
                    rgb if alpha is None else np.dstack([rgb, alpha]), **kwargs
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
