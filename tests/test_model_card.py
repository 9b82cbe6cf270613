"""The model card: its usage snippet runs, its sections follow the facts given."""

import os
import re

import numpy as np
import pytest
from PIL import Image

from keras_style import zoo
from keras_style.models.transform_net import TransformNet
from keras_style.presets.model_card import model_card


def run_usage_snippet(card, workdir, photo_size=(24, 32)):
    """Runs the card's Python snippet in `workdir` next to a `photo.jpg`.

    Returns the images the snippet wrote (path -> PIL size); raises whatever
    the snippet raises.
    """
    blocks = re.findall(r"```python\n(.*?)```", card, flags=re.S)
    assert len(blocks) == 1, card
    h, w = photo_size
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
        workdir / "photo.jpg"
    )
    before = set(os.listdir(workdir))
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        exec(compile(blocks[0], "model card snippet", "exec"), {})
    finally:
        os.chdir(cwd)
    written = sorted(set(os.listdir(workdir)) - before)
    sizes = {}
    for name in written:
        with Image.open(workdir / name) as img:
            sizes[name] = img.size
    return sizes


def test_default_card_snippet_stylizes_a_photo(tmp_path):
    preset = TransformNet(filters=(8, 16, 32), residual_blocks=1).save_to_preset(
        tmp_path / "tiny_style"
    )
    card = (preset / "README.md").read_text()
    work = tmp_path / "work"
    work.mkdir()
    assert run_usage_snippet(card, work) == {"tiny_style.jpg": (32, 24)}
    assert f"--style {preset} -o tiny_style.jpg" in card


def test_zoo_card_snippet_stylizes_a_photo(tmp_path):
    card = zoo.model_card("wave")
    assert run_usage_snippet(card, tmp_path) == {"wave.jpg": (32, 24)}


def test_a_wrong_snippet_fails(tmp_path):
    preset = TransformNet(filters=(8, 16, 32), residual_blocks=1).save_to_preset(
        tmp_path / "p"
    )
    # What an earlier card of `keras-style train` said: one image in, one
    # PIL image out, so indexing it fails.
    card = (
        (preset / "README.md")
        .read_text()
        .replace('.stylize("photo.jpg")', '.stylize("photo.jpg")[0]')
    )
    with pytest.raises(TypeError):
        run_usage_snippet(card, tmp_path)


def test_sections_follow_the_facts():
    plain = model_card("presets/mine", description="Mine.")
    assert plain.startswith("---\nlibrary_name: keras\ntags:\n")
    assert "\n# mine\n\nMine.\n\n## Usage\n" in plain
    assert "## Licence" not in plain and "license" not in plain
    assert "## Training settings" not in plain

    full = model_card(
        "hf://someone/my-style",
        description="Mine.",
        title="My style",
        training={"batch_size": 2, "content_layers": ["relu4_2"]},
        training_notes="Trained for 2 steps.",
        licence="CC-BY-4.0 text.",
        attribution="Someone",
        hub_licence={"license": "cc-by-4.0"},
    )
    assert "\nlicense: cc-by-4.0\n" in full.split("---")[1]
    assert "# My style\n" in full
    assert 'keras_style.zoo.load("hf://someone/my-style")' in full
    assert '.save("my-style.jpg")' in full
    assert "| batch_size | `2` |\n| content_layers | `['relu4_2']` |" in full
    assert full.index("Trained for 2 steps.") < full.index("## Licence")
    assert full.endswith("## Licence\n\nCC-BY-4.0 text.\n\nAttribution: Someone\n")
