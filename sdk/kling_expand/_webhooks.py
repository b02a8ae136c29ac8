"""Callbacks: check a Standard Webhooks signature and read the body as a :class:`Task`.

When a create request carries ``callback_url``, the service POSTs the task
record itself (flat, not wrapped in ``code``/``data``) on every status change.
Signed callbacks follow Standard Webhooks: ``webhook-id``, ``webhook-timestamp``
(accepted within 5 minutes) and ``webhook-signature: v1,<base64 HMAC-SHA256>``
keyed by the secret after its ``whsec_`` prefix. The same task may arrive more
than once and out of order: compare ``updated_at`` and keep polling to reconcile.

>>> import json, datetime as dt
>>> secret = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHM="
>>> body = json.dumps({"task_id": "t1", "task_status": "succeed",
...     "created_at": 0, "updated_at": 1, "task_result": {"images": []}})
>>> headers = sign_callback(body, secret, message_id="msg_1")
>>> verify_callback(body, headers, secret).status_text
'succeed'
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _LibraryVerificationError

from ._exceptions import WebhookVerificationError
from ._models import Task


def _webhook(secret: str | bytes) -> Webhook:
    try:
        return Webhook(secret)
    except (EmptyWebhookSecretError, binascii.Error, ValueError, RuntimeError) as exc:
        raise WebhookVerificationError("the webhook secret is empty or not base64") from exc


def verify_callback(body: bytes | str, headers: Mapping[str, str], secret: str | bytes) -> Task:
    """The task a signed callback reports; :class:`WebhookVerificationError` if it is not genuine.

    ``body`` must be the raw bytes received (the signature covers them exactly),
    ``headers`` the request's headers (any case).
    """
    try:
        _webhook(secret).verify(body, dict(headers), json_parse=False)
    except _LibraryVerificationError as exc:
        raise WebhookVerificationError(f"callback rejected: {exc}") from exc
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise WebhookVerificationError("callback rejected: malformed signature headers") from exc
    return parse_callback(body)


def parse_callback(body: bytes | str | Mapping[str, Any]) -> Task:
    """Read an (unsigned, or already verified) callback body as a :class:`Task`."""
    try:
        data = body if isinstance(body, Mapping) else json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookVerificationError("the callback body is not JSON") from exc
    if isinstance(data, Mapping) and isinstance(data.get("data"), Mapping):
        data = data["data"]  # tolerate an enveloped body as well as the documented flat one
    try:
        return Task.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WebhookVerificationError(f"the callback body is not a task record: {exc!r}") from exc


def sign_callback(
    body: bytes | str,
    secret: str | bytes,
    *,
    message_id: str,
    timestamp: dt.datetime | None = None,
) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` (what a sender adds; useful in tests)."""
    when = timestamp or dt.datetime.now(tz=dt.UTC)
    text = body.decode() if isinstance(body, bytes) else body
    signature = _webhook(secret).sign(message_id, when, text)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
