"""``CSRFMiddleware(token_exempt=[...])``: a sign-in path a script can call without a token.

Tried: a cookieless POST (passes), the same POST saying it comes from another site
(Sec-Fetch-Site, Origin, ``null``: refused), a POST with our cookies but no token (refused:
a browser is checked in full), another path (refused), and bad option values.
"""

from __future__ import annotations

import pytest

from orionis import Application
from orionis.middleware import CSRFMiddleware
from orionis.testing import TestClient

SECRET = "t" * 32


def login_app() -> Application:
    app = Application()
    app.add_middleware(CSRFMiddleware, secret_key=SECRET, token_exempt=["/login"])
    app.post("/login", lambda: {"signed_in": True})
    app.post("/other", lambda: {"other": True})
    app.get("/page", lambda: {"page": True})
    return app


def test_a_cookieless_sign_in_needs_only_the_origin_checks(interface: str) -> None:
    with TestClient(login_app(), interface) as client:
        assert client.post("/login").json() == {"signed_in": True}
        same = client.post("/login", headers={"origin": "http://testserver"})
        assert same.status_code == 200
        for headers in (
            {"sec-fetch-site": "cross-site"},
            {"origin": "https://evil.example"},
            {"origin": "null"},
        ):
            r = client.post("/login", headers=headers)
            assert r.status_code == 403, headers
            assert r.headers["content-type"] == "application/problem+json"
        assert client.post("/other").status_code == 403  # only the listed path


def test_a_browser_with_our_cookies_is_checked_in_full(interface: str) -> None:
    with TestClient(login_app(), interface) as client:
        token = client.get("/page").cookies["csrftoken"]  # now the client holds our cookie
        refused = client.post("/login")
        assert refused.status_code == 403 and "token" in refused.json()["detail"].lower()
        assert client.post("/login", headers={"x-csrf-token": token}).status_code == 200


@pytest.mark.parametrize("value", ["/login", ["/auth/*"], ["login"]])
def test_token_exempt_takes_exact_paths(value: object) -> None:
    with pytest.raises((TypeError, ValueError), match="token_exempt"):
        CSRFMiddleware(SECRET, token_exempt=value)  # type: ignore[arg-type]
