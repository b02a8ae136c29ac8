"""`make update-spec`: vendor a page or a spec byte for byte and print what changed."""

import json
from pathlib import Path

import pytest

from kling_spec import CREATE_PATH, ExpandConstraints
from kling_spec_tools import SpecFiles, _files, extract_spec_text
from kling_spec_tools._cli import main

CHECKOUT = SpecFiles.in_folder(Path(__file__).resolve().parents[2] / "openapi")


def page_around(spec_text: str) -> str:
    return f"# Expand an image\n\nSome prose.\n\n````yaml api/x.json POST /x\n{spec_text}````\n"


@pytest.fixture
def vendored(tmp_path: Path) -> Path:
    """A scratch upstream folder holding today's vendored copy."""
    path = tmp_path / CHECKOUT.upstream.name
    path.write_bytes(CHECKOUT.upstream.read_bytes())
    _files.digest_path(path).write_bytes(CHECKOUT.upstream_digest.read_bytes())
    return path


def test_a_page_is_reduced_to_its_yaml_block_byte_for_byte() -> None:
    text = CHECKOUT.upstream.read_text(encoding="utf-8")

    assert extract_spec_text(page_around(text)) == text


def test_text_without_a_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="no OpenAPI"):
        extract_spec_text("just prose")


def lower_n_maximum(tmp_path: Path, vendored: Path) -> tuple[Path, str, int]:
    """A new page whose spec lowers the maximum n (the only bound with that value): breaking."""
    n_max = int(ExpandConstraints.from_spec().n_bound.maximum)
    text = vendored.read_text()
    assert text.count(f"maximum: {n_max}\n") == 1
    new_text = text.replace(f"maximum: {n_max}\n", f"maximum: {n_max - 1}\n")
    page = tmp_path / "page.txt"
    page.write_text(page_around(new_text))
    return page, new_text, n_max


def test_update_with_breaking_changes_exits_1_and_leaves_the_copy_as_it_was(
    tmp_path: Path, vendored: Path, capsys
) -> None:
    page, _, n_max = lower_n_maximum(tmp_path, vendored)
    before = vendored.read_bytes()
    digest_before = _files.digest_path(vendored).read_bytes()

    status = main(["update", str(page), "--upstream", str(vendored)])

    assert status == 1
    assert vendored.read_bytes() == before
    assert _files.digest_path(vendored).read_bytes() == digest_before
    captured = capsys.readouterr()
    assert f"[BREAKING] POST {CREATE_PATH} request body.n: maximum {n_max} -> {n_max - 1}" in (
        captured.out
    )
    assert "1 change(s), 1 breaking. Not vendored" in captured.err
    assert "--accept-breaking" in captured.err


def test_update_accept_breaking_vendors_the_new_copy_records_its_digest_and_prints_the_diff(
    tmp_path: Path, vendored: Path, capsys
) -> None:
    page, new_text, n_max = lower_n_maximum(tmp_path, vendored)

    status = main(["update", str(page), "--upstream", str(vendored), "--accept-breaking"])

    # Then the copy is the block byte for byte, its digest is recorded, and the change is named
    assert status == 0
    assert vendored.read_bytes() == new_text.encode()
    assert _files.recorded_digest(vendored) == _files.sha256_of(new_text.encode())
    out = capsys.readouterr().out
    assert f"[BREAKING] POST {CREATE_PATH} request body.n: maximum {n_max} -> {n_max - 1}" in out
    assert "1 change(s), 1 breaking" in out


def test_update_json_prints_the_diff_as_one_json_object(
    tmp_path: Path, vendored: Path, capsys
) -> None:
    page, _, n_max = lower_n_maximum(tmp_path, vendored)

    status = main(["update", str(page), "--upstream", str(vendored), "--json"])

    assert status == 1
    report = json.loads(capsys.readouterr().out)
    assert report["vendored"] is False
    assert report["breaking"] == 1
    assert report["changes"] == [
        {
            "where": f"POST {CREATE_PATH} request body.n",
            "what": f"maximum {n_max} -> {n_max - 1}",
            "breaking": True,
        }
    ]


def test_update_with_only_compatible_changes_vendors_without_being_told(
    tmp_path: Path, vendored: Path, capsys
) -> None:
    text = vendored.read_text()
    new_text = text.replace("summary: Expand an image with Kling", "summary: Expand an image")
    assert new_text != text
    page = tmp_path / "page.txt"
    page.write_text(page_around(new_text))

    assert main(["update", str(page), "--upstream", str(vendored)]) == 0
    assert vendored.read_text() == new_text
    assert "0 change(s), 0 breaking" in capsys.readouterr().out


def test_the_diff_command_prints_json_too(tmp_path: Path, vendored: Path, capsys) -> None:
    page, new_text, _ = lower_n_maximum(tmp_path, vendored)
    new = tmp_path / "new.yaml"
    new.write_text(new_text)

    assert main(["diff", str(vendored), str(new), "--json", "--fail-on-breaking"]) == 1
    assert json.loads(capsys.readouterr().out)["breaking"] == 1


def test_update_keeps_a_copy_with_crlf_line_ends_byte_for_byte(
    tmp_path: Path, vendored: Path
) -> None:
    # Given a bare spec saved with Windows line ends
    data = vendored.read_bytes().replace(b"\n", b"\r\n")
    source = tmp_path / "spec.yaml"
    source.write_bytes(data)

    # When it is taken in, Then the vendored copy and its digest are of those very bytes
    assert main(["update", str(source), "--upstream", str(vendored)]) == 0
    assert vendored.read_bytes() == data
    assert _files.recorded_digest(vendored) == _files.sha256_of(data)


def test_update_refuses_a_document_that_is_not_openapi(tmp_path: Path, vendored: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(page_around("title: not a spec\n"))
    before = vendored.read_bytes()

    assert main(["update", str(page), "--upstream", str(vendored)]) == 2
    assert vendored.read_bytes() == before


def test_update_takes_the_page_from_a_url(tmp_path: Path, vendored: Path) -> None:
    import http.server
    import threading
    from functools import partial

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    (tmp_path / "page.txt").write_text(page_around(vendored.read_text()))
    handler = partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/page.txt"
        before = vendored.read_bytes()

        assert main(["update", url, "--upstream", str(vendored)]) == 0
        assert vendored.read_bytes() == before
    finally:
        server.shutdown()
        server.server_close()
