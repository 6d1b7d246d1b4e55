"""``orionis._hot.urls``: percent-decoding and WHATWG urlencoded query parsing.

Every test runs against the compiled twin and the interpreted one (``twin`` fixture).
"""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.twins import PROPERTY, other, outcome


def test_twin_is_the_requested_module(urls, twin):
    """The fixture really hands out two different modules."""
    expected = "orionis._hot.urls_c" if twin == "compiled" else "orionis._hot.urls"
    assert urls.__name__ == expected


# -- unquote ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("abc", "abc"),
        ("%41", "A"),
        ("%41%42c", "ABc"),
        ("%00", "\x00"),
        ("%2F", "/"),
        ("%2f", "/"),
        ("%C3%A9", "é"),
        ("%E2%82%AC", "€"),  # one character split over three escapes
        ("%e2%82%ac", "€"),  # lower-case hex
        ("x%E2%82%ACy", "x€y"),
        ("%F0%9F%98%80", "\U0001f600"),
    ],
)
def test_unquote_decodes_escapes_as_utf8(urls, raw, expected):
    """``%XX`` runs are bytes decoded together as UTF-8."""
    assert urls.unquote(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("%", "%"),
        ("a%", "a%"),
        ("%4", "%4"),
        ("a%4", "a%4"),
        ("%zz", "%zz"),
        ("%4g", "%4g"),
        ("%g4", "%g4"),
        ("%%41", "%A"),
        ("100%", "100%"),
        ("%%", "%%"),
        ("%41%", "A%"),
        ("%41%4", "A%4"),
    ],
)
def test_unquote_keeps_malformed_escapes_literally(urls, raw, expected):
    """A truncated or non-hex escape is kept as written, never rejected."""
    assert urls.unquote(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("%FF", "\ufffd"),
        ("%E2%82", "\ufffd"),  # truncated 3-byte sequence: one replacement character
        ("%E2%82x", "\ufffdx"),
        ("%E2a%82", "\ufffda\ufffd"),  # a literal between escapes ends the byte run
        ("%E2%82%AC%AC", "€\ufffd"),
        ("%C0%AF", "\ufffd\ufffd"),  # overlong encoding is refused
        ("%ED%A0%80", "\ufffd\ufffd\ufffd"),  # encoded surrogate is refused
    ],
)
def test_unquote_replaces_invalid_utf8(urls, raw, expected):
    """Invalid UTF-8 becomes U+FFFD, exactly as ``bytes.decode(errors="replace")``."""
    assert urls.unquote(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("é%41", "éA"),
        ("%41é", "Aé"),
        ("€%E2%82%AC€", "€€€"),
        ("ü%E2%82%ACü%41ü", "ü€üAü"),
        ("%E2€", "\ufffd€"),  # a pending lead byte cannot swallow a literal character
        ("%C3é%A9", "\ufffdé\ufffd"),
    ],
)
def test_unquote_mixes_literal_non_ascii_with_escapes(urls, raw, expected):
    """Literal non-ASCII characters pass through and keep their place between escapes."""
    assert urls.unquote(raw) == expected


@pytest.mark.parametrize(
    ("raw", "plain", "form"),
    [
        ("a+b", "a+b", "a b"),
        ("+", "+", " "),
        ("++", "++", "  "),
        ("%2B", "+", "+"),
        ("%2b", "+", "+"),
        ("a+%2B+b", "a+++b", "a + b"),
        ("%41+%42", "A+B", "A B"),
        ("%20", " ", " "),
        ("%+", "%+", "% "),
    ],
)
def test_unquote_plus_only_with_form_flag(urls, raw, plain, form):
    """A literal ``+`` is a space only with ``plus=True``; ``%2B`` is always ``+``."""
    assert urls.unquote(raw) == plain
    assert urls.unquote(raw, False) == plain
    assert urls.unquote(raw, True) == form


