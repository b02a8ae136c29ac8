"""What a user gets back, and what a request cannot leave out.

A succeeded task has exactly ``n`` images; each canvas follows the spec's
``canvas_rounding`` formula and holds the original's pixels, untouched, at the
offset. A body missing any required field is refused by the mock with 400/1201
naming the field, and the SDK never sends one.
"""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageChops

from kling_expand import InputValidationError

from ..oracle import SpecBounds, SpecOracle
from ..sdk_calls import ASYNC, SYNC
from ..spec_variants import AS_PUBLISHED, PROMPT_SHORTENED, RATIOS_WIDENED, SPEC_CHANGES
from ..strategies import baseline_case, valid_request_cases
from .conftest import sdk_for
from .mocking import last_seq


def sdk_sides(case, bounds) -> dict[str, float]:
    (up, down), (left, right) = bounds.vertical, bounds.horizontal
    names = {"up": up, "down": down, "left": left, "right": right}
    return {side: case.fields[name] for side, name in names.items()}


# Rendering makes this the costliest property, so it runs on the spec copies that
# move what a result depends on (n's range, the ratios, the area factor; a shorter
# prompt or a wider ratio maximum the area limit hides leave the accepted requests
# as published), through the sync client, and on the published spec through the
# async one too (both clients share one plan).
UNSEEN_BY_RESULTS = {PROMPT_SHORTENED, RATIOS_WIDENED}
RENDERED_RUNS = [
    (AS_PUBLISHED, ASYNC),
    *((change, SYNC) for change in SPEC_CHANGES if change not in UNSEEN_BY_RESULTS),
]


@pytest.mark.parametrize(
    ("change", "kind"), RENDERED_RUNS, ids=[f"{c.id}-{kind}" for c, kind in RENDERED_RUNS]
)
def test_a_succeeded_task_has_n_images_that_keep_the_original(
    change, kind, make_spec, make_mock
) -> None:
    spec = make_spec(change)
    bounds = SpecBounds.read(spec)
    mock = make_mock(spec)
    sdk = sdk_for(kind, mock, spec)

    @given(case=valid_request_cases(bounds), data=st.data())
    def keeps_the_original(case, data) -> None:
        # Given an accepted request with a real image, expanded through the SDK
        # (its waiting moves the mock's clock)
        n = case.fields["n"]
        result = sdk.call(
            "expand",
            case.image.encoded(),
            n=n,
            prompt=case.fields[bounds.prompt_field],
            timeout=3600,
            **sdk_sides(case, bounds),
        )
        task = result.task

        # Then it has exactly n images, indexed 0..n-1
        assert task.status == "succeed"
        assert sorted(image.index for image in task.images) == list(range(n))

        # And each is the formula's canvas with the original's pixels at the offset
        # (n spans the spec's whole range, so each example downloads, and has the mock
        # render, one image of the n, drawn: a budget on rendering, not a spec bound)
        image = data.draw(st.sampled_from(task.images), label="image checked")
        width, height = case.image.width, case.image.height
        canvas_w, canvas_h, x, y = bounds.canvas(width, height, case.fields)
        expanded = Image.open(io.BytesIO(mock_bytes(mock, image.url))).convert("RGB")
        assert expanded.size == (canvas_w, canvas_h)
        placed = expanded.crop((x, y, x + width, y + height))
        assert ImageChops.difference(placed, case.image.pixels()).getbbox() is None

    keeps_the_original()


def mock_bytes(mock, url: str) -> bytes:
    with mock.client() as http:
        answer = http.get(url)
    assert answer.status_code == 200, answer.text
    return answer.content


@pytest.fixture
def published_oracle(resolved_spec) -> SpecOracle:
    return SpecOracle(resolved_spec)


def test_every_required_field_is_named_when_missing(oracle, spec_variant, make_mock) -> None:
    bounds = oracle.bounds
    mock = make_mock(spec_variant)
    base = baseline_case(bounds)
    with mock.client() as http:
        for name in bounds.required:
            # Given an accepted body without one required field
            body = base.without(name).body()

            # Then the mock refuses it as an invalid value, naming the field
            answer = http.post(bounds.create_path, json=body)
            envelope = answer.json()
            assert (answer.status_code, envelope["code"]) == (400, 1201), name
            assert name in envelope["message"]


def test_the_sdk_never_sends_a_body_without_a_required_field(
    published_oracle, make_mock, make_sdk
) -> None:
    # Given an SDK call that leaves every ratio out (they default to no expansion)
    bounds = published_oracle.bounds
    mock = make_mock()
    sdk = make_sdk(mock)
    image = baseline_case(bounds).image.encoded()

    sdk.call("submit", image)

    # Then the body it sent carries every required field
    sent = mock.journal[-1].body
    assert set(bounds.required) <= set(sent)

    # And with no image at all it refuses before sending anything
    before = last_seq(mock)
    with pytest.raises((InputValidationError, TypeError)):
        sdk.call("submit", None)
    assert last_seq(mock) == before
