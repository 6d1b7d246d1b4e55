"""``orionis._hot.headers``: header mappings, status and header validation, byte conversion.

Every test runs against the compiled twin and the interpreted one (``twin`` fixture).
"""

from __future__ import annotations

import enum
import http

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.twins import PROPERTY, other

TOKEN_SPECIALS = "!#$%&'*+-.^_`|~"


def test_twin_is_the_requested_module(headers, twin):
    """The fixture really hands out two different modules."""
    expected = "orionis._hot.headers_c" if twin == "compiled" else "orionis._hot.headers"
    assert headers.__name__ == expected


# -- Headers ---------------------------------------------------------------------------------


def _sample(headers):
    return headers.Headers(
        [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")]
    )


def test_headers_lower_cases_names_and_keeps_repeats(headers):
    """Names are stored lower-case; repeats stay in order in every view."""
    h = _sample(headers)
    assert h.raw == [("content-type", "text/plain"), ("set-cookie", "a=1"), ("set-cookie", "b=2")]
    assert h.keys() == ["content-type", "set-cookie", "set-cookie"]
    assert h.values() == ["text/plain", "a=1", "b=2"]
    assert h.items() == [
        ("content-type", "text/plain"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert list(h) == ["content-type", "set-cookie", "set-cookie"]
    assert len(h) == 3


def test_headers_lookup_is_case_insensitive(headers):
    """``get`` and ``[]`` give the first value, ``getlist`` all of them, any case."""
    h = _sample(headers)
    assert h.get("SET-COOKIE") == "a=1"
    assert h["Set-Cookie"] == "a=1"
    assert h.getlist("set-COOKIE") == ["a=1", "b=2"]
    assert h.getlist("missing") == []
    assert h.get("missing") is None
    assert h.get("missing", "fallback") == "fallback"
    assert "CONTENT-type" in h
    assert "content-length" not in h


def test_headers_missing_key_raises_keyerror_with_the_key(headers):
    """``h[missing]`` raises ``KeyError`` carrying the key as given."""
    with pytest.raises(KeyError) as info:
        _sample(headers)["X-Missing"]
    assert info.value.args == ("X-Missing",)


def test_headers_contains_non_str_is_false(headers):
    """Membership of a non-str is simply False, not an error."""
    h = _sample(headers)
    assert 1 not in h
    assert None not in h
    assert b"content-type" not in h


def test_headers_empty_and_from_mapping(headers):
    """No argument gives an empty mapping; a dict is accepted and lower-cased."""
    empty = headers.Headers()
    assert len(empty) == 0
    assert empty.raw == []
    assert headers.Headers(None).raw == []
    assert headers.Headers({"X-A": "1", "x-b": "2"}).raw == [("x-a", "1"), ("x-b", "2")]


def test_headers_copy_from_headers_is_independent(headers):
    """Building from another ``Headers`` copies its list."""
    source = headers.MutableHeaders([("a", "1")])
    copy = headers.Headers(source)
    source["a"] = "2"
    assert copy.raw == [("a", "1")]
    assert copy.raw is not source.raw


@pytest.mark.parametrize("bad", [[("a", 1)], [(b"a", "1")], [("a", b"1")], [("a", None)], {"a": 1}])
def test_headers_refuses_non_str_pairs(headers, bad):
    """Names and values must both be ``str``."""
    with pytest.raises(TypeError):
        headers.Headers(bad)


def test_headers_equality_ignores_order_but_not_content(headers):
    """Equal when they hold the same pairs in any order; never equal to a non-Headers."""
    a = headers.Headers([("a", "1"), ("b", "2")])
    assert a == headers.Headers([("B", "2"), ("A", "1")])
    assert a != headers.Headers([("a", "1")])
    assert a != headers.Headers([("a", "1"), ("b", "3")])
    assert a != [("a", "1"), ("b", "2")]


def test_headers_is_read_only(headers):
    """The plain ``Headers`` view supports no assignment, deletion or append."""
    h = _sample(headers)
    with pytest.raises(TypeError):
        h["x"] = "1"
    with pytest.raises(TypeError):
        del h["content-type"]
    assert not hasattr(h, "append")
    assert len(h) == 3


# -- MutableHeaders --------------------------------------------------------------------------


def test_setitem_keeps_first_position_and_drops_repeats(headers):
    """Setting a repeated name replaces it in place of its first occurrence."""
    h = headers.MutableHeaders([("a", "1"), ("b", "2"), ("A", "3"), ("c", "4"), ("a", "5")])
    h["A"] = "new"
    assert h.raw == [("a", "new"), ("b", "2"), ("c", "4")]


def test_setitem_new_name_appends_lower_cased(headers):
    """A new name goes at the end, lower-cased."""
    h = headers.MutableHeaders([("a", "1")])
    h["X-New"] = "v"
    assert h.raw == [("a", "1"), ("x-new", "v")]


def test_delitem_removes_every_value_and_ignores_absent(headers):
    """``del`` removes all values of a name; an absent name is not an error."""
    h = headers.MutableHeaders([("a", "1"), ("b", "2"), ("a", "3")])
    del h["A"]
    assert h.raw == [("b", "2")]
    del h["missing"]
    assert h.raw == [("b", "2")]


def test_append_adds_repeats(headers):
    """``append`` never touches existing values."""
    h = headers.MutableHeaders([("set-cookie", "a=1")])
    h.append("Set-Cookie", "b=2")
    assert h.getlist("set-cookie") == ["a=1", "b=2"]
    assert h.raw == [("set-cookie", "a=1"), ("set-cookie", "b=2")]


def test_setdefault(headers):
    """``setdefault`` returns an existing first value untouched, or appends the default."""
    h = headers.MutableHeaders([("a", "1"), ("a", "2"), ("e", "")])
    assert h.setdefault("A", "x") == "1"
    assert h.setdefault("e", "x") == ""  # an empty value still counts as present
    assert h.setdefault("B", "y") == "y"
    assert h.raw == [("a", "1"), ("a", "2"), ("e", ""), ("b", "y")]


def test_update_sets_each_name(headers):
    """``update`` accepts a mapping or pairs and behaves like repeated ``[]=``."""
    h = headers.MutableHeaders([("a", "1"), ("b", "2"), ("a", "3")])
    h.update({"A": "9", "C": "7"})
    assert h.raw == [("a", "9"), ("b", "2"), ("c", "7")]
    h.update([("b", "x"), ("b", "y")])
    assert h.raw == [("a", "9"), ("b", "y"), ("c", "7")]


@pytest.mark.parametrize(("key", "value"), [("a", 1), (1, "a"), ("a", None), (b"a", "1")])
def test_mutable_refuses_non_str(headers, key, value):
    """``[]=`` and ``append`` refuse non-str names or values."""
    h = headers.MutableHeaders()
    with pytest.raises(TypeError):
        h[key] = value
    with pytest.raises(TypeError):
        h.append(key, value)
    assert h.raw == []


# -- wrap_headers ----------------------------------------------------------------------------


def test_wrap_headers_shares_the_list(headers):
    """``wrap_headers`` does not copy: the list is the view's storage."""
    raw = [("a", "1")]
    view = headers.wrap_headers(raw, False)
    assert type(view) is headers.Headers
    assert view.raw is raw
    raw.append(("b", "2"))
    assert view["b"] == "2"


def test_wrap_headers_mutable_writes_through(headers):
    """Edits on a mutable wrapper change the caller's list object in place."""
    raw = [("a", "1"), ("b", "2"), ("a", "3")]
    view = headers.wrap_headers(raw, True)
    assert type(view) is headers.MutableHeaders
    view["a"] = "x"
    view.append("c", "4")
    del view["b"]
    assert view.raw is raw
    assert raw == [("a", "x"), ("c", "4")]


# -- check_status ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 301, 404, 418, 500, 599])
def test_check_status_accepts_final_codes(headers, status):
    """200-599 come back unchanged as ``int``."""
    result = headers.check_status(status)
    assert result == status
    assert type(result) is int


@pytest.mark.parametrize(
    "status",
    [
        0,
        100,
        101,
        103,
        199,
        600,
        999,
        1000,
        -200,
        2**64,
        2**200,
        True,
        False,
        200.0,
        "200",
        b"200",
        None,
        [200],
    ],
)
def test_check_status_refuses_everything_else(headers, status):
    """1xx, out-of-range ints, bools, floats and strings raise ``ValueError``."""
    with pytest.raises(ValueError, match="not a valid final HTTP status"):
        headers.check_status(status)


class _Custom(enum.IntEnum):
    TEAPOT = 418
    EARLY = 103


def test_check_status_accepts_intenum_as_plain_int(headers):
    """``HTTPStatus`` and other ``IntEnum`` members are accepted and returned as ``int``."""
    for status, expected in [
        (http.HTTPStatus.OK, 200),
        (http.HTTPStatus.NOT_FOUND, 404),
        (_Custom.TEAPOT, 418),
    ]:
        result = headers.check_status(status)
        assert result == expected
        assert type(result) is int
    with pytest.raises(ValueError):
        headers.check_status(http.HTTPStatus.CONTINUE)
    with pytest.raises(ValueError):
        headers.check_status(_Custom.EARLY)


# -- clean_headers ---------------------------------------------------------------------------


def test_clean_headers_returns_same_list_when_nothing_changes(headers):
    """Valid lower-case headers come back as the very same list object."""
    raw = [("content-type", "text/plain"), ("x-a", "1"), ("content-length", "3")]
    assert headers.clean_headers(raw, True) is raw
    assert raw == [("content-type", "text/plain"), ("x-a", "1"), ("content-length", "3")]
    empty: list = []
    assert headers.clean_headers(empty, False) is empty


def test_clean_headers_lower_cases_into_a_new_list(headers):
    """Upper-case names are lower-cased in a copy; the input list is left alone."""
    raw = [("x-a", "1"), ("X-B", "2"), ("x-c", "3")]
    result = headers.clean_headers(raw, False)
    assert result == [("x-a", "1"), ("x-b", "2"), ("x-c", "3")]
    assert result is not raw
    assert raw == [("x-a", "1"), ("X-B", "2"), ("x-c", "3")]


@pytest.mark.parametrize("name", ["transfer-encoding", "Transfer-Encoding", "TRANSFER-ENCODING"])
def test_clean_headers_always_drops_transfer_encoding(headers, name):
    """``transfer-encoding`` is dropped whatever ``keep_length`` says."""
    raw = [("a", "1"), (name, "chunked"), ("b", "2")]
    for keep in (True, False):
        assert headers.clean_headers(raw, keep) == [("a", "1"), ("b", "2")]
    assert raw == [("a", "1"), (name, "chunked"), ("b", "2")]


@pytest.mark.parametrize("name", ["content-length", "Content-Length"])
def test_clean_headers_drops_content_length_unless_kept(headers, name):
    """``content-length`` goes unless ``keep_length``; when kept, it is lower-cased."""
    raw = [(name, "10"), ("a", "1")]
    assert headers.clean_headers(raw, False) == [("a", "1")]
    assert headers.clean_headers(raw, True) == [("content-length", "10"), ("a", "1")]


@pytest.mark.parametrize(
    "item",
    [
        ["a", "1"],
        ("a",),
        ("a", "1", "2"),
        (b"a", b"1"),
        ("a", 1),
        (1, "a"),
        ("a", None),
        None,
        "a: 1",
    ],
)
def test_clean_headers_refuses_non_pairs(headers, item):
    """Anything but a ``(str, str)`` tuple raises ``ValueError``."""
    with pytest.raises(ValueError):
        headers.clean_headers([("ok", "1"), item], True)


class _Str(str):
    pass


class _Pair(tuple):
    pass


def test_clean_headers_refuses_subclasses(headers):
    """Exact ``tuple`` and ``str`` only: servers get plain objects."""
    with pytest.raises(ValueError):
        headers.clean_headers([(_Str("a"), "1")], True)
    with pytest.raises(ValueError):
        headers.clean_headers([("a", _Str("1"))], True)
    with pytest.raises(ValueError):
        headers.clean_headers([_Pair(("a", "1"))], True)


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "x y",
        " x",
        "x ",
        "x:y",
        "x:",
        "x\t",
        "x\r",
        "x\n",
        "x\x00",
        "x\x7f",
        "é",
        "x\xff",
        "x\u0100",
        "(x)",
        "x,y",
        "x;y",
        "x=y",
        'x"',
        "x/y",
        "x@y",
        "[x]",
        "{x}",
        "x?",
        "x\\y",
    ],
)
def test_clean_headers_refuses_invalid_names(headers, name):
    """Names must be RFC 9110 tokens: no spaces, colons, separators, controls or non-ASCII."""
    with pytest.raises(ValueError, match="invalid header name"):
        headers.clean_headers([(name, "v")], True)


def test_clean_headers_accepts_every_token_character(headers):
    """Every token special and alphanumeric is a valid name character."""
    name = TOKEN_SPECIALS + "0123456789abcdefghijklmnopqrstuvwxyz"
    raw = [(name, "v"), ("X" + TOKEN_SPECIALS, "w")]
    assert headers.clean_headers(raw, True) == [(name, "v"), ("x" + TOKEN_SPECIALS, "w")]


@pytest.mark.parametrize(
    "value",
    [
        "a\rb",
        "a\nb",
        "\r\n",
        "a\x00",
        "\x01",
        "\x1f",
        "\x0b",
        "\x0c",
        "a\x7f",
        "\x80",
        "\xa0",
        "\xff",
        "caf\xe9",
        "\u0100",
        "€",
        "\ud800",
        "\U0001f600",
    ],
)
def test_clean_headers_refuses_bad_values(headers, value):
    """CR, LF, NUL, other controls, DEL and anything non-ASCII (obs-text too) are refused."""
    with pytest.raises(ValueError, match="'x-bad'"):
        headers.clean_headers([("ok", "1"), ("x-bad", value)], True)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a",
        "a\tb",
        "a \t b",
        "x" + "".join(map(chr, range(0x20, 0x7F))),
    ],
)
def test_clean_headers_accepts_good_values(headers, value):
    """Visible ASCII, with TAB and SP inside the value, is allowed as it is."""
    raw = [("x", value)]
    assert headers.clean_headers(raw, True) is raw


