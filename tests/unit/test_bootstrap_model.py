"""The demo's title rule means the same in pydantic and in its published JSON Schema.

``\\S`` differed between the two regex engines (U+0085 is a space to pydantic's, U+FEFF to
JSON Schema's), so a fuzzer following the schema saw valid titles refused.
"""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

import bootstrap

SPACES = [
    "\t",
    "\n",
    "\x0b",
    "\x0c",
    "\r",
    " ",
    "\x85",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u200a",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
]


@pytest.mark.parametrize("space", SPACES)
def test_a_title_of_spaces_is_refused_by_both_engines(space: str) -> None:
    with pytest.raises(ValidationError):
        bootstrap.NoteIn(title=space * 3, body="b")
    assert re.search(bootstrap.NON_SPACE, space * 3) is None


@pytest.mark.parametrize("title", ["a", " a ", "\x85x", "\ufeffx", "é"])
def test_a_title_with_a_visible_character_is_accepted(title: str) -> None:
    assert bootstrap.NoteIn(title=title, body="b").title == title
    assert re.search(bootstrap.NON_SPACE, title) is not None


def test_the_schema_publishes_the_same_pattern() -> None:
    schema = bootstrap.NoteIn.model_json_schema()
    assert schema["properties"]["title"]["pattern"] == bootstrap.NON_SPACE
