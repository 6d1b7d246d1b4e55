"""Conditional requests on ``FileResponse`` in the order of RFC 9110 section 13.2.2, and its
``cache_control`` setting."""

from __future__ import annotations

import email.utils
import os
import pathlib

import pytest

from orionis import Application, FileResponse
from orionis.testing import TestClient

CONTENT = b"0123456789" * 100
MTIME = 1_577_880_000  # 2020-01-01 12:00:00 UTC: fixed, so no date below depends on the clock
LAST_MODIFIED = email.utils.formatdate(MTIME, usegmt=True)
BEFORE = "Wed, 01 Jan 2020 11:59:59 GMT"  # one second before the file changed
AFTER = "Thu, 02 Jan 2020 00:00:00 GMT"
ETAG = "<etag>"  # replaced by the file's real ETag in the test


@pytest.fixture
def data_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "data.txt"
    path.write_bytes(CONTENT)
    os.utime(path, (MTIME, MTIME))
    return path


def _app(data_file: pathlib.Path) -> Application:
    app = Application()
    app.get("/f", lambda: FileResponse(data_file))
    app.post("/f", lambda: FileResponse(data_file))
    return app


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # If-Match: strong comparison, "*" matches any current file, lists and junk
        ({"if-match": ETAG}, 200),
        ({"if-match": '"other"'}, 412),
        ({"if-match": "W/" + ETAG}, 412),  # a weak tag never matches strongly
        ({"if-match": "*"}, 200),
        ({"if-match": f'"other", {ETAG}'}, 200),
        ({"if-match": f'"a,b" ,{ETAG}'}, 200),  # a comma inside a tag
        ({"if-match": "unquoted"}, 412),
        ({"if-match": ""}, 412),  # an empty list matches nothing
        ({"if-match": '"' + "x" * 5000 + '"'}, 412),
        # If-Unmodified-Since; unusable dates are ignored
        ({"if-unmodified-since": BEFORE}, 412),
        ({"if-unmodified-since": LAST_MODIFIED}, 200),
        ({"if-unmodified-since": AFTER}, 200),
        ({"if-unmodified-since": "garbage"}, 200),
        ({"if-unmodified-since": "Mon, 01 Jan 99999 00:00:00 GMT"}, 200),
        ({"if-unmodified-since": "Wed, 01 Jan 2020 11:59:59 -0000"}, 412),  # no zone: GMT
        ({"if-unmodified-since": "1" * 5000}, 200),
        ({"if-unmodified-since": "Wed, 32 Jan 2020 00:00:00 GMT"}, 200),
        # If-Match is evaluated first: If-Unmodified-Since is then ignored
        ({"if-match": ETAG, "if-unmodified-since": BEFORE}, 200),
        # ...and before If-None-Match and Range
        ({"if-match": '"other"', "if-none-match": ETAG}, 412),
        ({"if-match": '"other"', "range": "bytes=0-9"}, 412),
        ({"if-unmodified-since": BEFORE, "range": "bytes=0-9"}, 412),
        ({"if-unmodified-since": BEFORE, "if-none-match": ETAG}, 412),
        ({"if-match": ETAG, "if-none-match": ETAG}, 304),
        ({"if-match": ETAG, "range": "bytes=0-9"}, 206),
        # If-None-Match: weak comparison
        ({"if-none-match": ETAG}, 304),
        ({"if-none-match": "W/" + ETAG}, 304),
        ({"if-none-match": f'W/"x", {ETAG}'}, 304),
        ({"if-none-match": "*"}, 304),
        ({"if-none-match": '"other"'}, 200),
        ({"if-none-match": "garbage"}, 200),
        # If-Modified-Since only when If-None-Match is absent
        ({"if-none-match": '"other"', "if-modified-since": LAST_MODIFIED}, 200),
        ({"if-modified-since": LAST_MODIFIED}, 304),
        ({"if-modified-since": AFTER}, 304),
        ({"if-modified-since": BEFORE}, 200),
        ({"if-modified-since": "not a date"}, 200),
    ],
)
def test_preconditions_in_rfc_order(
    interface: str, data_file: pathlib.Path, headers: dict[str, str], status: int
) -> None:
    with TestClient(_app(data_file), interface) as client:
        etag = client.get("/f").headers["etag"]
        r = client.get("/f", headers={k: v.replace(ETAG, etag) for k, v in headers.items()})
    assert r.status_code == status
    if status == 412:
        assert r.headers["content-type"] == "application/problem+json"
        assert "preconditions" in r.json()["detail"]
    elif status == 304:
        assert r.content == b""
        assert r.headers["etag"] == etag
    elif status == 200:
        assert r.content == CONTENT
    else:
        assert r.content == CONTENT[:10]


