"""Everything the mock can be told, in one frozen dataclass with documented defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

DEFAULT_DEV_KEY = "kling-mock-dev-key"
"""The bearer key the mock accepts out of the box (account ``dev``)."""
DEFAULT_DEV_ACCESS_KEY = "kling-mock-dev-access-key"
DEFAULT_DEV_SECRET_KEY = "kling-mock-dev-secret-key-not-for-production"
"""The Kling key pair the mock accepts out of the box (account ``dev``): sign HS256 JWTs
with the secret key, ``iss`` = the access key."""

ExternalIdLookup = Literal["list_filter", "list_filter_and_path"]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class MockConfig:
    """How the mock behaves. Every field has a default that suits local development.

    >>> MockConfig().api_keys[DEFAULT_DEV_KEY]
    'dev'
    >>> MockConfig(processing_seconds=0.5).processing_seconds
    0.5
    """

    #: bearer key -> account name. Tasks of one account are invisible to another.
    api_keys: Mapping[str, str] = field(default_factory=lambda: _frozen({DEFAULT_DEV_KEY: "dev"}))
    #: Kling access key -> (secret key, account): ``Bearer <JWT>`` signed HS256 with the
    #: secret key, ``iss`` = access key. Accounts are shared with ``api_keys``; either
    #: credential works on either path family.
    kling_keys: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: _frozen({DEFAULT_DEV_ACCESS_KEY: (DEFAULT_DEV_SECRET_KEY, "dev")})
    )
    #: seconds of tolerance on a JWT's ``exp`` and ``nbf``, judged on the mock's clock.
    jwt_leeway_seconds: float = 5.0
    #: which path families are served: ``cometapi`` (``/kling/v1/...``, the spec's
    #: paths) and ``kling`` (``/v1/...``, Kling's own), with the same tasks.
    gateways: tuple[str, ...] = ("cometapi", "kling")
    #: how long a task stays ``submitted``, then ``processing``, on the mock's clock.
    submitted_seconds: float = 1.0
    processing_seconds: float = 3.0
    #: ``list_filter``: an external_task_id is looked up only with the list operation's
    #: ``external_task_id`` query; ``list_filter_and_path``: the get path resolves it too
    #: (when no task has that task_id), as Kling documents.
    external_id_lookup: ExternalIdLookup = "list_filter_and_path"
    #: The request schema allows properties it does not name, so by default the mock
    #: ignores them as the service must; ``True`` refuses them (400/1201) to catch typos.
    reject_unknown_fields: bool = False
    #: Whether the clock starts frozen (moves only when advanced: tests) or follows
    #: real time (``kling-mock serve``). It starts at ``clock_start`` (Unix seconds) or now.
    clock_frozen: bool = True
    clock_start: float | None = None
    #: seed for task ids, request ids, result URL tokens and fault rates: ``None`` (the
    #: default) draws them from the operating system, so ids cannot be predicted; a seed
    #: makes a run repeat exactly (tests).
    seed: int | None = None
    #: task store bounds: the oldest tasks are evicted past either cap (stored bytes count
    #: uploads, external_task_id and callback_url), and any task
    #: older than ``task_ttl_seconds`` (by the mock's clock) disappears.
    max_tasks: int = 10_000
    max_stored_bytes: int = 256 * 1024 * 1024
    task_ttl_seconds: float = 30 * 24 * 3600
    #: request bodies larger than this are refused with 413 before being read whole;
    #: ``None`` derives it from the spec: the largest base64 image plus room for the rest.
    max_body_bytes: int | None = None
    #: JSON nested deeper than this is refused (400/1200); no valid request comes close.
    max_json_depth: int = 32
    #: a body with more commas than this is refused (400/1200) before it is parsed: a
    #: 13 MB body of tiny values would otherwise parse into gigabytes of objects.
    #: ``None`` derives it from the spec: the room for every field but the image
    #: (base64 has no commas, so a valid create cannot hold more).
    max_json_commas: int | None = None
    #: the most pixels the mock decodes in a source image (the spec sets no such limit).
    max_source_pixels: int = 4096 * 4096
    #: When the app starts serving (its ASGI lifespan), move every object start-up made
    #: (the spec, compiled schemas, imported modules) out of the garbage collector's
    #: reach with ``gc.freeze()``, so its full passes walk only the tasks and stay short
    #: (a 50 ms pause at a few thousand tasks becomes about 15). For a process that is
    #: the mock's own, as ``kling-mock serve`` is; leave it off where the mock shares a
    #: process (tests), whose objects it would pin for good.
    freeze_startup_heap: bool = False
    #: byte budget of rendered result images kept for repeated downloads.
    render_cache_bytes: int = 64 * 1024 * 1024
    #: canvas pixels that renders (first downloads) may hold at once; a render waits,
    #: without spinning, until its canvas fits. ``None``: the largest canvas the spec
    #: allows (``max_source_pixels`` times its area limit), so the largest renders alone.
    render_budget_pixels: int | None = None
    #: how many image decodes (uploads) and renders (first downloads) run at once, each
    #: holding a full bitmap; the rest wait their turn, so memory stays bounded.
    max_concurrent_decodes: int = 2
    #: how many create bodies over ``large_body_bytes`` (or of unknown length) are read
    #: and handled at once; each holds several copies of up to ``max_body_bytes`` (raw,
    #: text, parsed, decoded), so the rest wait unread (the server stops reading them).
    max_concurrent_large_bodies: int = 4
    #: how long a request body may take to arrive, from its first read: an upload that
    #: stops sending (or declares more than it sends) is answered 408/1200 and its slot
    #: freed after this.
    body_timeout_seconds: float = 10.0
    #: the size from which a create body counts as large (small ones never wait).
    large_body_bytes: int = 1024 * 1024
    #: hosts (exact names or IP literals) the mock may fetch image URLs from and post
    #: callbacks to; any other image URL gets a synthetic source, never fetched.
    fetch_allowlist: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    fetch_max_bytes: int | None = None  # None: the spec's image max_bytes
    fetch_timeout_seconds: float = 5.0
    #: size of the synthetic source image used for URLs the mock does not fetch.
    synthetic_size: tuple[int, int] = (1024, 768)
    #: base of result URLs; ``None`` uses the URL the client reached the mock at.
    public_base_url: str | None = None
    #: fault scenario name -> probability per API request (drawn from ``seed``).
    fault_rates: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    #: latency the ``slow`` scenario adds, and ``Retry-After`` on 429/503.
    slow_seconds: float = 2.0
    retry_after_seconds: int = 1
    #: probability that a task ends ``failed`` (content policy) rather than ``succeed``.
    task_failure_rate: float = 0.0
    #: Standard Webhooks secret (``whsec_...``) to sign callbacks with; ``None``: unsigned.
    callback_secret: str | None = None
    callback_max_attempts: int = 5
    callback_backoff_seconds: float = 1.0
    #: the most one delivery attempt may take, connecting, sending and reading together.
    callback_timeout_seconds: float = 5.0
    #: how many delivery attempts run at once; a slow receiver holds one of them for at
    #: most ``callback_timeout_seconds``, so it cannot hold up the others.
    callback_concurrency: int = 16
    #: how long ``POST /_mock/clock/advance`` waits for the attempts it started before it
    #: answers (quick receivers are done by then; slow ones finish in the background).
    callback_advance_wait_seconds: float = 0.25
    #: bearer token the admin API under ``/_mock`` demands; ``None``: the admin API is
    #: open, as suits a mock on loopback that only its own tests reach.
    admin_token: str | None = None
    #: byte budget of the journal: past it the oldest entries are dropped, whatever
    #: ``journal_max_entries`` allows. Each entry keeps at most ``journal_max_headers``
    #: headers, each name and value cut to ``journal_header_bytes``; a request without a
    #: valid key is kept as a summary without headers.
    journal_max_bytes: int = 8 * 1024 * 1024
    journal_max_headers: int = 64
    journal_header_bytes: int = 256
    #: how many journal entries and callback deliveries are kept (oldest dropped).
    journal_max_entries: int = 1000
    deliveries_max_entries: int = 1000
