"""The model card (`README.md`) of a preset: one writer for every preset.

Zoo presets, networks trained with `keras-style train` and plain
`save_to_preset` calls all describe themselves with `model_card`, from facts:
how the preset is loaded, what it is, how it was trained, its licence. The
usage snippet it writes is run by tests/test_model_card.py.
"""

import json
import pathlib

# Hugging Face Hub metadata of every keras-style preset.
_HUB_TAGS = ("keras", "keras-style", "style-transfer", "image-to-image")


def model_card(
    handle,
    *,
    description,
    title=None,
    also=None,
    image=None,
    training=None,
    training_notes=None,
    licence=None,
    attribution=None,
    hub_licence=None,
    notes=None,
    style_args=None,
):
    """The Markdown model card of a preset, with Hub YAML front matter.

    Args:
        handle: what loads the preset: a zoo name, `"hf://owner/repo"` or
            the preset directory. The usage snippet and the command line
            shown use it.
        description: what the network is, one or more paragraphs.
        title: the heading; default: `handle`'s last part.
        also: another handle shown next to `handle` (e.g. the Hub repo).
        image: `(alt text, URL)` of an example picture.
        training: `{setting: value}`, shown as a table.
        training_notes: a paragraph after the table (steps, data, backend).
        licence: licence text; with it, a "Licence" section.
        attribution: who to credit, in the licence section.
        hub_licence: the Hub's licence fields (`license`, `license_name`,
            `license_link`) for the front matter.
        notes: a closing paragraph (provenance, storage).
        style_args: `(python, cli)` extra arguments of the usage snippet,
            for networks that need a painting (e.g.
            `('style_image="painting.jpg"', "--style-image painting.jpg")`).

    Returns:
        The card as text.

    Example:

    >>> text = model_card("presets/my_style", description="My style.")
    >>> text.splitlines()[10]
    '# my_style'
    """
    handle = str(handle)
    short = pathlib.PurePath(handle.split("://")[-1]).name or handle
    yaml = ["library_name: keras"]
    yaml += [f"{key}: {value}" for key, value in (hub_licence or {}).items()]
    yaml += ["tags:", *(f"- {tag}" for tag in _HUB_TAGS)]
    yaml += ["pipeline_tag: image-to-image"]
    # json.dumps: a valid Python string literal for any path or name.
    comment = f"  # or {json.dumps(str(also))}" if also else ""
    py_args, cli_args = style_args or ("", "")
    py_args = f", {py_args}" if py_args else ""
    # ":7" attaches to the handle (`--style magenta26:7`); flags follow it.
    cli_args = f" {cli_args}" if cli_args and not cli_args.startswith(":") else cli_args
    parts = [
        "---\n" + "\n".join(yaml) + "\n---",
        f"# {title or short}",
        description.strip(),
    ]
    if image:
        parts.append(f"![{image[0]}]({image[1]})")
    parts += [
        "## Usage",
        "```python\nimport keras_style\n\n"
        f"stylizer = keras_style.zoo.load({json.dumps(handle)}){comment}\n"
        f'stylizer.stylize("photo.jpg"{py_args}).save("{short}.jpg")\n```',
        f"or `keras-style stylize photo.jpg --style {handle}{cli_args} -o {short}.jpg`.",
    ]
    if training:
        rows = "\n".join(f"| {key} | `{value}` |" for key, value in training.items())
        parts += ["## Training settings", f"| setting | value |\n| --- | --- |\n{rows}"]
    if training_notes:
        parts.append(training_notes.strip())
    if licence:
        parts += ["## Licence", licence.strip()]
        if attribution:
            parts.append(f"Attribution: {attribution}")
    if notes:
        parts.append(notes.strip())
    return "\n\n".join(parts) + "\n"