def test_two_date_lines_are_ignored(interface: str, data_file: pathlib.Path) -> None:
    """A date header with more than one member is not a valid HTTP-date (RFC 9110 13.1.3)."""
    with TestClient(_app(data_file), interface) as client:
        twice = [("if-modified-since", LAST_MODIFIED), ("if-modified-since", LAST_MODIFIED)]
        assert client.get("/f", headers=twice).status_code == 200
        twice = [("if-unmodified-since", BEFORE), ("if-unmodified-since", BEFORE)]
        assert client.get("/f", headers=twice).status_code == 200
        # If-Match lines are one list
        etag = client.get("/f").headers["etag"]
        lines = [("if-match", '"other"'), ("if-match", etag)]
        assert client.get("/f", headers=lines).status_code == 200


def test_head_and_unsafe_methods(interface: str, data_file: pathlib.Path) -> None:
    with TestClient(_app(data_file), interface) as client:
        etag = client.get("/f").headers["etag"]
        r = client.head("/f", headers={"if-match": '"other"'})
        assert (r.status_code, r.content) == (412, b"")
        assert client.head("/f", headers={"if-none-match": etag}).status_code == 304
        # If-None-Match matching on an unsafe method is 412, not 304
        assert client.post("/f", headers={"if-none-match": etag}).status_code == 412
        assert client.post("/f", headers={"if-none-match": "*"}).status_code == 412
        # If-Modified-Since applies to GET and HEAD only
        r = client.post("/f", headers={"if-modified-since": LAST_MODIFIED})
        assert (r.status_code, r.content) == (200, CONTENT)
        assert client.post("/f", headers={"if-match": '"other"'}).status_code == 412


def test_error_pages_ignore_preconditions(interface: str, data_file: pathlib.Path) -> None:
    """RFC 9110 13.2.1: preconditions are ignored when the answer would not be a 2xx."""
    app = Application()
    app.get("/gone", lambda: FileResponse(data_file, status_code=410))
    with TestClient(app, interface) as client:
        r = client.get("/gone", headers={"if-match": '"other"', "if-none-match": "*"})
    assert (r.status_code, r.content) == (410, CONTENT)


def test_a_412_goes_through_exception_handlers(interface: str, data_file: pathlib.Path) -> None:
    app = _app(data_file)

    @app.exception_handler(412)
    async def changed(request: object, exc: Exception) -> tuple[dict[str, str], int]:
        return {"error": "changed"}, 412

    with TestClient(app, interface) as client:
        r = client.get("/f", headers={"if-match": '"other"'})
    assert (r.status_code, r.json()) == (412, {"error": "changed"})


def test_cache_control_setting(interface: str, data_file: pathlib.Path) -> None:
    app = Application()
    app.get("/f", lambda: FileResponse(data_file, cache_control="public, max-age=3600"))
    app.get(
        "/override",
        lambda: FileResponse(
            data_file, headers={"Cache-Control": "no-store"}, cache_control="private, max-age=5"
        ),
    )
    app.get("/none", lambda: FileResponse(data_file))
    with TestClient(app, interface) as client:
        r = client.get("/f")
        assert r.headers["cache-control"] == "public, max-age=3600"
        # a 304 keeps it (a cache refreshes its copy's freshness from it)
        r = client.get("/f", headers={"if-none-match": r.headers["etag"]})
        assert (r.status_code, r.headers["cache-control"]) == (304, "public, max-age=3600")
        r = client.get("/f", headers={"range": "bytes=0-1"})
        assert (r.status_code, r.headers["cache-control"]) == (206, "public, max-age=3600")
        assert client.get("/override").headers.get_list("cache-control") == ["private, max-age=5"]
        assert "cache-control" not in client.get("/none").headers
