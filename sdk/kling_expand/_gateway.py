"""Which service a client talks to, where, and how it authenticates: the one place that says.

Two gateways serve the same API:

* **CometAPI** (``api_key=`` or ``COMETAPI_KEY``): the spec's server and paths
  (``/kling/v1/images/editing/expand``), a static ``Authorization: Bearer <key>``.
* **Kling direct** (``access_key=`` and ``secret_key=``, or ``KLING_ACCESS_KEY`` and
  ``KLING_SECRET_KEY``): Kling's own host and the same paths without CometAPI's
  ``/kling`` prefix (``/v1/images/editing/expand``), and a short-lived HS256 JWT
  (claims ``iss`` = access key, ``exp``, ``nbf``, signed with the secret key) sent
  as ``Authorization: Bearer <jwt>``, reused until shortly before it expires.

The generated client always asks for the spec's (CometAPI) paths; the drivers send
each request to :meth:`Gateway.url_for` that path, with :meth:`Gateway.authorization`.

>>> from kling_expand._retry import SystemClock
>>> kling = resolve_gateway(access_key="ak-demo", secret_key="s" * 32, clock=SystemClock(),
...                         spec_base_url="https://api.cometapi.com", environ={})
>>> kling.name, kling.path_for("/kling/v1/images/editing/expand/t1")
('kling', '/v1/images/editing/expand/t1')
>>> kling.base_url
'https://api-singapore.klingai.com'
>>> kling.credentials_repr
"access_key='***', secret_key='***'"
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from ._exceptions import ConfigurationError
from ._retry import Clock, WallClock

GatewayName = Literal["cometapi", "kling"]
GATEWAYS: tuple[GatewayName, ...] = ("cometapi", "kling")

API_KEY_ENV = "COMETAPI_KEY"
ACCESS_KEY_ENV = "KLING_ACCESS_KEY"
SECRET_KEY_ENV = "KLING_SECRET_KEY"
BASE_URL_ENV = "KLING_BASE_URL"

#: Kling's own API host (``https://api-beijing.klingai.com`` serves mainland China).
KLING_DIRECT_BASE_URL = "https://api-singapore.klingai.com"
#: The prefix CometAPI puts before Kling's own paths (the spec's paths carry it).
COMETAPI_PREFIX = "/kling"

#: A token's lifetime (Kling's examples: 1800 s) and the slack ``nbf`` gives a
#: server whose clock is a little behind this one's.
TOKEN_LIFETIME_S = 1800.0
TOKEN_NOT_BEFORE_SLACK_S = 5.0
#: A cached token is renewed once less than this is left of it, so a request (and
#: its retries) never goes out with one about to expire on the way.
TOKEN_RENEW_BEFORE_S = 120.0
_ALGORITHM = "HS256"
_KEY_SHAPE = re.compile(r"[\x21-\x7e]+")


def unix_time_on(clock: Clock) -> Callable[[], float]:
    """Unix seconds as ``clock`` tells them.

    A clock with ``now()`` (the SDK's :class:`SystemClock`, the mock's clock) says
    them itself; any other is anchored to the wall clock once and moves as its
    ``monotonic()`` moves, so a test's fake clock ages tokens as it advances.
    """
    now = getattr(clock, "now", None)
    if callable(now):  # a clock's ``now`` may also be a plain attribute: only a method counts
        return cast(WallClock, clock).now
    wall, start = time.time(), clock.monotonic()
    return lambda: wall + (clock.monotonic() - start)


class KlingToken:
    """Kling's access-key JWT: minted with PyJWT, cached, renewed shortly before it expires.

    Thread-safe (a batch may send from worker threads). Neither key appears in its repr.
    """

    def __init__(self, access_key: str, secret_key: str, clock: Clock) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._now = unix_time_on(clock)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return "KlingToken(access_key='***', secret_key='***')"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._access_key, self._secret_key, *([self._token] if self._token else []))

    @property
    def account(self) -> str:
        return "kling:" + self._access_key

    def current(self) -> str:
        """The cached token, or a new one when it is missing or about to expire."""
        with self._lock:
            if self._token is None or self._now() >= self._expires - TOKEN_RENEW_BEFORE_S:
                self._mint()
            assert self._token is not None
            return self._token

    def renew(self) -> None:
        """Mint a new token now (the service said the cached one had expired)."""
        with self._lock:
            self._mint()

    def _mint(self) -> None:
        import jwt  # PyJWT, imported on first use: a CometAPI client never needs it

        now = self._now()
        self._expires = now + TOKEN_LIFETIME_S
        claims = {
            "iss": self._access_key,
            "exp": int(self._expires),
            "nbf": int(now - TOKEN_NOT_BEFORE_SLACK_S),
        }
        self._token = jwt.encode(
            claims, self._secret_key, algorithm=_ALGORITHM, headers={"typ": "JWT"}
        )


@dataclass(frozen=True)
class Gateway:
    """The service a client talks to: its name, base URL, and credential.

    ``key`` is CometAPI's static key, ``token`` Kling's JWT maker; neither is set
    when the caller's own httpx client sends ``Authorization`` itself.
    """

    name: GatewayName
    base_url: str
    key: str | None = field(default=None, repr=False)
    token: KlingToken | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Gateway(name={self.name!r}, base_url={self.base_url!r}, {self.credentials_repr})"

    @property
    def credentials_repr(self) -> str:
        """How a client's repr names its credentials (always masked)."""
        return "access_key='***', secret_key='***'" if self.token else "api_key='***'"

    def path_for(self, spec_path: str) -> str:
        """``spec_path`` (a CometAPI path, as the spec writes it) as this gateway serves it."""
        if self.name == "kling" and spec_path.startswith(COMETAPI_PREFIX + "/"):
            return spec_path[len(COMETAPI_PREFIX) :]
        return spec_path

    def url_for(self, spec_path: str) -> str:
        return self.base_url + self.path_for(spec_path)

    def authorization(self) -> str | None:
        """The ``Authorization`` header for the next API request, if the SDK sends one."""
        if self.token is not None:
            return f"Bearer {self.token.current()}"
        return f"Bearer {self.key}" if self.key else None

    def renew_token(self) -> bool:
        """Renew Kling's JWT; False when there is none (a static key cannot be renewed)."""
        if self.token is None:
            return False
        self.token.renew()
        return True

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in an error or a log line."""
        if self.token is not None:
            return self.token.secrets
        return (self.key,) if self.key else ()

    @property
    def account(self) -> str:
        """A short hash naming the account (and gateway); no key can be read back from it."""
        who = self.token.account if self.token is not None else (self.key or "")
        return hashlib.sha256(b"kling-expand account\0" + who.encode()).hexdigest()[:16]


def _checked(value: str, what: str) -> str:
    if not _KEY_SHAPE.fullmatch(value):
        # Said without the value: one with spaces or control characters would be
        # echoed back by the HTTP layer in its error message.
        raise ConfigurationError(f"the {what} contains spaces or control characters")
    return value


def _choose(
    gateway: GatewayName | None,
    api_key: str | None,
    access_key: str | None,
    secret_key: str | None,
    environ: Mapping[str, str],
) -> tuple[GatewayName, str | None, str | None, str | None]:
    """The gateway and its credentials: explicit arguments first, then the environment."""
    kling_given = access_key is not None or secret_key is not None
    if api_key is not None and kling_given:
        raise ConfigurationError("pass api_key= (CometAPI) or access_key=/secret_key= (Kling)")
    if gateway is None:
        if api_key is not None:
            gateway = "cometapi"
        elif kling_given:
            gateway = "kling"
        elif environ.get(API_KEY_ENV):
            gateway = "cometapi"
        elif environ.get(ACCESS_KEY_ENV) or environ.get(SECRET_KEY_ENV):
            gateway = "kling"
        else:
            gateway = "cometapi"
    elif gateway not in GATEWAYS:
        raise ConfigurationError(f"gateway must be one of {', '.join(GATEWAYS)}, not {gateway!r}")
    if gateway == "cometapi":
        if kling_given:
            raise ConfigurationError("access_key=/secret_key= authenticate with Kling directly")
        return gateway, api_key if api_key is not None else environ.get(API_KEY_ENV), None, None
    if api_key is not None:
        raise ConfigurationError(
            "api_key= is CometAPI's; Kling direct takes access_key=/secret_key="
        )
    if access_key is None:
        access_key = environ.get(ACCESS_KEY_ENV)
    if secret_key is None:
        secret_key = environ.get(SECRET_KEY_ENV)
    return gateway, None, access_key, secret_key


def resolve_gateway(
    *,
    clock: Clock,
    spec_base_url: str,
    gateway: GatewayName | None = None,
    api_key: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    base_url: str | None = None,
    own_base_url: str = "",
    authenticates_itself: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Gateway:
    """The gateway a client's arguments (and the environment) name.

    The base URL is ``base_url``, else ``own_base_url`` (the caller's httpx client's),
    else ``KLING_BASE_URL``, else the gateway's default (the spec's server for
    CometAPI, :data:`KLING_DIRECT_BASE_URL` for Kling). ``authenticates_itself``
    says the caller's httpx client sends ``Authorization`` itself, so no key is needed.
    """
    env = os.environ if environ is None else environ
    name, key, access, secret = _choose(gateway, api_key, access_key, secret_key, env)
    default = spec_base_url if name == "cometapi" else KLING_DIRECT_BASE_URL
    url = (base_url or own_base_url or env.get(BASE_URL_ENV) or default).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base URL {url!r} is not an http(s) URL")
    if name == "cometapi":
        if not key:
            if authenticates_itself:
                return Gateway(name, url)
            raise ConfigurationError(f"no API key: pass api_key= or set {API_KEY_ENV}")
        return Gateway(name, url, key=_checked(key, "API key"))
    if not access or not secret:
        if authenticates_itself and not access and not secret:
            return Gateway(name, url)
        raise ConfigurationError(
            "Kling direct needs both keys: pass access_key= and secret_key= "
            f"or set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}"
        )
    token = KlingToken(_checked(access, "access key"), _checked(secret, "secret key"), clock)
    return Gateway(name, url, token=token)
