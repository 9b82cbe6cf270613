"""Shared argparse helpers of the `keras-style` sub-commands.

Small `type=` callables that turn an option's text into a checked value and
raise `argparse.ArgumentTypeError` with a one-line message otherwise. They are
pure standard library, so every sub-command module can use them without
slowing down `--help`.
"""

import argparse


def comma_list(kind, what):
    """argparse type: 'a,b,c' -> [kind(a), kind(b), kind(c)]."""

    def parse(text):
        try:
            values = [kind(x.strip()) for x in text.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {what}, got {text!r}"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected at least one {what[:-1]}")
        return values

    return parse


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value
