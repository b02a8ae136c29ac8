"""Checks before the network: a create request the spec says would be refused never leaves.

The verdict comes from the shared :func:`kling_spec.check_expand_request` (the
same code the mock server refuses requests with), built from the constraints
of the resolved spec the client was given; nothing here restates a limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kling_spec import ExpandConstraints, check_expand_request

from ._images import PreparedImage
from ._ratios import Ratios, check_ratios, raise_if_any

if TYPE_CHECKING:
    from kling_expand_api.models import ExpandImageRequest

__all__ = ["build_create_request", "check_ratios"]


def build_create_request(
    image: PreparedImage,
    ratios: Ratios,
    *,
    constraints: ExpandConstraints,
    external_task_id: str,
    prompt: str | None = None,
    n: int | None = None,
    watermark: bool | None = None,
    callback_url: str | None = None,
) -> ExpandImageRequest:
    """The create request's body, checked against the spec; raises before anything is sent."""
    body: dict[str, Any] = {constraints.image_field: image.wire, **ratios.as_fields(constraints)}
    optional: dict[str, Any] = {
        constraints.prompt_field: prompt,
        constraints.n_field: n,
        constraints.watermark_field: (
            None if watermark is None else {constraints.watermark_enabled_field: watermark}
        ),
        constraints.callback_field: callback_url,
        constraints.external_task_id_field: external_task_id,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    raise_if_any(check_expand_request(body, constraints, image=image.info))
    from kling_expand_api.models import ExpandImageRequest  # the generated client, when used

    return ExpandImageRequest.from_dict(body)
