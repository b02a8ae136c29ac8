"""Callbacks: only genuine Standard Webhooks signatures are accepted; bodies become tasks."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from kling_expand import (
    TaskStatus,
    WebhookVerificationError,
    parse_callback,
    sign_callback,
    verify_callback,
)

SECRET = "whsec_" + base64.b64encode(b"a-shared-secret-of-some-length").decode()


@pytest.fixture
def callback_body(task_record) -> bytes:
    record = task_record(
        task_id="t5",
        task_status="succeed",
        task_info={"external_task_id": "order-5"},
        task_result={"images": [{"index": 0, "url": "https://cdn.test/t5/0.png"}]},
    )
    return json.dumps(record).encode()


def test_a_genuine_callback_becomes_the_task_it_reports(callback_body):
    headers = sign_callback(callback_body, SECRET, message_id="msg_1")
    task = verify_callback(callback_body, headers, SECRET)
    assert (task.id, task.status, task.external_task_id) == ("t5", TaskStatus.SUCCEED, "order-5")
    assert task.images[0].url == "https://cdn.test/t5/0.png"


def test_header_names_are_matched_in_any_case(callback_body):
    headers = {
        k.title(): v for k, v in sign_callback(callback_body, SECRET, message_id="m").items()
    }
    assert verify_callback(callback_body, headers, SECRET).id == "t5"


def tampered(body: bytes) -> bytes:
    return body.replace(b'"succeed"', b'"failed"')


@pytest.mark.parametrize(
    "spoil",
    [
        lambda body, headers: (tampered(body), headers),
        lambda body, headers: (body, {**headers, "webhook-id": "other"}),
        lambda body, headers: (
            body,
            {k: v for k, v in headers.items() if k != "webhook-signature"},
        ),
        lambda body, headers: (body, {**headers, "webhook-signature": "v1,not-base64!"}),
        lambda body, headers: (body, {**headers, "webhook-signature": "garbage"}),
        lambda body, headers: (
            body,
            sign_callback(body, "whsec_" + base64.b64encode(b"wrong").decode(), message_id="m"),
        ),
    ],
    ids=["body-changed", "id-changed", "no-signature", "bad-base64", "no-version", "wrong-secret"],
)
def test_anything_but_a_genuine_callback_is_rejected(callback_body, spoil):
    body, headers = spoil(callback_body, sign_callback(callback_body, SECRET, message_id="m"))
    with pytest.raises(WebhookVerificationError):
        verify_callback(body, headers, SECRET)


def test_a_replayed_callback_older_than_five_minutes_is_rejected(callback_body):
    old = dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=10)
    headers = sign_callback(callback_body, SECRET, message_id="m", timestamp=old)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_callback(callback_body, headers, SECRET)


def test_a_body_that_is_not_a_task_record_is_rejected_with_a_value_error():
    with pytest.raises(WebhookVerificationError) as caught:
        parse_callback(b'{"hello": "world"}')
    assert isinstance(caught.value, ValueError)
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        parse_callback(b"<html>")


def test_a_running_task_in_a_callback_has_no_images_yet(task_record):
    task = parse_callback(task_record(task_status="processing"))
    assert not task.done and task.images == ()
