"""Request cookies with one non-ASCII pair (issue 8, item 18): only that pair is lost.

ASGI servers pass header bytes through; Orionis keeps a non-ASCII ``Cookie`` value (as
Latin-1) and its parser drops only the non-ASCII pairs. Granian's RSGI side drops a header
value that is not visible ASCII before the app sees it (checked live against Granian 2.8.9,
tests/live/test_live_hardening.py), so there a single ``Cookie`` header with one bad pair
arrives empty; cookies sent as separate ``Cookie`` headers (HTTP/2 clients split them)
lose only the bad one on both protocols.
"""

from __future__ import annotations

from typing import Annotated

from orionis import Application, Cookie, Request
from orionis.testing import TestClient


def cookie_app() -> Application:
    app = Application()

    @app.get("/cookies")
    def cookies(request: Request) -> dict:
        return request.cookies

    @app.get("/session")
    def session(sid: Annotated[str, Cookie()]) -> dict:
        return {"sid": sid}

    return app


ONE_HEADER = [(b"cookie", b"sid=abc; tracker=caf\xe9; theme=dark")]
SPLIT = [(b"cookie", b"sid=abc"), (b"cookie", "tracker=caf\u00e9".encode()), (b"cookie", b"x=1")]


def test_one_bad_pair_in_one_header(interface: str) -> None:
    with TestClient(cookie_app(), interface) as client:
        r = client.get("/cookies", headers=ONE_HEADER)
        session = client.get("/session", headers=ONE_HEADER)
    if interface == "asgi":
        assert r.json() == {"sid": "abc", "theme": "dark"}
        assert session.json() == {"sid": "abc"}
    else:  # Granian drops the whole header value: nothing reaches the app
        assert r.json() == {}
        assert session.status_code == 422


def test_one_bad_pair_in_split_headers(interface: str) -> None:
    with TestClient(cookie_app(), interface) as client:
        assert client.get("/cookies", headers=SPLIT).json() == {"sid": "abc", "x": "1"}
        assert client.get("/session", headers=SPLIT).json() == {"sid": "abc"}


def test_ascii_cookies_unchanged(interface: str) -> None:
    with TestClient(cookie_app(), interface) as client:
        r = client.get("/cookies", headers=[(b"cookie", b'a=1; b="x y"; c=%E2%82%AC')])
    assert r.json() == {"a": "1", "b": "x y", "c": "%E2%82%AC"}
