"""``python -m kling_mock serve``."""

import sys

from ._cli import main

sys.exit(main())
