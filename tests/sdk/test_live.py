"""Against the real service, only when asked: ``-m live``, ``KLING_LIVE=1`` and ``COMETAPI_KEY``.

Marked ``live``, so the default run (``-m "not live"``, as in ``make test``)
never selects them, whatever the environment says. The queries cost nothing.
The expansion is paid, so it runs only with ``KLING_LIVE_EXPAND=1`` as well,
on the shipped sample photo with ``n=1``.
"""

from __future__ import annotations

import os

import pytest

from kling_expand import KlingExpand, Task
from kling_expand._sample import sample_photo_path

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (os.environ.get("KLING_LIVE") == "1" and os.environ.get("COMETAPI_KEY")),
        reason="live checks run only with KLING_LIVE=1 and COMETAPI_KEY set",
    ),
]


def test_the_real_service_lists_tasks():
    with KlingExpand() as client:
        for task in client.list(page_size=5):
            assert isinstance(task, Task)
            break


@pytest.mark.skipif(os.environ.get("KLING_LIVE_EXPAND") != "1", reason="a paid request")
def test_the_real_service_expands_the_sample_photo(tmp_path):
    with KlingExpand() as client:
        result = client.expand(
            sample_photo_path(), aspect="16:9", n=1, timeout=900, poll_interval=20
        )
        saved = result.save(tmp_path)
    assert saved and saved[0].size_bytes > 0
