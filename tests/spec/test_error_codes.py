"""The spec lists Kling's error codes machine-readably, and the list is read from the spec given."""

import copy

from kling_spec import error_codes, gateway_retryable_statuses, load_resolved_spec


def test_each_code_has_one_http_status_and_a_family() -> None:
    table = error_codes()

    assert table
    for code, row in table.items():
        assert row.code == code
        assert 400 <= row.http_status < 600
        assert row.family and row.meaning


def test_the_table_is_read_from_the_spec_it_is_given() -> None:
    spec = copy.deepcopy(load_resolved_spec())
    rows = spec["components"]["schemas"]["ErrorEnvelope"]["x-kling-error-codes"]
    rows.append({"code": 9999, "http_status": 418, "family": "server", "meaning": "teapot"})
    spec["components"]["schemas"]["GatewayError"]["x-cometapi-retryable-statuses"] = [418]

    assert error_codes(spec)[9999].http_status == 418
    assert 9999 not in error_codes()
    assert gateway_retryable_statuses(spec) == {418}


def test_only_retryable_codes_are_marked_so_and_none_is_a_client_error() -> None:
    for row in error_codes().values():
        if row.retryable:
            assert row.http_status == 429 or row.http_status >= 500, row
