"""JWTAuth with a JWKS source, scopes and roles, and the attacks, under both interfaces.

Keys are served by a real JWKS server: a tiny threaded ``http.server`` on 127.0.0.1 started
by the fixture, counting its requests. Time is a clock the test moves. Attacks tried:
``alg: none``, HS256 signed with the RSA public key (algorithm confusion), expired and
missing ``exp``, wrong ``aud``/``iss``, a 1,000-level nested header, a flood of unknown
``kid`` values (one refetch per minute), a JWKS server that is down, one that answers an
oversized or broken document. Every one is a 401 (or 403 for scopes), never a 500.
"""

import base64
import hashlib
import hmac
import http.server
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from orionis import Application, Depends
from orionis.security import JWTAuth
from orionis.testing import TestClient
from tests.redis_server import free_port

ISSUER = "https://id.example"
AUDIENCE = "notes-api"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class JWKSServer:
    """Serves ``self.document`` (or ``self.raw`` bytes) at /jwks.json; counts requests."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.raw: bytes | None = None
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                body = outer.raw if outer.raw is not None else json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


class Signer:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str | None = "same", **claims: Any) -> str:
        payload = {"sub": "ada", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 3600}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        headers = {} if kid is None else {"kid": self.kid if kid == "same" else kid}
        return jwt.encode(payload, self.private, algorithm="RS256", headers=headers)


SIGNER = Signer("k1")
ROTATED = Signer("k2")


@pytest.fixture
def jwks() -> Iterator[JWKSServer]:
    server = JWKSServer()
    server.document = {"keys": [SIGNER.jwk]}
    yield server
    server.close()


def make_app(auth: JWTAuth) -> Application:
    app = Application()

    @app.get("/me")
    async def me(claims: Annotated[dict, Depends(auth)]) -> dict:
        return {"sub": claims["sub"]}

    @app.post("/notes")
    async def write(claims: Annotated[dict, Depends(auth.requires("notes:write"))]) -> dict:
        return {"by": claims["sub"]}

    @app.delete("/notes")
    async def purge(
        claims: Annotated[dict, Depends(auth.requires("notes:write", "notes:admin"))],
    ) -> dict:
        return {"by": claims["sub"]}

    @app.get("/admin", dependencies=[Depends(auth.requires(roles=["admin"]))])
    async def admin() -> str:
        return "yes"

    return app


def jwks_auth(jwks: JWKSServer, clock: Clock, **options: Any) -> JWTAuth:
    return JWTAuth(
        jwks_url=jwks.url,
        algorithms=["RS256"],
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=clock,
        **options,
    )


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_invalid(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["content-type"] == "application/problem+json"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_keys_are_fetched_once_and_selected_by_kid(interface: str, jwks: JWKSServer) -> None:
    clock = Clock()
    auth = jwks_auth(jwks, clock)
    with TestClient(make_app(auth), interface) as client:
        for _ in range(3):
            r = client.get("/me", headers=bearer(SIGNER.token()))
            assert r.status_code == 200, r.text
            assert r.json() == {"sub": "ada"}
        assert jwks.requests == 1  # cached
        missing = client.get("/me")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"  # RFC 6750: no error code


def test_unknown_kids_refetch_at_most_once_per_minute(interface: str, jwks: JWKSServer) -> None:
    clock = Clock()
    auth = jwks_auth(jwks, clock)
    with TestClient(make_app(auth), interface) as client:
        assert client.get("/me", headers=bearer(SIGNER.token())).status_code == 200
        assert_invalid(client.get("/me", headers=bearer(SIGNER.token(kid="forged"))))
        assert jwks.requests == 1  # the first fetch was just now: no refetch yet
        clock.now += 60
        for i in range(20):  # forged kids: one refetch, then the cache answers
            assert_invalid(client.get("/me", headers=bearer(SIGNER.token(kid=f"forged-{i}"))))
        assert jwks.requests == 2
        jwks.document = {"keys": [SIGNER.jwk, ROTATED.jwk]}  # the provider rotates keys
        assert_invalid(client.get("/me", headers=bearer(ROTATED.token())))  # too soon
        assert jwks.requests == 2
        clock.now += 60
        assert client.get("/me", headers=bearer(ROTATED.token())).status_code == 200
        assert client.get("/me", headers=bearer(SIGNER.token())).status_code == 200
        assert jwks.requests == 3


def test_withdrawn_keys_stop_working_after_max_age(interface: str, jwks: JWKSServer) -> None:
    clock = Clock()
    auth = jwks_auth(jwks, clock)
    with TestClient(make_app(auth), interface) as client:
        assert client.get("/me", headers=bearer(SIGNER.token())).status_code == 200
        jwks.document = {"keys": [ROTATED.jwk]}  # the provider withdraws k1
        clock.now += 3599
        assert client.get("/me", headers=bearer(SIGNER.token())).status_code == 200  # cached
        assert jwks.requests == 1
        clock.now += 1
        assert_invalid(client.get("/me", headers=bearer(SIGNER.token())))
        assert client.get("/me", headers=bearer(ROTATED.token())).status_code == 200
        assert jwks.requests == 2
        jwks.close()  # the provider goes away: the cached keys stay in use
        clock.now += 3600
        assert client.get("/me", headers=bearer(ROTATED.token())).status_code == 200
        assert jwks.requests == 2


def test_jwks_server_down_is_401_and_logged(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    down = f"http://127.0.0.1:{free_port()}/jwks.json"  # nothing listens there
    auth = JWTAuth(jwks_url=down, algorithms=["RS256"], clock=clock, jwks_timeout=5.0)
    with (
        caplog.at_level(logging.WARNING, logger="orionis.security"),
        TestClient(make_app(auth), interface) as client,
    ):
        for _ in range(3):
            assert_invalid(client.get("/me", headers=bearer(SIGNER.token(aud=None))))
    warnings = [r for r in caplog.records if "JWKS fetch" in r.getMessage()]
    assert len(warnings) == 1  # one attempt per interval, so one warning


def test_a_jwks_server_that_never_answers_times_out(interface: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/jwks.json"
        auth = JWTAuth(jwks_url=url, algorithms=["RS256"], clock=Clock(), jwks_timeout=0.2)
        with TestClient(make_app(auth), interface) as client:
            assert_invalid(client.get("/me", headers=bearer(SIGNER.token(aud=None))))


@pytest.mark.parametrize(
    "raw", [b"not json", b'{"keys": "no"}', b'{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}']
)
def test_broken_or_oversized_documents_are_401(
    interface: str, jwks: JWKSServer, raw: bytes
) -> None:
    clock = Clock()
    jwks.raw = raw
    with TestClient(make_app(jwks_auth(jwks, clock)), interface) as client:
        assert_invalid(client.get("/me", headers=bearer(SIGNER.token())))
    jwks.raw = json.dumps({"keys": [SIGNER.jwk], "pad": "x" * 5000}).encode()
    small = jwks_auth(jwks, clock, jwks_max_bytes=4096)
    with TestClient(make_app(small), interface) as client:
        assert_invalid(client.get("/me", headers=bearer(SIGNER.token())))


def test_attacks_are_401(interface: str, jwks: JWKSServer) -> None:
    clock = Clock()
    payload = {"sub": "ada", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 3600}
    none = jwt.encode(payload, None, algorithm="none", headers={"kid": "k1"})
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.digest(SIGNER.public_pem, f"{header}.{body}".encode(), hashlib.sha256)
    confused = f"{header}.{body}.{b64(mac)}"
    nested = '{"a":' * 1000 + '"x"' + "}" * 1000
    deep = b64(('{"alg": "RS256", "kid": "k1", "n": ' + nested + "}").encode())
    deep_token = f"{deep}.{body}.{b64(b'sig')}"
    attacks = {
        "alg none": none,
        "HS256 with the public key": confused,
        "expired": SIGNER.token(exp=time.time() - 10),
        "wrong aud": SIGNER.token(aud="other-api"),
        "missing aud": SIGNER.token(aud=None),
        "wrong iss": SIGNER.token(iss="https://evil.example"),
        "1000-level header": deep_token,
        "10,000-level header": b64(b'{"a":' * 10_000) + f".{body}.{b64(b'sig')}",
        "kid not a string": b64(b'{"alg": "RS256", "kid": 7}') + f".{body}.x",
        "garbage": "a.b.c",
    }
    with TestClient(make_app(jwks_auth(jwks, clock)), interface) as client:
        for name, token in attacks.items():
            r = client.get("/me", headers=bearer(token))
            assert r.status_code == 401, (name, r.text)
            assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"', name
        assert client.get("/me", headers=bearer(SIGNER.token())).status_code == 200


def test_nested_headers_for_hmac_tokens(interface: str) -> None:
    secret = b"s" * 32
    auth = JWTAuth(secret, algorithms=["HS256"])
    nested = '{"a":' * 1000 + '"x"' + "}" * 1000
    header = b64(('{"alg": "HS256", "n": ' + nested + "}").encode())
    body = b64(b'{"sub": "ada"}')
    mac = hmac.digest(secret, f"{header}.{body}".encode(), hashlib.sha256)
    deeper = b64(b'{"a":' * 100_000)
    with TestClient(make_app(auth), interface) as client:
        forged = f"{header}.{body}.{b64(b'x' * 32)}"
        assert_invalid(client.get("/me", headers=bearer(forged)))
        assert_invalid(client.get("/me", headers=bearer(f"{deeper}.{body}.{b64(mac)}")))
        # Signed by the secret's holder, the deep (but parseable) header is just ignored.
        assert client.get("/me", headers=bearer(f"{header}.{body}.{b64(mac)}")).status_code == 200


def test_exp_is_optional_by_default_and_required_on_request(
    interface: str, jwks: JWKSServer
) -> None:
    clock = Clock()
    no_exp = SIGNER.token(exp=None)
    with TestClient(make_app(jwks_auth(jwks, clock)), interface) as client:
        assert client.get("/me", headers=bearer(no_exp)).status_code == 200  # today's rule
    strict = jwks_auth(jwks, clock, require_exp=True)
    with TestClient(make_app(strict), interface) as client:
        assert_invalid(client.get("/me", headers=bearer(no_exp)))
        assert client.get("/me", headers=bearer(SIGNER.token())).status_code == 200
    secret = b"s" * 32
    hmac_token = jwt.encode({"sub": "ada"}, secret, algorithm="HS256")
    for require, status in ((False, 200), (True, 401)):
        auth = JWTAuth(secret, algorithms=["HS256"], require_exp=require)
        with TestClient(make_app(auth), interface) as client:
            assert client.get("/me", headers=bearer(hmac_token)).status_code == status


def test_scopes_and_roles(interface: str, jwks: JWKSServer) -> None:
    clock = Clock()
    with TestClient(make_app(jwks_auth(jwks, clock)), interface) as client:

        def post(**claims: Any) -> Any:
            return client.post("/notes", headers=bearer(SIGNER.token(**claims)))

        assert post(scope="notes:read notes:write").json() == {"by": "ada"}
        assert post(scp=["notes:write"]).status_code == 200
        assert post(scopes=["notes:write"]).status_code == 200
        refused = post(scope="notes:read")
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="notes:write"'
        )
        assert "notes:write" in refused.json()["detail"]
        assert post(scope=["notes:write"]).status_code == 403  # scope must be a string
        assert post().status_code == 403
        assert client.post("/notes").status_code == 401  # no token: 401, not 403
        assert_invalid(client.post("/notes", headers=bearer("a.b.c")))
        both = SIGNER.token(scope="notes:write notes:admin")
        assert client.delete("/notes", headers=bearer(both)).status_code == 200
        one = SIGNER.token(scope="notes:write")
        assert client.delete("/notes", headers=bearer(one)).status_code == 403
        admin = client.get("/admin", headers=bearer(SIGNER.token(roles=["admin"])))
        assert admin.status_code == 200
        assert client.get("/admin", headers=bearer(SIGNER.token(roles="admin"))).status_code == 403


def test_tokens_from_a_cookie(interface: str, jwks: JWKSServer) -> None:
    auth = jwks_auth(jwks, Clock(), cookie="token")
    with TestClient(make_app(auth), interface) as client:
        r = client.get("/me", headers={"cookie": f"token={SIGNER.token()}"})
        assert r.status_code == 200


def test_bad_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        JWTAuth(b"k" * 32, jwks_url="https://id.example/jwks.json", algorithms=["RS256"])
    with pytest.raises(ValueError, match="not HMAC"):
        JWTAuth(jwks_url="https://id.example/jwks.json", algorithms=["HS256"])
    with pytest.raises(ValueError, match="http"):
        JWTAuth(jwks_url="file:///etc/passwd", algorithms=["RS256"])
    with pytest.raises(ValueError, match="needs a key"):
        JWTAuth(algorithms=["RS256"])
    auth = JWTAuth(jwks_url="https://id.example/jwks.json", algorithms=["RS256"])
    with pytest.raises(ValueError, match="non-empty word"):
        auth.requires("two words")
