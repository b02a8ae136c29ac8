from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_envelope import ErrorEnvelope
from ...models.gateway_error import GatewayError
from ...models.task_list_envelope import TaskListEnvelope
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
    external_task_id: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["pageNum"] = page_num

    params["pageSize"] = page_size

    params["external_task_id"] = external_task_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/kling/v1/images/editing/expand",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorEnvelope | GatewayError | TaskListEnvelope | None:
    if response.status_code == 200:
        response_200 = TaskListEnvelope.from_dict(response.json())

        return response_200

    if response.status_code == 400:

        def _parse_response_400(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_400 = _parse_response_400(response.json())

        return response_400

    if response.status_code == 401:

        def _parse_response_401(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_401 = _parse_response_401(response.json())

        return response_401

    if response.status_code == 403:

        def _parse_response_403(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_403 = _parse_response_403(response.json())

        return response_403

    if response.status_code == 429:

        def _parse_response_429(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_429 = _parse_response_429(response.json())

        return response_429

    if response.status_code == 500:

        def _parse_response_500(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_500 = _parse_response_500(response.json())

        return response_500

    if response.status_code == 503:

        def _parse_response_503(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_503 = _parse_response_503(response.json())

        return response_503

    if response.status_code == 504:

        def _parse_response_504(data: object) -> ErrorEnvelope | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_body_type_0 = ErrorEnvelope.from_dict(data)

                return componentsschemas_error_body_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_body_type_1 = GatewayError.from_dict(data)

            return componentsschemas_error_body_type_1

        response_504 = _parse_response_504(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorEnvelope | GatewayError | TaskListEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
    external_task_id: str | Unset = UNSET,
) -> Response[ErrorEnvelope | GatewayError | TaskListEnvelope]:
    """List image expansion tasks

     The account's tasks, newest first, one page at a time. Kling documents this query; CometAPI does not
    (yet). Filtering by `external_task_id` is this project's wire form for looking a task up by the
    caller's id.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.
        external_task_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorEnvelope | GatewayError | TaskListEnvelope]
    """

    kwargs = _get_kwargs(
        page_num=page_num,
        page_size=page_size,
        external_task_id=external_task_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
    external_task_id: str | Unset = UNSET,
) -> ErrorEnvelope | GatewayError | TaskListEnvelope | None:
    """List image expansion tasks

     The account's tasks, newest first, one page at a time. Kling documents this query; CometAPI does not
    (yet). Filtering by `external_task_id` is this project's wire form for looking a task up by the
    caller's id.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.
        external_task_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorEnvelope | GatewayError | TaskListEnvelope
    """

    return sync_detailed(
        client=client,
        page_num=page_num,
        page_size=page_size,
        external_task_id=external_task_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
    external_task_id: str | Unset = UNSET,
) -> Response[ErrorEnvelope | GatewayError | TaskListEnvelope]:
    """List image expansion tasks

     The account's tasks, newest first, one page at a time. Kling documents this query; CometAPI does not
    (yet). Filtering by `external_task_id` is this project's wire form for looking a task up by the
    caller's id.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.
        external_task_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorEnvelope | GatewayError | TaskListEnvelope]
    """

    kwargs = _get_kwargs(
        page_num=page_num,
        page_size=page_size,
        external_task_id=external_task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    page_num: int | Unset = 1,
    page_size: int | Unset = 30,
    external_task_id: str | Unset = UNSET,
) -> ErrorEnvelope | GatewayError | TaskListEnvelope | None:
    """List image expansion tasks

     The account's tasks, newest first, one page at a time. Kling documents this query; CometAPI does not
    (yet). Filtering by `external_task_id` is this project's wire form for looking a task up by the
    caller's id.

    Args:
        page_num (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 30.
        external_task_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorEnvelope | GatewayError | TaskListEnvelope
    """

    return (
        await asyncio_detailed(
            client=client,
            page_num=page_num,
            page_size=page_size,
            external_task_id=external_task_id,
        )
    ).parsed
