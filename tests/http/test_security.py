"""CORS, security headers and JWT authentication, under both interfaces.

Bad inputs tried for JWT: no header, a non-Bearer scheme, an empty token, garbage strings
(one segment, three junk segments, non-ASCII, 10 kB, bad base64, JSON that is not an object),
a forged signature, an expired token, a future ``nbf``, a wrong or missing issuer, a wrong
audience, ``alg: none``, an HS256 token signed with the RS256 public key (algorithm
confusion), and a token for another algorithm family. Every one is a 401, never a 500.
"""

from __future__ import annotations

import base64
import datetime
import time
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic import BaseModel

from orionis import Application, Depends, Header, HTTPException, Router
from orionis.middleware import CORSMiddleware, SecurityHeadersMiddleware
from orionis.security import JWTAuth
from orionis.testing import TestClient

ORIGIN = "https://app.example"


# -- CORS ------------------------------------------------------------------------------------
def cors_app(**options: Any) -> Application:
    app = Application()
    app.add_middleware(CORSMiddleware, **options)
    app.get("/data", lambda: ({"ok": True}, 200, {"vary": "Accept-Encoding"}))
    app.post("/data", lambda: {"posted": True})
    return app


def test_requests_without_origin_are_untouched(interface: str) -> None:
    with TestClient(cors_app(allow_origins=[ORIGIN]), interface) as client:
        r = client.get("/data")
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["vary"] == "Accept-Encoding"


def test_allowed_origin_is_echoed_with_vary(interface: str) -> None:
    app = cors_app(allow_origins=[ORIGIN], allow_credentials=True, expose_headers=["X-Total"])
    with TestClient(app, interface) as client:
        r = client.get("/data", headers={"origin": ORIGIN})
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert r.headers["access-control-allow-credentials"] == "true"
        assert r.headers["access-control-expose-headers"] == "X-Total"
        assert r.headers["vary"] == "Accept-Encoding, Origin"
        other = client.get("/data", headers={"origin": "https://evil.example"})
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers


def test_cors_headers_are_set_once_whatever_the_response_carries(interface: str) -> None:
    app = cors_app(allow_origins=[ORIGIN], allow_credentials=True, expose_headers=["X-Total"])
    app.get("/own", lambda: ("x", 200, {"access-control-allow-origin": "https://other.example"}))
    with TestClient(app, interface) as client:
        plain = client.post("/data", headers={"origin": ORIGIN})  # no Vary, no CORS headers
        assert plain.headers.get_list("access-control-allow-origin") == [ORIGIN]
        assert plain.headers.get_list("vary") == ["Origin"]
        assert plain.headers.get_list("access-control-allow-credentials") == ["true"]
        assert plain.headers.get_list("access-control-expose-headers") == ["X-Total"]
        own = client.get("/own", headers={"origin": ORIGIN})  # replaced, never doubled
        assert own.headers.get_list("access-control-allow-origin") == [ORIGIN]
        assert own.headers.get_list("vary") == ["Origin"]
    with TestClient(cors_app(allow_origins=["*"]), interface) as client:
        anyone = client.post("/data", headers={"origin": "https://anyone.example"})
        assert anyone.headers.get_list("access-control-allow-origin") == ["*"]
        assert "vary" not in anyone.headers


def test_wildcard_and_regex_origins(interface: str) -> None:
    with TestClient(cors_app(allow_origins=["*"]), interface) as client:
        r = client.get("/data", headers={"origin": "https://anyone.example"})
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["vary"] == "Accept-Encoding"
    app = cors_app(allow_origin_regex=r"https://[a-z]+\.app\.example")
    with TestClient(app, interface) as client:
        ok = client.get("/data", headers={"origin": "https://eu.app.example"})
        assert ok.headers["access-control-allow-origin"] == "https://eu.app.example"
        no = client.get("/data", headers={"origin": "https://eu.app.example.evil"})
        assert "access-control-allow-origin" not in no.headers


