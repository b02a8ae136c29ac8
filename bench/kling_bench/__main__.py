"""``python -m kling_bench``: see :mod:`kling_bench._cli`."""

import sys

from ._cli import main

sys.exit(main())
