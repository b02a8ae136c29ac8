"""The framework's ceiling: a bare Starlette app on the mock's routes, doing no work.

It reads the request body and answers a fixed task envelope: no authentication,
no validation, no task store. Run under the same uvicorn as the mock, its
figures are the most this machine can serve through Starlette, so the mock's
share of them measures the mock's own cost.

>>> from kling_spec import CREATE_PATH, TASK_PATH
>>> [route.path for route in create_ceiling_app().routes] == [CREATE_PATH, TASK_PATH]
True
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kling_spec import CREATE_PATH, TASK_PATH

CEILING_TASK_ID = "ceiling-task"


def _envelope() -> bytes:
    record = {
        "task_id": CEILING_TASK_ID,
        "task_status": "submitted",
        "task_status_msg": "",
        "task_info": {},
        "task_result": {},
        "created_at": 0,
        "updated_at": 0,
    }
    return json.dumps(
        {"code": 0, "message": "SUCCEED", "request_id": "ceiling", "data": record}
    ).encode()


def create_ceiling_app() -> Starlette:
    """The ceiling app (a uvicorn ``--factory``)."""
    envelope = _envelope()

    async def create(request: Request) -> Response:
        await request.body()
        return Response(envelope, media_type="application/json")

    async def get_task(request: Request) -> Response:
        return Response(envelope, media_type="application/json")

    return Starlette(
        routes=[
            Route(CREATE_PATH, create, methods=["POST"]),
            Route(TASK_PATH, get_task, methods=["GET"]),
        ]
    )