def test_preflight_is_answered_before_routing(interface: str) -> None:
    app = cors_app(
        allow_origins=[ORIGIN],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization"],
        max_age=300,
    )
    request = {
        "origin": ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    with TestClient(app, interface) as client:
        r = client.options("/data", headers=request)
        assert (r.status_code, r.content) == (204, b"")
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert r.headers["access-control-allow-methods"] == "GET, POST"
        assert r.headers["access-control-max-age"] == "300"
        allowed = r.headers["access-control-allow-headers"]
        assert "authorization" in allowed and "content-type" in allowed
        assert client.options("/not-a-route", headers=request).status_code == 204
        for change, refused in [
            ({"origin": "https://evil.example"}, "origin"),
            ({"access-control-request-method": "DELETE"}, "method"),
            ({"access-control-request-headers": "x-secret"}, "headers"),
        ]:
            r = client.options("/data", headers={**request, **change})
            assert r.status_code == 400
            assert r.headers["content-type"] == "application/problem+json"
            assert refused in r.json()["detail"]
        # An OPTIONS that is not a preflight reaches the router (automatic OPTIONS).
        plain = client.options("/data", headers={"origin": ORIGIN})
        assert plain.status_code == 204
        assert plain.headers["allow"] == "GET, HEAD, OPTIONS, POST"
        assert plain.headers["access-control-allow-origin"] == ORIGIN


def test_any_requested_headers_with_wildcard(interface: str) -> None:
    app = cors_app(allow_origins=[ORIGIN], allow_methods=["*"], allow_headers=["*"])
    with TestClient(app, interface) as client:
        r = client.options(
            "/data",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "PATCH",
                "access-control-request-headers": "x-anything",
            },
        )
    assert r.status_code == 204
    assert r.headers["access-control-allow-headers"] == "x-anything"
    assert "PATCH" in r.headers["access-control-allow-methods"]


def test_cors_options_are_checked() -> None:
    with pytest.raises(TypeError, match="lists"):
        CORSMiddleware(allow_origins="https://a.example")  # type: ignore[arg-type]
    # Every website, with the user's credentials: refused rather than silently allowed.
    with pytest.raises(ValueError, match="every website"):
        CORSMiddleware(allow_origins=["*"], allow_credentials=True)
    with pytest.raises(ValueError, match="control character"):
        CORSMiddleware(allow_origins=["https://a.example"], expose_headers=["x\r\nevil: 1"])
    with pytest.raises(ValueError, match="control character"):
        SecurityHeadersMiddleware(extra={"x-evil": "a\nb"})


def test_cors_replaces_an_allow_origin_set_by_the_handler(interface: str) -> None:
    app = cors_app(allow_origins=[ORIGIN])
    app.get("/own", lambda: ("x", 200, {"access-control-allow-origin": "https://b.example"}))
    with TestClient(app, interface) as client:
        r = client.get("/own", headers={"origin": ORIGIN})
    assert r.headers.get_list("access-control-allow-origin") == [ORIGIN]


# -- security headers --------------------------------------------------------------------
def test_security_headers_defaults_and_overrides(interface: str) -> None:
    app = Application()
    app.add_middleware(SecurityHeadersMiddleware, permissions_policy="camera=()")
    app.get("/", lambda: "x")
    app.get("/framed", lambda: ("x", 200, {"x-frame-options": "SAMEORIGIN"}))
    with TestClient(app, interface) as client:
        r = client.get("/")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert r.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
        assert r.headers["cross-origin-opener-policy"] == "same-origin"
        assert r.headers["permissions-policy"] == "camera=()"
        assert "strict-transport-security" not in r.headers  # plain HTTP
        framed = client.get("/framed").headers
        assert framed.get_list("x-frame-options") == ["SAMEORIGIN"]
        assert framed.get_list("x-content-type-options") == ["nosniff"]  # the others added
        assert framed.get_list("referrer-policy") == ["strict-origin-when-cross-origin"]
        assert r.headers.get_list("x-frame-options") == ["DENY"]
        assert client.get("/missing").headers["x-content-type-options"] == "nosniff"
        docs = client.get("/docs").headers.get_list("content-security-policy")
        assert len(docs) == 1 and "https://cdn.jsdelivr.net" in docs[0]
    with TestClient(app, interface, base_url="https://testserver") as client:
        assert client.get("/").headers["strict-transport-security"] == (
            "max-age=63072000; includeSubDomains"
        )


