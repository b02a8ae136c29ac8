"""The two ways in: CometAPI's paths (as the spec names them) and Kling's own.

CometAPI serves Kling's API under a ``/kling`` prefix; Kling serves the same paths
without it. Both families are derived from the spec's paths, so they always agree,
and both reach the same handlers, accounts and tasks.

>>> gateway_path("/kling/v1/images/editing/expand", "kling")
'/v1/images/editing/expand'
>>> gateway_path("/kling/v1/images/editing/expand", "cometapi")
'/kling/v1/images/editing/expand'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Gateway = Literal["cometapi", "kling"]

GATEWAYS: tuple[Gateway, ...] = ("cometapi", "kling")
"""Every gateway the mock can serve, in the order its routes are tried."""

#: The prefix CometAPI puts before Kling's own paths (the spec's paths carry it).
COMETAPI_PREFIX = "/kling"


def gateway_path(spec_path: str, gateway: Gateway) -> str:
    """``spec_path`` (a CometAPI path, as the spec writes it) as ``gateway`` serves it."""
    if gateway == "cometapi":
        return spec_path
    if not spec_path.startswith(COMETAPI_PREFIX + "/"):
        raise ValueError(f"the spec path {spec_path} has no {COMETAPI_PREFIX} prefix")
    return spec_path[len(COMETAPI_PREFIX) :]


def checked_gateways(names: Iterable[str]) -> tuple[Gateway, ...]:
    """``names`` as gateways, refusing unknown ones and an empty selection.

    >>> checked_gateways(["kling"])
    ('kling',)
    """
    chosen = tuple(dict.fromkeys(names))
    unknown = [name for name in chosen if name not in GATEWAYS]
    if unknown or not chosen:
        raise ValueError(
            f"gateways must name at least one of {', '.join(GATEWAYS)}, not {list(chosen)}"
        )
    return tuple(gateway for gateway in GATEWAYS if gateway in chosen)


def api_prefixes(spec_path: str, gateways: Iterable[Gateway]) -> tuple[str, ...]:
    """The create path of each served gateway: what an API request's path starts with."""
    return tuple(gateway_path(spec_path, gateway) for gateway in gateways)
