"""Against the real service, only when asked: ``-m live`` with ``COMETAPI_KEY`` set.

Marked ``live``, so the default run (``-m "not live"``, as in ``make test``)
never selects them, whatever the environment says; selected without
``COMETAPI_KEY`` they are skipped and send nothing. The queries cost nothing.
The expansion is paid, so it runs only with ``COMETAPI_LIVE_PAID=1`` as well
(the switch ``make contract-live`` uses), on the shipped sample photo with ``n=1``.
"""

from __future__ import annotations

import os

import pytest

from kling_expand import KlingExpand, Task
from kling_expand._sample import sample_photo_path

KEY_ENV, PAID_ENV = "COMETAPI_KEY", "COMETAPI_LIVE_PAID"
NO_KEY = f"{KEY_ENV} is not set: live checks send nothing"

pytestmark = [pytest.mark.live, pytest.mark.skipif(not os.environ.get(KEY_ENV), reason=NO_KEY)]


def test_the_real_service_lists_tasks():
    with KlingExpand() as client:
        for task in client.list(page_size=5):
            assert isinstance(task, Task)
            break


@pytest.mark.skipif(os.environ.get(PAID_ENV) != "1", reason=f"a paid request: {PAID_ENV}=1")
def test_the_real_service_expands_the_sample_photo(tmp_path):
    with KlingExpand() as client:
        result = client.expand(
            sample_photo_path(), aspect="16:9", n=1, timeout=900, poll_interval=20
        )
        saved = result.save(tmp_path)
    assert saved and saved[0].size_bytes > 0