@pytest.mark.parametrize(
    "value", [" ", "\t", " a", "a ", "\ta", "a\t", " padded ", "a b ", "\t \t", "  x"]
)
def test_clean_headers_refuses_leading_and_trailing_whitespace(headers, value):
    """RFC 9110 5.5: no SP or HTAB at either end of a value (h11 drops the connection)."""
    with pytest.raises(ValueError, match="'x-pad' has a value with leading or trailing"):
        headers.clean_headers([("ok", "1"), ("x-pad", value)], True)


HOP_BY_HOP = ["connection", "transfer-encoding", "te", "upgrade", "keep-alive", "proxy-connection"]


@pytest.mark.parametrize("name", [*HOP_BY_HOP, "Connection", "KEEP-ALIVE", "Upgrade", "TE"])
def test_clean_headers_drops_hop_by_hop_headers(headers, name):
    """Connection-specific headers set by user code are dropped (they reset HTTP/2 streams)."""
    raw = [("a", "1"), (name, "close"), ("b", "2"), (name, "x")]
    for keep in (True, False):
        assert headers.clean_headers(raw, keep) == [("a", "1"), ("b", "2")]
    assert headers.clean_headers([(name, "v")], True) == []
    assert raw == [("a", "1"), (name, "close"), ("b", "2"), (name, "x")]


