"""CSRFMiddleware under both interfaces, attacks included.

Tried: Sec-Fetch-Site cross-site and same-site, a foreign Origin (reflected origin with
credentials), ``Origin: null``, a look-alike origin, a bad Referer over HTTPS and none at all,
no token, a wrong token, a made-up cookie planted by a sibling subdomain with the matching
token (cookie tossing), a validly signed token from another session, an oversized token, a
form field on a non-form body, bearer-token API calls with and without cookies.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from orionis import Application, Request
from orionis.middleware import CORSMiddleware, CSRFMiddleware, SessionMiddleware
from orionis.testing import TestClient

SECRET = "c" * 32
OWN = "http://testserver"


def csrf_app(sessions: bool = True, **options: Any) -> Application:
    app = Application()
    if sessions:
        app.add_middleware(SessionMiddleware, secret_key=SECRET)
    app.add_middleware(CSRFMiddleware, secret_key=SECRET, **options)

    @app.get("/form")
    async def form(request: Request) -> dict:
        return {"token": request.state.csrf_token}

    @app.post("/login/{user}")
    async def login(request: Request, user: str) -> dict:
        request.session.regenerate()
        request.session["user"] = user
        return {"user": user}

    @app.post("/submit")
    async def submit(request: Request) -> dict:
        form = await request.form() if "form" in request.headers.get("content-type", "") else {}
        return {"ok": True, "note": form.get("note")}

    app.delete("/notes/{id:int}", lambda id: {"deleted": id})
    app.post("/hooks/github", lambda: {"hook": True})
    app.post("/payments/callback", lambda: {"paid": True}, name="payments.callback")
    app.post("/api/items", lambda: {"created": True})
    return app


def token_of(client: TestClient) -> str:
    return client.get("/form").json()["token"]


def refused(r: Any, words: str) -> None:
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert re.search(words, r.json()["detail"]), r.json()["detail"]


def test_same_origin_post_with_header_or_form_field(interface: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        token = token_of(client)
        assert client.cookies["csrftoken"] == token
        ok = client.post("/submit", headers={"origin": OWN, "x-csrf-token": token})
        assert ok.status_code == 200
        form = client.post(
            "/submit",
            data={"csrf_token": token, "note": "hi"},
            headers={"origin": OWN, "sec-fetch-site": "same-origin"},
        )
        assert form.json() == {"ok": True, "note": "hi"}  # the handler reads the form again
        multipart = client.post(
            "/submit", data={"csrf_token": token, "note": "m"}, files={"f": ("a.txt", b"x")}
        )
        assert multipart.json()["note"] == "m"
        assert client.delete("/notes/3", headers={"x-csrf-token": token}).json() == {"deleted": 3}
        # The token stays stable while the cookie is valid: no new Set-Cookie.
        assert "set-cookie" not in client.get("/form").headers


def test_safe_methods_pass_and_get_a_token(interface: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        r = client.get("/form", headers={"origin": "https://evil.example"})
        assert r.status_code == 200
        header = next(h for h in r.headers.get_list("set-cookie") if h.startswith("csrftoken="))
        assert "samesite=lax" in header.lower() and "path=/" in header.lower()


def test_cross_site_fetch_metadata_is_refused(interface: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        token = token_of(client)
        headers = {"x-csrf-token": token, "origin": OWN}
        refused(
            client.post("/submit", headers={**headers, "sec-fetch-site": "cross-site"}),
            "Sec-Fetch-Site: cross-site",
        )
        refused(
            client.post("/submit", headers={**headers, "sec-fetch-site": "same-site"}),
            "allow_same_site=True",
        )
        ok = client.post("/submit", headers={**headers, "sec-fetch-site": "none"})
        assert ok.status_code == 200
    with TestClient(csrf_app(allow_same_site=True), interface) as client:
        token = token_of(client)
        r = client.post("/submit", headers={"x-csrf-token": token, "sec-fetch-site": "same-site"})
        assert r.status_code == 200


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",  # a reflected origin with the victim's cookies
        "null",
        "http://testserver.evil.example",
        "http://evil.example@testserver",  # not an origin at all
        "https://testserver",  # another scheme
        "http://testserver:8080",
    ],
)
def test_foreign_origin_is_refused_even_with_a_valid_token(interface: str, origin: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        token = token_of(client)
        refused(client.post("/submit", headers={"origin": origin, "x-csrf-token": token}), "Origin")


def test_trusted_origins(interface: str) -> None:
    app = csrf_app(trusted_origins=["https://app.example"])
    with TestClient(app, interface) as client:
        token = token_of(client)
        ok = client.post(
            "/submit", headers={"origin": "https://app.example", "x-csrf-token": token}
        )
        assert ok.status_code == 200
    with pytest.raises(ValueError, match=r"https://app\.example"):
        CSRFMiddleware(secret_key=SECRET, trusted_origins=["https://app.example/path"])
    with pytest.raises(ValueError, match="secrets"):
        CSRFMiddleware(secret_key="short")


def test_referer_is_required_over_https_without_origin(interface: str) -> None:
    with TestClient(csrf_app(), interface, base_url="https://testserver") as client:
        token = token_of(client)
        refused(client.post("/submit", headers={"x-csrf-token": token}), "needs a Referer")
        refused(
            client.post(
                "/submit",
                headers={"x-csrf-token": token, "referer": "https://evil.example/page"},
            ),
            "Referer",
        )
        ok = client.post(
            "/submit", headers={"x-csrf-token": token, "referer": "https://testserver/form"}
        )
        assert ok.status_code == 200


def test_missing_or_wrong_token_is_refused(interface: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        refused(client.post("/submit", headers={"origin": OWN}), "cookie is missing")
        token = token_of(client)
        refused(client.post("/submit", headers={"origin": OWN}), "no token was sent")
        refused(client.post("/submit", data={"note": "x"}), "no token was sent")
        refused(client.post("/submit", headers={"x-csrf-token": token[:-1] + "x"}), "not match")
        refused(client.post("/submit", headers={"x-csrf-token": "x" * 10_000}), "not match")
        # A form field on a JSON body is not read (the body is not a form).
        refused(
            client.post("/submit", json={"csrf_token": token}, headers={"origin": OWN}),
            "no token was sent",
        )


@pytest.mark.parametrize("sessions", [True, False])
def test_cookie_tossing_with_a_chosen_token_fails(interface: str, sessions: bool) -> None:
    # A sibling subdomain sets csrftoken=<its choice> for the parent domain and submits it.
    with TestClient(csrf_app(sessions=sessions), interface) as client:
        token_of(client)
        for chosen in ["attacker", "abc.def", token_of(client).split(".")[0] + ".AAAA"]:
            client.cookies.clear()
            r = client.post(
                "/submit", headers={"cookie": f"csrftoken={chosen}", "x-csrf-token": chosen}
            )
            refused(r, "not a token this site issued")


def login(client: TestClient, user: str) -> str:
    """Sign in (passing CSRF), then the token bound to the signed-in session."""
    r = client.post(f"/login/{user}", headers={"x-csrf-token": token_of(client)})
    assert r.status_code == 200, r.text
    return token_of(client)


def test_signing_in_binds_the_token_to_the_session(interface: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        anonymous = token_of(client)
        assert "set-cookie" not in client.get("/form").headers  # no session written for CSRF
        bound = login(client, "ada")
        assert bound != anonymous
        assert client.post("/submit", headers={"x-csrf-token": bound}).status_code == 200
        refused(client.post("/submit", headers={"x-csrf-token": anonymous}), "not match")


def test_token_from_another_session_fails(interface: str) -> None:
    app = csrf_app()
    with TestClient(app, interface) as attacker:
        theirs = login(attacker, "mallory")  # validly signed, for the attacker's own session
    with TestClient(app, interface) as victim:
        login(victim, "ada")
        session = victim.cookies["session"]
        r = victim.post(
            "/submit",
            headers={"cookie": f"session={session}; csrftoken={theirs}", "x-csrf-token": theirs},
        )
        refused(r, "for this session")


def test_exempt_by_path_prefix_and_route_name(interface: str) -> None:
    app = csrf_app(exempt=["/hooks/*", "payments.callback"])
    evil = {"origin": "https://evil.example"}
    with TestClient(app, interface) as client:
        assert client.post("/hooks/github", headers=evil).json() == {"hook": True}
        assert client.post("/payments/callback", headers=evil).json() == {"paid": True}
        refused(client.post("/api/items", headers=evil), "Origin")


def test_bearer_api_calls_without_cookies_pass(interface: str) -> None:
    with TestClient(csrf_app(), interface) as client:
        api = {"authorization": "Bearer abc.def.ghi", "origin": "https://other.example"}
        r = client.post("/api/items", headers=api)
        assert r.status_code == 200 and "set-cookie" not in r.headers
        # With the browser's cookies attached, the bearer header buys nothing.
        token_of(client)
        refused(client.post("/api/items", headers=api), "Origin")


def test_form_token_is_read_within_the_body_limits(interface: str) -> None:
    app = Application(max_body_size=1000)
    app.add_middleware(CSRFMiddleware, secret_key=SECRET)
    app.get("/form", lambda request: {"token": request.state.csrf_token})

    @app.post("/upload", max_body_size=None)  # streams its body: the form is not read first
    async def upload(request: Request) -> dict:
        return {"size": sum([len(chunk) async for chunk in request.stream()])}

    app.post("/submit", lambda: {"ok": True})
    with TestClient(app, interface) as client:
        token = token_of(client)
        big = client.post("/submit", data={"csrf_token": token, "pad": "x" * 5000})
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        body = {"csrf_token": token, "pad": "x" * 5000}
        refused(client.post("/upload", data=body), "no token was sent")
        ok = client.post("/upload", data=body, headers={"x-csrf-token": token})
        assert ok.status_code == 200 and ok.json()["size"] > 5000
        patch = client.patch("/submit", headers={"origin": "https://evil.example"})
        refused(patch, "Origin")


def test_a_cors_policy_reflecting_origins_does_not_open_csrf(interface: str) -> None:
    # A too-permissive CORS setup echoes any origin with credentials; CSRF still refuses.
    app = Application()
    app.add_middleware(CORSMiddleware, allow_origin_regex=".*", allow_credentials=True)
    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    app.add_middleware(CSRFMiddleware, secret_key=SECRET)
    app.get("/form", lambda request: {"token": request.state.csrf_token})
    app.post("/transfer", lambda: {"sent": True})
    with TestClient(app, interface) as client:
        token = token_of(client)
        evil = {"origin": "https://evil.example", "x-csrf-token": token}
        r = client.post("/transfer", headers=evil)
        refused(r, "Origin")
        assert r.headers["access-control-allow-origin"] == "https://evil.example"
