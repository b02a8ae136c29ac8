"""Schemathesis over the spec against the mock: every built-in check, positive and negative data.

Four runs: the resolved spec and the verbatim upstream spec, each against the
mock in process (ASGI) and over a real uvicorn server on loopback. The stateful
run follows the spec's link from create to get, in process and over loopback.

Each stateless case meets an emptied mock: the oracle judges a request on its
own, and ``external_task_id`` must be unique per account, which no single
request can show (a generated id repeats across cases).

The schemas are loaded at import, not from fixtures: Schemathesis's lazy
``from_fixture`` loader relies on a pytest attribute that pytest 9 removed.
"""

import copy

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core import DEFAULT_MAX_SCENARIO_STEPS

from kling_mock import DEFAULT_DEV_KEY, MockKling
from kling_spec import TASK_PATH, load_resolved_spec

from ..conftest import UPSTREAM_SPEC_PATH
from ..oracle import SpecOracle, create_request_schema
from ..schemathesis_checks import (
    BUILTIN_POSITIVE_DATA_ACCEPTANCE,
    builtin_check,
    positive_data_acceptance_for,
)
from ..strategies import URL_IMAGE
from .mocking import never_fetch

# Where the loopback run's schema points until a test passes the server's real
# URL: a port nothing listens on, so a call that forgot base_url fails locally.
UNUSED_LOOPBACK = "http://127.0.0.1:9"

MOCK = MockKling(fetch_transport=httpx.MockTransport(never_fetch))
RESOLVED_SPEC = load_resolved_spec()
ORACLE = SpecOracle(RESOLVED_SPEC)


AUTHENTICATED = schemathesis.Config.from_dict(
    {
        # Schemathesis sends the mock's key itself, so that it can also leave it
        # out (ignored_auth) and expect the mock's 401.
        "auth": {"openapi": {"bearerAuth": {"bearer": DEFAULT_DEV_KEY}}},
        # A query parameter the spec does not name is not invalid data: the
        # spec does not forbid one, and Kling, like most HTTP APIs, ignores it.
        "generation": {"allow-extra-parameters": False},
    }
)


def in_process(spec: dict, mock: MockKling = MOCK) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec), config=AUTHENTICATED)
    schema.app = mock.app
    return schema


def on_loopback(spec: dict) -> schemathesis.BaseSchema:
    pointed = copy.deepcopy(spec)
    pointed["servers"] = [{"url": UNUSED_LOOPBACK}]
    return schemathesis.openapi.from_dict(pointed, config=AUTHENTICATED)


resolved_asgi = in_process(RESOLVED_SPEC)
# The stateful run gets a mock of its own, emptied before each scenario: which
# rules can run depends on what the server holds, and Hypothesis requires the
# same choices to meet the same state.
STATEFUL_MOCK = MockKling(fetch_transport=httpx.MockTransport(never_fetch))
resolved_stateful = in_process(RESOLVED_SPEC, STATEFUL_MOCK)
resolved_stateful_http = on_loopback(RESOLVED_SPEC)
resolved_http = on_loopback(RESOLVED_SPEC)
UPSTREAM_SPEC = yaml.safe_load(UPSTREAM_SPEC_PATH.read_text("utf-8"))
upstream_asgi = in_process(UPSTREAM_SPEC)
upstream_http = on_loopback(UPSTREAM_SPEC)

# The built-in positive_data_acceptance, refined: see schemathesis_checks.
EXCLUDED = [BUILTIN_POSITIVE_DATA_ACCEPTANCE]
ADDED = [positive_data_acceptance_for(ORACLE)]
UPSTREAM_GAPS = [
    builtin_check(name)
    for name in ("status_code_conformance", "unsupported_method", "allow_header_conformance")
]


@pytest.fixture(scope="module")
def loopback_url():
    """The mock served by uvicorn on 127.0.0.1, an ephemeral port."""
    with MOCK.serve(host="127.0.0.1") as server:
        yield server.base_url


@resolved_asgi.parametrize()
def test_the_mock_in_process_meets_the_resolved_spec(case) -> None:
    MOCK.reset()
    case.call_and_validate(
        headers=MOCK.headers(), excluded_checks=EXCLUDED, additional_checks=ADDED
    )


@resolved_http.parametrize()
def test_the_mock_over_loopback_meets_the_resolved_spec(case, loopback_url) -> None:
    MOCK.reset()
    case.call_and_validate(
        base_url=loopback_url,
        excluded_checks=EXCLUDED,
        additional_checks=ADDED,
    )


# Three checks would report the upstream page's gaps, not the mock's faults; the
# resolved spec fills the gaps and its runs above keep all three checks:
# - status_code_conformance: the page documents only HTTP 200 ("task accepted or
#   an error response"), so every 4xx the mock rightly answers (400 for a bad
#   value, 401 without a key, 413 for an oversized body) is undocumented;
# - unsupported_method and allow_header_conformance: the page knows only POST on
#   the create path, where the mock also serves Kling's list query (GET).
UPSTREAM_EXCLUDED = [*EXCLUDED, *UPSTREAM_GAPS]