@pytest.mark.parametrize(
    "name", ["connections", "x-connection", "tea", "upgrade-insecure-requests"]
)
def test_clean_headers_keeps_names_that_only_look_hop_by_hop(headers, name):
    raw = [(name, "1")]
    assert headers.clean_headers(raw, True) is raw


def test_clean_headers_names_the_first_bad_header(headers):
    """The error is about the first offending pair."""
    with pytest.raises(ValueError, match="'first'"):
        headers.clean_headers([("ok", "1"), ("first", "\n"), ("second", "\n")], True)
    with pytest.raises(ValueError, match="'bad name'"):
        headers.clean_headers([("ok", "1"), ("bad name", "1"), ("second", "\n")], True)


# -- encode_headers / decode_headers --------------------------------------------------------


def test_encode_headers_to_latin1_bytes(headers):
    """``(str, str)`` pairs become Latin-1 ``(bytes, bytes)`` pairs, order kept."""
    raw = [("content-type", "text/plain"), ("x-caf\xe9", "\xe9\xff"), ("x", "")]
    assert headers.encode_headers(raw) == [
        (b"content-type", b"text/plain"),
        (b"x-caf\xe9", b"\xe9\xff"),
        (b"x", b""),
    ]
    assert headers.encode_headers([]) == []


def test_encode_with_length_appends_the_length_once(headers):
    """The ASGI start headers of an in-memory body: encoded as encode_headers does, plus
    ``content-length`` when a length (>= 0) is given, nothing when it is -1."""
    raw = [("content-type", "text/plain"), ("x-caf\xe9", "\xe9")]
    encoded = headers.encode_headers(raw)
    assert headers.encode_with_length(raw, 12) == [*encoded, (b"content-length", b"12")]
    assert headers.encode_with_length(raw, 0) == [*encoded, (b"content-length", b"0")]
    assert headers.encode_with_length(raw, -1) == encoded
    assert headers.encode_with_length([], 5) == [(b"content-length", b"5")]
    with pytest.raises(UnicodeEncodeError):
        headers.encode_with_length([("x", "\u0100")], 1)


