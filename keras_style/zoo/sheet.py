"""`sheet`: every zoo style of every family on one photo, labelled.

A contact sheet to choose a style: one panel per style, each labelled with
what `--style` takes (`wave`, `magenta26:7`, ...). Styles that would need a
download are left out (and named) unless `download=True`; the arbitrary
network joins with a painting (`style_image`).
"""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_style.image import load_image, save_image
from keras_style.presets.registry import available, get_style
from keras_style.utils.checks import check_int
from keras_style.zoo.loading import load, source

LABEL_HEIGHT = 16


def _panel(image, label, size):
    image = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    cell = Image.new("RGB", (size, size + LABEL_HEIGHT), "white")
    cell.paste(image, ((size - image.width) // 2, (size - image.height) // 2))
    draw = ImageDraw.Draw(cell)
    font = ImageFont.load_default()
    width = draw.textlength(label, font=font)
    draw.text(((size - width) / 2, size + 2), label, fill="black", font=font)
    return cell


def sheet(
    photo,
    output=None,
    *,
    style_image=None,
    size=192,
    columns=6,
    stylize_size=512,
    download=False,
    cache_dir=None,
    verbose=0,
):
    """Renders every zoo style on `photo` as one labelled contact sheet.

    Args:
        photo: a path, PIL image or array (loaded as for `Stylizer.stylize`).
        output: optional file to write (atomically; format from the suffix).
        style_image: a painting for the arbitrary-style network's panel;
            without it that network is left out.
        size: side of each panel in pixels.
        columns: panels per row.
        stylize_size: longest side the photo is stylized at before it is
            shrunk into its panel (brush strokes have a fixed size in pixels,
            so this sets how each style looks, as on a photo of that size).
        download: also fetch styles that are not in the package or the cache.
        cache_dir: as for `keras_style.zoo.load`.
        verbose: 1 prints one line per network.

    Returns:
        `(sheet, skipped)`: the sheet as a `PIL.Image`, and `{style: reason}`
        of the styles left out.

    Example:

    >>> image, skipped = keras_style.zoo.sheet("photo.jpg", "sheet.jpg")
    >>> sorted(skipped)[:1]
    ['la_muse']
    """
    size = check_int(size, "size", minimum=32)
    columns = check_int(columns, "columns")
    stylize_size = check_int(stylize_size, "stylize_size", minimum=32)
    image = load_image(photo, name="photo", max_size=stylize_size)
    panels, skipped = [("photo", image)], {}
    for name in available():
        entry = get_style(name)
        if entry.styles == 0 and style_image is None:
            skipped[name] = "needs a painting (--style-image)"
            continue
        if not download and source(name, cache_dir=cache_dir) in ("hub", "upstream"):
            skipped[name] = "not downloaded (keras-style zoo download " + name + ")"
            continue
        stylizer = load(name, cache_dir=cache_dir)
        if verbose:
            print(f"{name}: {max(entry.styles, 1)} panel(s)", flush=True)
        if entry.styles > 1:
            for i in range(entry.styles):
                out = stylizer.stylize(image, style=i)
                panels.append((f"{name}:{i}", np.asarray(out, np.float32)))
        elif entry.styles == 0:
            out = stylizer.stylize(image, style_image=style_image)
            panels.append((f"{name} + painting", np.asarray(out, np.float32)))
        else:
            panels.append((name, np.asarray(stylizer.stylize(image), np.float32)))
    rows = -(-len(panels) // columns)
    cells = [_panel(img, label, size) for label, img in panels]
    result = Image.new(
        "RGB", (min(columns, len(cells)) * size, rows * (size + LABEL_HEIGHT)), "white"
    )
    for i, cell in enumerate(cells):
        result.paste(cell, ((i % columns) * size, (i // columns) * cell.height))
    if output is not None:
        save_image(result, output, name="output")
    return result, skipped
