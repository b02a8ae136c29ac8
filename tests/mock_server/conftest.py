import base64
import io
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from kling_mock import DEFAULT_DEV_KEY, MockConfig, MockKling
from kling_spec import CREATE_PATH, ExpandConstraints

C = ExpandConstraints.from_spec()
AUTH = {"Authorization": f"Bearer {DEFAULT_DEV_KEY}"}


def picture(width: int, height: int, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """A noisy picture: every pixel differs from its neighbours, so misplacement shows."""
    data = random.Random(seed).randbytes(width * height * len(mode))
    return Image.frombytes(mode, (width, height), data)


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def png() -> Callable[..., bytes]:
    """PNG bytes of a noisy picture of the given size."""

    def make(
        width: int = 400, height: int = C.image_min_side, mode: str = "RGB", seed: int = 1
    ) -> bytes:
        return encode(picture(width, height, mode, seed))

    return make


@pytest.fixture
def request_body() -> Callable[..., dict[str, Any]]:
    """A valid create request (a URL image, no expansion) with any field overridden."""

    def make(**fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {name: 0 for name in C.ratio_fields}
        body[C.image_field] = "https://images.example.com/source.jpg"
        body.update(fields)
        return body

    return make


@pytest.fixture
def make_mock() -> Callable[..., MockKling]:
    """A mock with any MockConfig field overridden (and MockKling keyword arguments)."""

    def make(transports: dict[str, Any] | None = None, **config: Any) -> MockKling:
        return MockKling(MockConfig(**config), **(transports or {}))

    return make


@pytest.fixture
def mock(make_mock: Callable[..., MockKling]) -> MockKling:
    return make_mock()


class Api:
    """A sync client for one mock, speaking the three operations with the dev key."""

    def __init__(self, mock: MockKling, client: httpx.Client) -> None:
        self.mock = mock
        self.http = client

    def create(self, body: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("headers", AUTH)
        return self.http.post(CREATE_PATH, json=body, **kwargs)

    def created(self, body: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.create(body, **kwargs)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def get(self, task_id: str, **kwargs: Any) -> Any:
        kwargs.setdefault("headers", AUTH)
        return self.http.get(f"{CREATE_PATH}/{task_id}", **kwargs)

    def task(self, task_id: str, **kwargs: Any) -> dict[str, Any]:
        response = self.get(task_id, **kwargs)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def list(self, **params: Any) -> Any:
        headers = params.pop("headers", AUTH)
        return self.http.get(CREATE_PATH, params=params, headers=headers)


@pytest.fixture
def make_api() -> Iterator[Callable[[MockKling], Api]]:
    """A sync in-process client (no socket) for a given mock; requests carry no key
    unless a test passes one (the Api methods pass the dev key by default)."""
    clients: list[httpx.Client] = []

    def make(mock: MockKling) -> Api:
        client = mock.client(api_key=None)
        clients.append(client)
        return Api(mock, client)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(mock: MockKling, make_api: Callable[[MockKling], Api]) -> Api:
    return make_api(mock)