def test_encode_headers_refuses_non_latin1(headers):
    """A character outside Latin-1 cannot be encoded."""
    with pytest.raises(UnicodeEncodeError):
        headers.encode_headers([("x", "\u0100")])


def test_decode_headers_lower_cases_names(headers):
    """Request header names are lower-cased, ASCII values kept as they are, and values with
    non-ASCII bytes dropped (as Granian's RSGI side drops them)."""
    raw = [
        (b"Content-Type", b"Text/Plain"),
        (b"X-A", b"\xe9\xff"),
        (b"X-Utf8", "caf\u00e9".encode()),
        (b"HOST", b""),
    ]
    assert headers.decode_headers(raw) == [("content-type", "Text/Plain"), ("host", "")]


def test_decode_headers_keeps_non_ascii_cookie_values(headers):
    """``cookie`` holds independent pairs: kept as Latin-1 so the parser drops only the bad."""
    raw = [
        (b"cookie", b"a=1; b=caf\xe9; c=3"),
        (b"Cookie", "d=caf\u00e9".encode()),
        (b"x-cookie", b"\xe9"),
        (b"cookies", b"\xe9"),
    ]
    assert headers.decode_headers(raw) == [
        ("cookie", "a=1; b=caf\xe9; c=3"),
        ("cookie", "d=caf\xc3\xa9"),
    ]