def test_security_headers_can_be_switched_off(interface: str) -> None:
    app = Application()
    app.add_middleware(
        SecurityHeadersMiddleware,
        frame_options=None,
        content_security_policy=None,
        hsts_max_age=None,
        extra={"X-Custom": "1"},
    )
    app.get("/", lambda: "x")
    with TestClient(app, interface, base_url="https://testserver") as client:
        r = client.get("/")
    assert "x-frame-options" not in r.headers and "content-security-policy" not in r.headers
    assert "strict-transport-security" not in r.headers
    assert r.headers["x-custom"] == "1"


# -- JWT -------------------------------------------------------------------------------------
SECRET = "a-long-shared-secret-for-hs256-tests"


def hs_token(**claims: Any) -> str:
    base = {"sub": "ada", "iss": "https://id.example", "exp": int(time.time()) + 600}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, SECRET, "HS256")


def jwt_app(auth: JWTAuth) -> Application:
    app = Application()

    @app.get("/me")
    async def me(claims: dict = Depends(auth)) -> dict:  # the contract's form
        return {"sub": claims["sub"]}

    protected = Router(prefix="/admin", dependencies=[Depends(auth)])
    protected.get("/stats", lambda: {"secret": 42})
    app.include_router(protected)
    return app


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_valid_tokens_pass_and_routers_are_protected(interface: str) -> None:
    auth = JWTAuth(SECRET, issuer="https://id.example", leeway=5)
    with TestClient(jwt_app(auth), interface) as client:
        headers = {"authorization": f"Bearer {hs_token()}"}
        assert client.get("/me", headers=headers).json() == {"sub": "ada"}
        assert client.get("/admin/stats", headers=headers).json() == {"secret": 42}
        r = client.get("/admin/stats")
        assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
        assert r.headers["content-type"] == "application/problem+json"


def _hostile_tokens(rsa_public_pem: bytes) -> list[tuple[str, str]]:
    header_none = b64(b'{"alg":"none","typ":"JWT"}')
    hs_header = b64(b'{"alg":"HS256"}')
    payload = b64(b'{"sub":"ada","iss":"https://id.example"}')
    confused = jwt.encode({"sub": "ada"}, SECRET + "x", "HS256")
    return [
        ("one segment", "abc"),
        ("junk segments", "a.b.c"),
        ("non-ascii", "\u00e9\u00e9.\u00e9\u00e9.\u00e9\u00e9"),
        ("huge", "a" * 10_000),
        ("bad base64", "!!!.???.***"),
        ("payload not an object", f"{hs_header}.{b64(b'[1,2]')}.x"),
        ("forged signature", hs_token()[:-4] + "AAAA"),
        ("expired", hs_token(exp=int(time.time()) - 60)),
        ("not yet valid", hs_token(nbf=int(time.time()) + 600)),
        ("wrong issuer", hs_token(iss="https://evil.example")),
        ("missing issuer", hs_token(iss=None)),
        ("alg none", f"{header_none}.{payload}."),
        ("other secret", confused),
        ("rs256 key as hmac secret", _confusion_token(rsa_public_pem)),
    ]


