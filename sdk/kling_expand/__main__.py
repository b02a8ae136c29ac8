"""``python -m kling_expand``: the ``kling-expand`` command line."""

from ._cli import run

run()