def test_encode_decode_round_trip(headers):
    """Decoding what was encoded gives the (lower-case) pairs back."""
    raw = [("a", "1"), ("b", "\x7e \t x")]
    assert headers.decode_headers(headers.encode_headers(raw)) == raw


# -- properties ------------------------------------------------------------------------------

_NAMES = st.one_of(
    st.text(max_size=8),
    st.text(alphabet=TOKEN_SPECIALS + "abcXYZ019", min_size=1, max_size=8),
    st.sampled_from(["Content-Length", "content-length", "Transfer-Encoding", "X-A", "x-a"]),
    st.sampled_from([*HOP_BY_HOP, "Connection", "Keep-Alive", "tea"]),
)
_VALUES = st.one_of(
    st.text(max_size=8),
    st.text(alphabet=" \tab", max_size=4),
    st.text(alphabet=st.characters(max_codepoint=0x1FF), max_size=8),
)


def _cleanoutcome(module, pairs: list, keep: bool):
    raw = list(pairs)
    try:
        result = module.clean_headers(raw, keep)
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return ("ok", result, result is raw)


@PROPERTY
@given(pairs=st.lists(st.tuples(_NAMES, _VALUES), max_size=5), keep=st.booleans())
def test_twins_agree_on_clean_headers(headers, twin, pairs, keep):
    """Compiled and interpreted ``clean_headers`` agree: result, identity, or error."""
    assert _cleanoutcome(headers, pairs, keep) == _cleanoutcome(other("headers", twin), pairs, keep)