def _confusion_token(public_pem: bytes) -> str:
    # Forge an HS256 token using the RSA *public* key as the secret (PyJWT refuses to sign
    # with a PEM as HMAC key, so build it by hand).
    import hashlib
    import hmac

    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    body = b64(b'{"sub":"mallory","iss":"https://id.example"}')
    signature = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def _rsa_keys() -> tuple[bytes, bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


RSA_PRIVATE, RSA_PUBLIC = _rsa_keys()


def test_every_bad_token_is_401(interface: str) -> None:
    hs = jwt_app(JWTAuth(SECRET, issuer="https://id.example"))
    rs = jwt_app(JWTAuth(RSA_PUBLIC, algorithms=["RS256"], issuer="https://id.example"))
    with TestClient(hs, interface) as hs_client, TestClient(rs, interface) as rs_client:
        for name, token in _hostile_tokens(RSA_PUBLIC):
            for client in (hs_client, rs_client):
                r = client.get("/me", headers={"authorization": f"Bearer {token}".encode()})
                assert r.status_code == 401, (name, r.text)
                assert r.headers["www-authenticate"].startswith("Bearer"), name
        for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token"):
            r = hs_client.get("/me", headers={"authorization": header})
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == 'Bearer error="invalid_request"'
        expired = hs_client.get(
            "/me", headers={"authorization": f"Bearer {hs_token(exp=int(time.time()) - 60)}"}
        )
        assert expired.json()["detail"] == "The token has expired."


def _pem_pair(private_key: Any) -> tuple[bytes, bytes]:
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


@pytest.mark.parametrize(
    ("algorithm", "make_key"),
    [
        ("RS256", lambda: None),
        ("PS256", lambda: None),
        ("ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
        ("EdDSA", ed25519.Ed25519PrivateKey.generate),
    ],
)
def test_public_key_algorithms_with_pem_keys(interface: str, algorithm: str, make_key) -> None:  # type: ignore[no-untyped-def]
    key = make_key()
    private_pem, public_pem = (RSA_PRIVATE, RSA_PUBLIC) if key is None else _pem_pair(key)
    auth = JWTAuth(public_pem.decode(), algorithms=[algorithm], audience="shop")
    token = jwt.encode({"sub": "grace", "aud": "shop"}, private_pem, algorithm)
    wrong_audience = jwt.encode({"sub": "grace", "aud": "other"}, private_pem, algorithm)
    with TestClient(jwt_app(auth), interface) as client:
        ok = client.get("/me", headers={"authorization": f"Bearer {token}"})
        assert ok.json() == {"sub": "grace"}
        bad = client.get("/me", headers={"authorization": f"Bearer {wrong_audience}"})
        assert bad.status_code == 401
        hs = client.get("/me", headers={"authorization": f"Bearer {hs_token()}"})
        assert hs.status_code == 401


def test_cookie_fallback(interface: str) -> None:
    auth = JWTAuth(SECRET, cookie="session")
    with TestClient(jwt_app(auth), interface) as client:
        r = client.get("/me", headers={"cookie": f"session={hs_token()}"})
        assert r.json() == {"sub": "ada"}
        assert client.get("/me", headers={"cookie": "session=garbage"}).status_code == 401
        assert client.get("/me", headers={"cookie": "other=1"}).status_code == 401


def _status(client: TestClient, token: str) -> int:
    return client.get("/me", headers={"authorization": f"Bearer {token}"}).status_code


def test_issuer_lists_and_timedelta_leeway(interface: str) -> None:
    """Both verification paths: the fast HMAC one (HS256) and PyJWT's (RS256)."""
    issuers = ["https://id.example", "https://login.example"]
    hs = JWTAuth(SECRET, issuer=issuers, leeway=datetime.timedelta(minutes=1))
    rs = JWTAuth(RSA_PUBLIC, algorithms=["RS256"], issuer=issuers, leeway=datetime.timedelta(60))
    assert (hs.leeway, rs.leeway) == (60, 60 * 86_400)
    now = int(time.time())

    def rs_token(**claims: Any) -> str:
        return jwt.encode({"sub": "ada", **claims}, RSA_PRIVATE, "RS256")

    with (
        TestClient(jwt_app(hs), interface) as hs_client,
        TestClient(jwt_app(rs), interface) as rs_client,
    ):
        for client, sign in ((hs_client, hs_token), (rs_client, rs_token)):
            assert _status(client, sign(iss="https://login.example", exp=now + 600)) == 200
            assert _status(client, sign(iss="https://id.example", exp=now - 30)) == 200
            assert _status(client, sign(iss="https://evil.example", exp=now + 600)) == 401
        assert _status(hs_client, hs_token(exp=now - 120)) == 401  # beyond one minute
        assert _status(rs_client, rs_token(iss="https://id.example", exp=now - 120)) == 200


class Item(BaseModel):
    name: str
    price: float


def test_guards_run_before_input_is_validated(interface: str) -> None:
    """An unauthenticated request is refused (401) before its body or query is looked at:
    a client without credentials learns nothing about what the route expects."""
    auth = JWTAuth(SECRET)
    calls: list[str] = []

    def api_key(x_api_key: Annotated[str, Header()]) -> None:
        calls.append("api_key")
        if x_api_key != "k":
            raise HTTPException(403, "Wrong API key.")

    app = Application()

    @app.post("/items")
    async def create(item: Item, claims: dict = Depends(auth)) -> dict:
        return {"name": item.name, "sub": claims["sub"]}

    admin = Router(prefix="/admin", dependencies=[Depends(api_key)])

    @admin.post("/items")
    async def admin_create(item: Item, limit: int = 10) -> dict:
        return {"name": item.name, "limit": limit}

    app.include_router(admin)
    bearer = {"authorization": f"Bearer {hs_token()}"}
    broken = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    with TestClient(app, interface) as client:
        assert client.post("/items", **broken).status_code == 401  # type: ignore[arg-type]
        assert client.post("/items", json={"name": 1}).status_code == 401
        r = client.post("/items", json={"name": "pen"}, headers=bearer)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "price"]
        r = client.post("/items", json={"name": "pen", "price": 1}, headers=bearer)
        assert r.json() == {"name": "pen", "sub": "ada"}
        # a router-level dependency is a guard too: its own inputs first, then its verdict
        r = client.post("/admin/items?limit=x", **broken)  # type: ignore[arg-type]
        assert [e["loc"] for e in r.json()["errors"]] == [["header", "x-api-key"]]
        r = client.post("/admin/items?limit=x", json={}, headers={"x-api-key": "wrong"})
        assert r.status_code == 403
        r = client.post("/admin/items?limit=x", json={}, headers={"x-api-key": "k"})
        assert r.status_code == 422 and len(r.json()["errors"]) == 3  # limit, name, price
        r = client.post("/admin/items", json={"name": "a", "price": 2}, headers={"x-api-key": "k"})
        assert r.json() == {"name": "a", "limit": 10}
    assert calls == ["api_key"] * 3  # once per request that got that far, never twice


def test_jwt_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="algorithm confusion"):
        JWTAuth(SECRET, algorithms=["HS256", "RS256"])
    with pytest.raises(ValueError, match="unsupported"):
        JWTAuth(SECRET, algorithms=["none"])
    with pytest.raises(ValueError, match="non-empty"):
        JWTAuth(SECRET, algorithms=[])
    with pytest.raises(ValueError, match="non-empty list"):
        JWTAuth(SECRET, algorithms="HS256")  # type: ignore[arg-type]  # a string, not a list
    with pytest.raises(ValueError, match="invalid key"):
        JWTAuth(RSA_PUBLIC, algorithms=["HS256"])  # a PEM is not an HMAC secret
    with pytest.raises(ValueError, match="invalid key"):
        JWTAuth("not a pem", algorithms=["RS256"])
    with pytest.raises(ValueError, match="needs a key"):
        JWTAuth("")
    for leeway in (-1, datetime.timedelta(seconds=-5), "30"):
        with pytest.raises(ValueError, match="leeway"):
            JWTAuth(SECRET, leeway=leeway)  # type: ignore[arg-type]
    for issuer in ([], [1], ["ok", None]):
        with pytest.raises(ValueError, match="issuer"):
            JWTAuth(SECRET, issuer=issuer)  # type: ignore[arg-type]


def test_jwt_security_scheme_in_openapi() -> None:
    app = jwt_app(JWTAuth(SECRET))
    doc = app.openapi()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert doc["paths"]["/admin/stats"]["get"]["security"] == [{"bearerAuth": []}]
