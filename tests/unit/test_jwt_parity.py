"""Orionis verifies HMAC JWTs itself (PyJWT's pure-Python base64 checks cost most of a
request); this pins that it accepts exactly what PyJWT accepts, with the same claims.

Generated tokens vary every claim PyJWT checks (exp, nbf, iat as numbers, numeric strings
and junk; iss and aud right, wrong, missing and of the wrong type; sub and jti types), the
header (alg HS256/384/512, none, RS256; kid of both types; typ), the key, and mutate the
token text (flipped characters, padding, extra segments, whitespace, non-ASCII). The only
allowed difference: Orionis also refuses tokens with a ``crit`` or ``b64`` header (it
supports no JWS extensions), which PyJWT may accept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orionis.security import JWTAuth

KEY = "parity-secret-key-" + "k" * 46  # 64 bytes: long enough for HS512
HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}

CONFIGS = [
    {},
    {"issuer": "https://id.example"},
    {"audience": "shop"},
    {"audience": ["shop", "admin"], "issuer": "https://id.example", "leeway": 30},
]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Perturbations of a token that is valid for its configuration: (place, key, value).
# DROP removes the entry.
DROP = object()


class Since(int):
    """A time claim given relative to now, resolved when each token is built: the suite may
    run for minutes after import, and a token must mean the same thing whenever it runs."""

    def at(self, now: int) -> int:
        return now + int(self)


PERTURBATIONS = [
    ("claims", "exp", Since(-5000)),
    ("claims", "exp", Since(-10)),  # expired unless the leeway covers it
    ("claims", "exp", ("str", Since(5000))),  # PyJWT accepts numeric strings
    ("claims", "exp", "soon"),
    ("claims", "exp", 1.5e9),
    ("claims", "exp", True),
    ("claims", "exp", [1]),
    ("claims", "nbf", Since(5000)),
    ("claims", "nbf", Since(10)),
    ("claims", "nbf", Since(-100)),
    ("claims", "iat", Since(5000)),
    ("claims", "iat", Since(-100)),
    ("claims", "iat", "x"),
    ("claims", "iss", "https://evil.example"),
    ("claims", "iss", 7),
    ("claims", "iss", DROP),
    ("claims", "aud", "other"),
    ("claims", "aud", ["x", "admin"]),
    ("claims", "aud", []),
    ("claims", "aud", ""),
    ("claims", "aud", [1]),
    ("claims", "aud", DROP),
    ("claims", "sub", 42),
    ("claims", "jti", ["a"]),
    ("claims", "jti", "id-1"),
    ("header", "alg", "HS384"),
    ("header", "alg", "HS512"),
    ("header", "alg", "none"),
    ("header", "alg", "RS256"),
    ("header", "kid", "k1"),
    ("header", "kid", 5),
    ("header", "crit", ["exp"]),
    ("header", "typ", DROP),
    ("key", "key", "another-key-" + "x" * 52),
    ("text", "flip", None),
    ("text", "padding", None),
    ("text", "stray-bits", None),
    ("text", "triple-padding", None),
    ("text", "extra", None),
    ("text", "space", None),
    ("text", "non-ascii", None),
    ("text", "no-signature", None),
]


@st.composite
def tokens(draw: st.DrawFn, config: dict[str, Any]) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "user-1", "exp": now + 5000}
    if "issuer" in config:
        claims["iss"] = config["issuer"]
    audience = config.get("audience")
    if audience is not None:
        claims["aud"] = audience if isinstance(audience, str) else audience[-1]
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    key = KEY
    text_changes = []
    for place, name, value in draw(st.lists(st.sampled_from(PERTURBATIONS), max_size=3)):
        if place == "key":
            key = value
        elif place == "text":
            text_changes.append(name)
        else:
            target = claims if place == "claims" else header
            if value is DROP:
                target.pop(name, None)
            elif isinstance(value, Since):
                target[name] = value.at(now)
            elif isinstance(value, tuple):  # ("str", Since(n)): a numeric string
                target[name] = str(value[1].at(now))
            else:
                target[name] = value
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    hash_ = HASHES.get(header["alg"], hashlib.sha256)
    signature = b64(hmac.new(key.encode(), f"{head}.{body}".encode(), hash_).digest())
    token = f"{head}.{body}.{signature}"
    for change in text_changes:
        if change == "flip":
            position = draw(st.integers(0, len(token) - 1))
            swap = "A" if token[position] != "A" else "B"
            token = token[:position] + swap + token[position + 1 :]
        elif change == "padding":
            token += "=="
        elif change == "triple-padding":
            token += "==="
        elif change == "stray-bits":  # same bytes, different last character
            last = token[-1]
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            if last in alphabet:
                token = token[:-1] + alphabet[(alphabet.index(last) + 1) % 64]
        elif change == "extra":
            token += ".extra"
        elif change == "space":
            token = token.replace(".", ". ", 1)
        elif change == "non-ascii":
            token = "\u00e9" + token
        else:
            token = token.rsplit(".", 1)[0] + "."
    return token


def pyjwt_outcome(token: str, config: dict[str, Any]) -> tuple[str, Any]:
    options = {
        "require": (["iss"] if "issuer" in config else [])
        + (["aud"] if "audience" in config else [])
    }
    try:
        claims = jwt.decode(
            token,
            KEY,
            algorithms=["HS256", "HS384", "HS512"],
            issuer=config.get("issuer"),
            audience=config.get("audience"),
            leeway=config.get("leeway", 0),
            options=options,
        )
    except Exception:
        return ("refused", None)
    return ("ok", claims)


def orionis_outcome(token: str, auth: JWTAuth) -> tuple[str, Any]:
    try:
        return ("ok", auth.verify_hmac(token))
    except Exception:
        return ("refused", None)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(sorted(c)) or "plain")
def test_fast_hmac_verification_matches_pyjwt(config: dict[str, Any]) -> None:
    auth = JWTAuth(KEY, algorithms=["HS256", "HS384", "HS512"], **config)
    seen: set[str] = set()

    @settings(max_examples=400, deadline=None, database=None)
    @given(token=tokens(config))
    def check(token: str) -> None:
        compare(token, auth, config)
        seen.add(orionis_outcome(token, auth)[0])

    check()
    assert seen == {"ok", "refused"}  # both outcomes were exercised


def compare(token: str, auth: JWTAuth, config: dict[str, Any]) -> None:
    mine = orionis_outcome(token, auth)
    reference = pyjwt_outcome(token, config)
    if mine != reference:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))
        assert mine[0] == "refused" and ("crit" in header or "b64" in header), (
            token,
            mine,
            reference,
        )


def test_fast_path_accepts_a_real_token() -> None:
    auth = JWTAuth(KEY, issuer="https://id.example", audience="shop")
    token = jwt.encode(
        {"sub": "u", "iss": "https://id.example", "aud": ["shop"], "exp": int(time.time()) + 600},
        KEY,
        "HS384",
    )
    with pytest.raises(Exception, match="algorithm not allowed"):  # HS256 only by default
        auth.verify_hmac(token)
    auth = JWTAuth(KEY, algorithms=["HS384"], issuer="https://id.example", audience="shop")
    assert auth.verify_hmac(token)["sub"] == "u"
