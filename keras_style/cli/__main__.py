"""`python -m keras_style.cli`: the same as the `keras-style` command."""

import sys

from keras_style.cli import main

sys.exit(main())