# -- parse_query -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("", []),
        ("a=1", [("a", "1")]),
        ("a=1&b=2", [("a", "1"), ("b", "2")]),
        ("a=1&a=2", [("a", "1"), ("a", "2")]),
        ("b=2&a=1", [("b", "2"), ("a", "1")]),
        ("a", [("a", "")]),
        ("a=", [("a", "")]),
        ("=x", [("", "x")]),
        ("=", [("", "")]),
        ("a&&b", [("a", ""), ("b", "")]),
        ("&", []),
        ("&&&", []),
        ("&a=1", [("a", "1")]),
        ("a=1&", [("a", "1")]),
        ("a=1&b&&c=", [("a", "1"), ("b", ""), ("c", "")]),
        ("a=b=c", [("a", "b=c")]),
        ("a=1;b=2", [("a", "1;b=2")]),  # only & separates pairs
        ("a+b=c+d", [("a b", "c d")]),
        ("a%2Bb=c%2Bd", [("a+b", "c+d")]),
        ("k=%26%3D", [("k", "&=")]),  # escaped separators do not split
        ("k%3D1=v", [("k=1", "v")]),
        ("q=%E2%82%AC", [("q", "€")]),
        ("q=%E2%82", [("q", "\ufffd")]),
        ("q=%", [("q", "%")]),
        ("q=%4&r=%zz", [("q", "%4"), ("r", "%zz")]),
        ("é=ü%41", [("é", "üA")]),
        ("%=%", [("%", "%")]),
    ],
)
def test_parse_query(urls, qs, expected):
    """WHATWG urlencoded: split on ``&``, blanks kept, empty pairs skipped, order kept."""
    assert urls.parse_query(qs) == expected


def test_parse_query_returns_a_fresh_list_of_tuples(urls):
    """Pairs are plain tuples in a new list (callers may keep or mutate it)."""
    first = urls.parse_query("a=1")
    second = urls.parse_query("a=1")
    assert type(first) is list
    assert type(first[0]) is tuple
    assert first is not second


# -- properties ------------------------------------------------------------------------------

_HEX = st.sampled_from("0123456789abcdefABCDEF")
_ESCAPE = st.builds(lambda a, b: f"%{a}{b}", _HEX, _HEX)
_ESCAPE_HEAVY_TEXT = st.lists(
    st.one_of(_ESCAPE, st.sampled_from(["%", "+", "&", "=", "%E2", "%82", "é", "€"]), st.text()),
    max_size=8,
).map("".join)


@PROPERTY
@given(s=st.one_of(st.text(), _ESCAPE_HEAVY_TEXT), plus=st.booleans())
def test_twins_agree_on_unquote(urls, twin, s, plus):
    """Compiled and interpreted ``unquote`` give the same answer for any text."""
    assert outcome(urls.unquote, s, plus) == outcome(other("urls", twin).unquote, s, plus)


@PROPERTY
@given(qs=st.one_of(st.text(), _ESCAPE_HEAVY_TEXT))
def test_twins_agree_on_parse_query(urls, twin, qs):
    """Compiled and interpreted ``parse_query`` give the same answer for any text."""
    assert outcome(urls.parse_query, qs) == outcome(other("urls", twin).parse_query, qs)


_ASCII_LITERAL = st.characters(max_codepoint=0x7F, exclude_characters="%")
_WELL_FORMED_ASCII = st.lists(st.one_of(_ASCII_LITERAL, _ESCAPE), max_size=30).map("".join)


@PROPERTY
@given(s=_WELL_FORMED_ASCII)
def test_unquote_matches_urllib_on_well_formed_ascii(urls, s):
    """ASCII input whose every ``%`` starts a valid escape decodes as ``urllib`` does."""
    assert urls.unquote(s) == urllib.parse.unquote(s)
    assert urls.unquote(s, True) == urllib.parse.unquote_plus(s)


@PROPERTY
@given(pairs=st.lists(st.tuples(st.text(), st.text()), max_size=6))
def test_parse_query_matches_parse_qsl_on_urlencoded(urls, pairs):
    """A query built by ``urlencode`` parses as ``parse_qsl`` does, and back to its pairs."""
    qs = urllib.parse.urlencode(pairs)
    expected = urllib.parse.parse_qsl(qs, keep_blank_values=True, separator="&")
    assert urls.parse_query(qs) == expected
    assert urls.parse_query(qs) == pairs
