"""``set_cookie`` sends only what RFC 6265 allows and refuses the rest at the call."""

from __future__ import annotations

import base64
import datetime
from urllib.parse import quote, unquote

import pytest

from orionis import Application, PlainTextResponse, Request, Response
from orionis.testing import TestClient


@pytest.mark.parametrize(
    "value",
    [
        "abc 123",  # the example
        "a;b",
        "a,b",
        'a"b',
        "a\\b",
        "caf\u00e9",
        "tab\there",
        "new\r\nSet-Cookie: evil=1",
        "nul\x00",
        "\x7f",
        '"unbalanced',
        'quoted"',
        '"in "side"',
    ],
)
def test_invalid_values_are_refused_with_a_way_out(value: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 6265.*urllib\.parse\.quote"):
        Response().set_cookie("sid", value)


@pytest.mark.parametrize(
    "key", ["", "a b", "a=b", "a;b", "a:b", "caf\u00e9", "a\r\nb", "(x)", "expires", "Path"]
)
def test_invalid_names_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="cookie name"):
        Response().set_cookie(key, "v")


def test_expires_cannot_smuggle_attributes() -> None:
    with pytest.raises(ValueError, match="cookie expires"):
        Response().set_cookie("sid", "x", expires="Thu, 01 Jan 2099 00:00:00 GMT; Domain=evil")
    with pytest.raises(ValueError, match="cookie expires"):
        Response().set_cookie("sid", "x", expires="x\r\nSet-Cookie: y=1")


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ValueError) as caught:
        Response().set_cookie("sid", "x " * 5000)
    assert len(str(caught.value)) < 400


def test_valid_values_are_sent_as_they_are(interface: str) -> None:
    token = base64.urlsafe_b64encode(bytes(range(40))).decode()  # has "=", "-", "_"
    std = base64.b64encode(b"\xfb\xff\xfe" * 5).decode()  # has "+", "/" and "="
    app = Application()

    @app.get("/set")
    async def set_them() -> Response:
        response = PlainTextResponse("ok")
        response.set_cookie("token", token)
        response.set_cookie("std", std)
        response.set_cookie("name", quote("abc 123; caf\u00e9"))
        response.set_cookie("quoted", '"abc"')
        response.set_cookie("empty", "")
        response.set_cookie("odd", "!#$%&'()*+-./:<=>?@[]^_`{|}~")
        expires = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
        response.set_cookie("when", "1", expires=expires)
        response.set_cookie("legacy", "1", expires="Thu, 01 Jan 2099 00:00:00 GMT")
        return response

    @app.get("/read")
    async def read(request: Request) -> dict[str, str]:
        return request.cookies

    with TestClient(app, interface) as client:
        r = client.get("/set")
        sent = r.headers.get_list("set-cookie")
        pairs = [c.split(";", 1)[0] for c in sent]
        assert pairs == [
            f"token={token}",
            f"std={std}",
            "name=abc%20123%3B%20caf%C3%A9",
            'quoted="abc"',
            'empty=""',
            "odd=!#$%&'()*+-./:<=>?@[]^_`{|}~",
            "when=1",
            "legacy=1",
        ]
        assert "expires=Thu, 01 Jan 2099 00:00:00 GMT" in sent[6]
        assert "expires=Thu, 01 Jan 2099 00:00:00 GMT" in sent[7]
        # what a browser sends back reads as what was set
        back = client.get("/read", headers={"cookie": "; ".join(pairs[:3])}).json()
    assert back["token"] == token and back["std"] == std
    assert unquote(back["name"]) == "abc 123; caf\u00e9"


def test_a_handler_setting_a_bad_cookie_gets_a_logged_500(interface: str) -> None:
    """The error surfaces at the call, in the handler: a clear server-side bug."""
    app = Application(debug=True)

    @app.get("/bad")
    async def bad() -> Response:
        response = PlainTextResponse("x")
        response.set_cookie("sid", "abc 123")
        return response

    with TestClient(app, interface, raise_server_exceptions=False) as client:
        r = client.get("/bad")
    assert r.status_code == 500
    assert "set-cookie" not in r.headers
    assert "urllib.parse.quote" in r.json()["exception"]
