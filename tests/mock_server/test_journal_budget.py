"""The journal stays within its byte budget, whatever the requests carry."""

from __future__ import annotations

from kling_spec import CREATE_PATH

from .conftest import AUTH


def test_huge_headers_from_unauthenticated_requests_cost_almost_nothing(make_mock, make_api):
    # Given 40 requests with no key, each with a 1 MB header
    api = make_api(make_mock())
    for number in range(40):
        api.http.get(CREATE_PATH, headers={f"x-big-{number}": "v" * 1_000_000})
    # Then each is journaled as a summary without headers, within a few kilobytes each
    journal = api.mock.service.journal
    assert len(journal) == 40
    assert journal.bytes < 40 * 4096
    assert all(entry.headers == {} and entry.status == 401 for entry in api.mock.journal)


def test_authenticated_headers_are_cut_to_the_stated_size_and_count(make_mock, make_api):
    api = make_api(make_mock(journal_header_bytes=100, journal_max_headers=8))
    many = {f"x-{number}": "v" * 10_000 for number in range(50)}

    api.http.get(CREATE_PATH, headers={**AUTH, **many})

    headers = api.mock.journal[-1].headers
    assert len(headers) <= 8
    assert all(len(value) <= 100 for value in headers.values())


def test_the_oldest_entries_go_when_the_byte_budget_is_spent(make_mock, make_api):
    api = make_api(make_mock(journal_max_bytes=64 * 1024))
    for _ in range(200):
        api.http.get(CREATE_PATH, headers={**AUTH, "x-pad": "v" * 200})

    journal = api.mock.service.journal
    assert journal.bytes <= 64 * 1024
    assert 0 < len(journal) < 200
    assert api.mock.journal[-1].seq == 200
