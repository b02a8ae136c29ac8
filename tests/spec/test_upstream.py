"""The vendored upstream spec is CometAPI's page, byte for byte."""

import re
from dataclasses import replace
from pathlib import Path

import pytest

from kling_spec import SpecError
from kling_spec_tools import SpecFiles, _files, build_resolved

CHECKOUT = SpecFiles.in_folder(Path(__file__).resolve().parents[2] / "openapi")

SEED_PAGE = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_e209e3f726426c16.txt"


def test_upstream_file_matches_its_recorded_sha256() -> None:
    data = CHECKOUT.upstream.read_bytes()

    assert _files.sha256_of(data) == _files.recorded_digest(CHECKOUT.upstream)


@pytest.mark.skipif(not SEED_PAGE.is_file(), reason="the upstream page is not beside this checkout")
def test_upstream_file_is_the_pages_yaml_block_byte_for_byte() -> None:
    page = SEED_PAGE.read_text(encoding="utf-8")
    block = re.search(r"````yaml[^\n]*\n(.*?)````", page, re.S)

    assert block is not None
    assert CHECKOUT.upstream.read_bytes() == block.group(1).encode("utf-8")


def test_resolving_refuses_an_upstream_copy_edited_by_hand(tmp_path: Path) -> None:
    edited = tmp_path / CHECKOUT.upstream.name
    edited.write_bytes(CHECKOUT.upstream.read_bytes().replace(b"Range: 0-2", b"Range: 0-3", 1))
    _files.digest_path(edited).write_bytes(CHECKOUT.upstream_digest.read_bytes())

    with pytest.raises(SpecError, match="SHA-256"):
        build_resolved(replace(CHECKOUT, upstream=edited))
