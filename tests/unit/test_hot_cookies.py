"""``orionis._hot.cookies``: lenient ``Cookie`` header parsing (Starlette / ``http.cookies``).

Every test runs against the compiled twin and the interpreted one (``twin`` fixture).
"""

from __future__ import annotations

import http.cookies

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.twins import PROPERTY, other, outcome


def _reference(header: str) -> dict:
    """Starlette's ``cookie_parser``, which the docstring names as the model, except that a
    pair with a non-ASCII name or value is dropped on its own."""
    result = {}
    for chunk in header.split(";"):
        key, val = chunk.split("=", 1) if "=" in chunk else ("", chunk)
        key, val = key.strip(), val.strip()
        if (key or val) and key.isascii() and val.isascii():
            result[key] = http.cookies._unquote(val)
    return result


def test_twin_is_the_requested_module(cookies, twin):
    """The fixture really hands out two different modules."""
    expected = "orionis._hot.cookies_c" if twin == "compiled" else "orionis._hot.cookies"
    assert cookies.__name__ == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", {}),
        (";", {}),
        (";;", {}),
        (" ; ; ", {}),
        ("=", {}),
        ("a=1", {"a": "1"}),
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        ("  a = 1 ;\tb=2  ", {"a": "1", "b": "2"}),
        ("a=", {"a": ""}),
        ("a=b=c", {"a": "b=c"}),
        ("a=1;", {"a": "1"}),
        (";a=1", {"a": "1"}),
        ("a b=c d", {"a b": "c d"}),
    ],
)
def test_basic_pairs(cookies, header, expected):
    """Split on ``;``, first ``=`` separates name from value, whitespace stripped."""
    assert cookies.parse_cookie(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("flag", {"": "flag"}),
        ("a=1; flag", {"a": "1", "": "flag"}),
        ("=x", {"": "x"}),
        ("  =  x  ", {"": "x"}),
        ("one; two", {"": "two"}),
        ("=x; lone", {"": "lone"}),
    ],
)
def test_pair_without_name_goes_under_empty_key(cookies, header, expected):
    """No ``=`` (or nothing before it) means a value with an empty name, as in Starlette."""
    assert cookies.parse_cookie(header) == expected


def test_later_duplicates_win(cookies):
    """A repeated name keeps the last value, as ``http.cookies`` does."""
    assert cookies.parse_cookie("a=1; b=2; a=3") == {"a": "3", "b": "2"}
    assert list(cookies.parse_cookie("a=1; b=2; a=3")) == ["a", "b"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=%20x", "%20x"),
        ("a=%E2%82%AC", "%E2%82%AC"),
        ("a=x+y", "x+y"),
    ],
)
def test_values_are_not_percent_decoded(cookies, header, expected):
    """Cookie values are opaque: no percent- or plus-decoding."""
    assert cookies.parse_cookie(header) == {"a": expected}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"hello world"', "hello world"),
        ('""', ""),
        ('"', '"'),  # a lone quote is not a quoted string
        ('"abc', '"abc'),
        ('abc"', 'abc"'),
        ('a"b"', 'a"b"'),
        ('"a"b"', 'a"b'),
        (r'"x\"y"', 'x"y'),
        (r'"x\\y"', "x\\y"),
        (r'"\q"', "q"),  # any other escaped character stands for itself
        (r'"abc\"', "abc\\"),  # trailing lone backslash is kept
        (r'"\101\102"', "AB"),
        (r'"\012"', "\n"),
        (r'"\000"', "\x00"),
        (r'"\377"', "\xff"),
        (r'"\400"', "400"),  # first digit must be 0-3
        (r'"\08"', "08"),  # 8 is not an octal digit
        (r'"\01"', "01"),  # needs three digits
        (r'"\0123"', "\n3"),
        (r'"\\101"', "\\101"),  # an escaped backslash does not start an octal escape
        (r'"\"\101\""', '"A"'),
    ],
)
def test_quoted_values_unquoted_like_http_cookies(cookies, value, expected):
    """Double-quoted values lose their quotes; ``\\"``, ``\\\\`` and ``\\ooo`` are decoded."""
    assert cookies.parse_cookie("k=" + value) == {"k": expected}
    assert http.cookies._unquote(value) == expected  # the reference agrees


def test_quoted_value_is_still_split_on_semicolon(cookies):
    """The split on ``;`` ignores quotes, as Starlette's lenient parser does."""
    assert cookies.parse_cookie('a="x;y"; b=1') == {"a": '"x', "": 'y"', "b": "1"}


def test_backslash_before_newline_kept_like_http_cookies(cookies):
    """Like ``http.cookies``, a backslash before a newline is kept (its escape pattern is
    ``[\\\\].`` and ``.`` does not match ``\\n``). Unreachable over HTTP, where a header
    value cannot carry LF, but it is the documented rule."""
    value = '"a\\\nb"'
    assert http.cookies._unquote(value) == "a\\\nb"
    assert cookies.parse_cookie("k=" + value) == {"k": "a\\\nb"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=caf\xe9; c=3", {"a": "1", "c": "3"}),  # Latin-1 bytes, as ASGI passes them
        ("a=1; b=caf\xc3\xa9; c=3", {"a": "1", "c": "3"}),  # UTF-8 bytes read as Latin-1
        ("a=1; b=café; c=3", {"a": "1", "c": "3"}),
        ("\xe9=1; a=2", {"a": "2"}),  # non-ASCII name
        ('a="caf\xe9"; b=2', {"b": "2"}),  # inside quotes too
        ('a="caf\\351"; b=2', {"a": "caf\xe9", "b": "2"}),  # an ASCII octal escape is fine
        ("sid=abc; tracker=\U0001f36a; theme=dark", {"sid": "abc", "theme": "dark"}),
        ("\u20ac", {}),
        ("a=1; a=\xe9", {"a": "1"}),  # a bad duplicate does not overwrite a good one
    ],
)
def test_non_ascii_pair_is_dropped_alone(cookies, header, expected):
    """One non-ASCII cookie costs only itself, not every cookie of the request."""
    assert cookies.parse_cookie(header) == expected


# -- properties ------------------------------------------------------------------------------

_COOKIE_TEXT = st.lists(
    st.one_of(
        st.text(),
        st.sampled_from(['"', "\\", ";", "=", " ", "\\101", "\\400", "\\", '"\\"']),
    ),
    max_size=10,
).map("".join)

# What a header value can hold on the wire: TAB, visible ASCII and space, obs-text.
_HEADER_CHARS = st.one_of(
    st.sampled_from("\t"),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x80, max_codepoint=0xFF),
)
_HEADER_TEXT = st.lists(
    st.one_of(
        st.text(_HEADER_CHARS),
        st.sampled_from(['"', "\\", ";", "=", " ", "\\101", "\\377", '\\"']),
    ),
    max_size=10,
).map("".join)


@PROPERTY
@given(header=_COOKIE_TEXT)
def test_twins_agree_on_parse_cookie(cookies, twin, header):
    """Compiled and interpreted ``parse_cookie`` give the same answer for any text."""
    assert outcome(cookies.parse_cookie, header) == outcome(
        other("cookies", twin).parse_cookie, header
    )


@PROPERTY
@given(header=_HEADER_TEXT)
def test_parse_cookie_matches_starlette_on_header_text(cookies, header):
    """For anything a header value can carry, the result is Starlette's ``cookie_parser``."""
    assert cookies.parse_cookie(header) == _reference(header)