@upstream_asgi.parametrize()
def test_the_mock_in_process_meets_the_verbatim_upstream_spec(case) -> None:
    MOCK.reset()
    case.call_and_validate(excluded_checks=UPSTREAM_EXCLUDED, additional_checks=ADDED)


@upstream_http.parametrize()
def test_the_mock_over_loopback_meets_the_verbatim_upstream_spec(case, loopback_url) -> None:
    MOCK.reset()
    case.call_and_validate(
        base_url=loopback_url, excluded_checks=UPSTREAM_EXCLUDED, additional_checks=ADDED
    )


class DrawnBodies:
    """The stateful run's ``map_body`` hook, counting the bodies it passes on.

    Scenarios need creates that succeed: the image becomes a URL (the mock makes
    up its picture), a drawn ``external_task_id`` gets the call's number, so no
    create repeats an id an earlier one used, and ratios whose area factor is over
    the spec's limit drop to their minimums (most drawn ratios are, and a run with
    no successful create from drawn data would show nothing). Strings' contents
    change, and ratios change only when all are within their schema bounds (to
    values that are too), so no case changes its validity under the schema.
    """

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, context, body):
        if not isinstance(body, dict):
            return body
        self.calls += 1
        mapped = dict(body)
        if isinstance(body.get(ORACLE.bounds.image_field), str):
            mapped[ORACLE.bounds.image_field] = URL_IMAGE
        if isinstance(body.get("external_task_id"), str):
            mapped["external_task_id"] = f"{body['external_task_id']}#{self.calls}"
        bounds = ORACLE.bounds
        if self._ratios_in_range(body) and bounds.area_factor(body) > bounds.max_area_factor:
            mapped.update(bounds.ratio_min_written)
        return mapped

    @staticmethod
    def _ratios_in_range(body) -> bool:
        """Whether every ratio is a number within its schema bounds: only then does
        lowering them keep the case as valid (or invalid, for its other fields) as it was."""
        bounds = ORACLE.bounds
        return all(
            isinstance(value := body.get(field), int | float)
            and not isinstance(value, bool)
            and bounds.ratio_min_written[field] <= value <= bounds.ratio_max_written[field]
            for field in bounds.ratio_fields
        )


DRAWN = DrawnBodies()
for stateful_schema in (resolved_stateful, resolved_stateful_http):
    stateful_schema.hook("map_body")(DRAWN)
# The spec's example body, which Schemathesis may send as is: a create from it
# does not show that drawn bodies get through.
SPEC_DEFAULT_BODY = create_request_schema(RESOLVED_SPEC)[2]["default"]


@pytest.fixture(scope="module")
def stateful_loopback_url():
    """The stateful run's mock, served by uvicorn on 127.0.0.1 as well."""
    with STATEFUL_MOCK.serve(host="127.0.0.1") as server:
        yield server.base_url


@pytest.mark.parametrize("where", ["in_process", "loopback"])
def test_the_stateful_run_follows_create_to_get(where: str, request) -> None:
    # Given a state machine over the resolved spec, in process or against the
    # mock served on loopback, with the checks above, noting which tasks the
    # creates returned and which the gets found
    created, fetched = set(), set()
    drawn_creates = []
    if where == "loopback":
        schema, call_kwargs = (
            resolved_stateful_http,
            {"base_url": request.getfixturevalue("stateful_loopback_url")},
        )
    else:
        schema, call_kwargs = resolved_stateful, {}

    class CreateThenGet(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self):
            STATEFUL_MOCK.reset()

        def get_call_kwargs(self, case):
            return call_kwargs

        def after_call(self, response, case):
            super().after_call(response, case)
            if response.status_code == 200 and case.method == "POST":
                created.add(response.json()["data"]["task_id"])
                if not same_request(case.body, SPEC_DEFAULT_BODY):
                    drawn_creates.append(case.body)
            if response.status_code == 200 and case.path == TASK_PATH:
                fetched.add(response.json()["data"]["task_id"])

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=EXCLUDED,
                additional_checks=ADDED,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    # When it runs: examples per the Hypothesis profile; as Schemathesis does for
    # its state machines, generate only (a scenario depends on the server's state,
    # so replaying or shrinking one is not reproducible), no health checks (each
    # rule draws a whole API request) and Schemathesis's own scenario length
    # (Hypothesis's default, fifty steps, is meant for rules far cheaper than calls)
    CreateThenGet.run(
        settings=settings(
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            stateful_step_count=DEFAULT_MAX_SCENARIO_STEPS,
        )
    )

    # Then creates from drawn bodies (not only the spec's example) succeeded
    assert drawn_creates
    # And some get, following the link, found a task a create in the run made
    assert created & fetched


def same_request(body, example) -> bool:
    """Whether ``body`` is the spec's example, but for what the hook maps."""
    mapped = {ORACLE.bounds.image_field, "external_task_id"}
    return {k: v for k, v in body.items() if k not in mapped} == {
        k: v for k, v in example.items() if k not in mapped
    }
