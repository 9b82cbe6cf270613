"""The `--style` syntax shared by the command line and the app.

`wave`, `hf://owner/repo` or a folder name one preset; a suffix picks styles
of a multi-style network: `magenta26:7`, `magenta26:3=0.5,12=0.5` (the
handle itself may hold a colon).
"""

import re

# The zoo preset that stylizes with any painting (`--style-image`).
ARBITRARY = "arbitrary"

_STYLE_SUFFIX = re.compile(r"^(?P<preset>.+):(?P<styles>[0-9][0-9=.,\s]*)$")


def split_style(text):
    """`(preset, styles or None)` of a `--style` value.

    Example:

    >>> split_style("magenta26:3=0.5,12=0.5")
    ('magenta26', '3=0.5,12=0.5')
    >>> split_style("hf://owner/repo")
    ('hf://owner/repo', None)
    """
    match = _STYLE_SUFFIX.match(text)
    if match is None:
        return text, None
    return match.group("preset"), match.group("styles")
