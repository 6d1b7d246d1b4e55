"""Property tests: header parsers for proxies, hosts and Accept-Encoding never raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orionis.middleware.gzip import choose_encoding
from orionis.middleware.proxy_headers import _node, _parse_element, _split_elements
from orionis.middleware.trusted_host import parse_host

ALPHABET = st.sampled_from([*'abc019.:[]_-;,="\\ /@?*\t', "\x00", "é", "::1"])
TEXT = st.lists(ALPHABET, max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_parsers_never_raise(value: str) -> None:
    parsed = parse_host(value)
    if parsed is not None:
        assert parse_host(parsed[0] if ":" not in parsed[0] else f"[{parsed[0]}]") is not None
    _node(value)
    elements = _split_elements(value)
    for element in elements or []:
        _parse_element(element)
    choose_encoding(value)
