"""``orionis._hot.matcher``: the route trie (static first, parameters in registration order,
then a trailing path parameter, with backtracking) and its converters.

Every test runs against the compiled twin and the interpreted one (``twin`` fixture).
Segments are given the way ``orionis.paths.parse_path`` builds them: ``path[1:].split("/")``,
so ``/`` is ``[""]`` and ``/users/`` is ``["users", ""]``.
"""

from __future__ import annotations

import sys
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.twins import PROPERTY, other, outcome

UID = "123e4567-e89b-12d3-a456-426614174000"


def _table(matcher, *routes):
    """A ``Matcher`` with ``(segments, methods)`` routes added in order."""
    m = matcher.Matcher()
    for segments, methods in routes:
        m.add(segments, methods)
    return m


def test_twin_is_the_requested_module(matcher, twin):
    """The fixture really hands out two different modules."""
    expected = "orionis._hot.matcher_c" if twin == "compiled" else "orionis._hot.matcher"
    assert matcher.__name__ == expected


def test_converter_constants(matcher):
    """The kind constants and the name table routing uses."""
    assert (matcher.STR, matcher.INT, matcher.FLOAT, matcher.UUID, matcher.PATH) == (0, 1, 2, 3, 4)
    assert matcher.CONVERTERS == {"str": 0, "int": 1, "float": 2, "uuid": 3, "path": 4}


# -- static paths ----------------------------------------------------------------------------


def test_root_path(matcher):
    """``/`` matches the root route, gives 405 for another method, and nothing else."""
    m = _table(matcher, ([""], {"GET": "root"}))
    assert m.match("/", "GET") == ("root", {})
    assert m.match("/", "POST") == (None, ["GET"])
    assert m.match("//", "GET") is None
    assert m.match("/x", "GET") is None


def test_static_paths_and_trailing_slash_are_distinct(matcher):
    """``/users`` and ``/users/`` are different paths."""
    m = _table(
        matcher,
        (["users"], {"GET": "no-slash"}),
        (["users", ""], {"GET": "slash"}),
        (["users", "list"], {"GET": "list"}),
    )
    assert m.match("/users", "GET") == ("no-slash", {})
    assert m.match("/users/", "GET") == ("slash", {})
    assert m.match("/users/list", "GET") == ("list", {})
    assert m.match("/users/list/", "GET") is None
    assert m.match("/Users", "GET") is None  # case-sensitive


def test_trailing_slash_not_added(matcher):
    """Without a ``/users/`` route, ``/users/`` is a 404, and vice versa."""
    assert _table(matcher, (["users"], {"GET": 1})).match("/users/", "GET") is None
    assert _table(matcher, (["users", ""], {"GET": 1})).match("/users", "GET") is None


@pytest.mark.parametrize("path", ["users", "", "users/", " /users", "\\users"])
def test_path_must_start_with_slash(matcher, path):
    """A path not starting with ``/`` never matches, even a catch-all."""
    m = _table(
        matcher,
        (["users"], {"GET": "static"}),
        ([("x", matcher.STR)], {"GET": "param"}),
        ([("p", matcher.PATH)], {"GET": "tail"}),
    )
    assert m.match(path, "GET") is None


def test_double_slashes(matcher):
    """An empty segment is only matched by a literal empty segment or a path parameter."""
    m = _table(
        matcher,
        (["a", ("x", matcher.STR), "b"], {"GET": "param"}),
        (["s", "", "t"], {"GET": "static"}),
        (["f", ("p", matcher.PATH)], {"GET": "tail"}),
    )
    assert m.match("/a//b", "GET") is None
    assert m.match("/a/x/b", "GET") == ("param", {"x": "x"})
    assert m.match("/s//t", "GET") == ("static", {})
    assert m.match("/s/t", "GET") is None
    assert m.match("/f//x//", "GET") == ("tail", {"p": "/x//"})
    assert m.match("//a/x/b", "GET") is None


def test_add_same_path_twice_merges_earlier_wins(matcher):
    """Re-adding a path merges method dicts; the first registration of a method wins."""
    m = _table(
        matcher,
        (["x"], {"GET": "first"}),
        (["x"], {"GET": "second", "POST": "post"}),
        (["y", ("id", matcher.INT)], {"GET": "first"}),
        (["y", ("id", matcher.INT)], {"GET": "second", "PUT": "put"}),
    )
    assert m.match("/x", "GET") == ("first", {})
    assert m.match("/x", "POST") == ("post", {})
    assert m.match("/y/1", "GET") == ("first", {"id": 1})
    assert m.match("/y/1", "PUT") == ("put", {"id": 1})


def test_add_copies_the_methods_dict(matcher):
    """Changing the caller's dict after ``add`` does not change the table."""
    methods = {"GET": "g"}
    m = _table(matcher, (["x"], methods), (["y", ("n", matcher.STR)], methods))
    methods["POST"] = "p"
    assert m.match("/x", "POST") == (None, ["GET"])
    assert m.match("/y/1", "POST") == (None, ["GET"])


# -- priority and backtracking ---------------------------------------------------------------


def test_static_child_before_parameter(matcher):
    """A literal segment beats a parameter, whatever the registration order."""
    m = _table(
        matcher,
        (["users", ("name", matcher.STR)], {"GET": "by-name"}),
        (["users", "me"], {"GET": "me"}),
    )
    assert m.match("/users/me", "GET") == ("me", {})
    assert m.match("/users/bob", "GET") == ("by-name", {"name": "bob"})


def test_method_miss_on_static_falls_back_to_parameter(matcher):
    """``GET /users/me`` static + ``POST /users/{name}``: ``POST /users/me`` is the param route."""
    m = _table(
        matcher,
        (["users", "me"], {"GET": "me"}),
        (["users", ("name", matcher.STR)], {"POST": "create"}),
    )
    assert m.match("/users/me", "GET") == ("me", {})
    assert m.match("/users/me", "POST") == ("create", {"name": "me"})
    assert m.match("/users/bob", "GET") == (None, ["POST"])
    assert m.match("/users/me", "DELETE") == (None, ["GET", "POST"])


def test_dead_end_static_branch_backtracks(matcher):
    """A static child that leads nowhere gives way to a parameter at the same level."""
    m = _table(
        matcher,
        (["a", "b", "c"], {"GET": "abc"}),
        (["a", ("x", matcher.STR), "d"], {"GET": "axd"}),
    )
    assert m.match("/a/b/c", "GET") == ("abc", {})
    assert m.match("/a/b/d", "GET") == ("axd", {"x": "b"})
    assert m.match("/a/b/e", "GET") is None


def test_parameters_in_registration_order(matcher):
    """An int parameter registered first wins for digits; str takes the rest."""
    m = _table(
        matcher,
        (["items", ("id", matcher.INT)], {"GET": "int"}),
        (["items", ("slug", matcher.STR)], {"GET": "str"}),
    )
    assert m.match("/items/42", "GET") == ("int", {"id": 42})
    assert type(m.match("/items/42", "GET")[1]["id"]) is int
    assert m.match("/items/abc", "GET") == ("str", {"slug": "abc"})


def test_str_registered_first_shadows_int(matcher):
    """The reverse order: str, registered first, takes digits too."""
    m = _table(
        matcher,
        (["items", ("slug", matcher.STR)], {"GET": "str"}),
        (["items", ("id", matcher.INT)], {"GET": "int"}),
    )
    assert m.match("/items/42", "GET") == ("str", {"slug": "42"})


def test_backtracking_drops_params_of_abandoned_branch(matcher):
    """A parameter captured on a dead branch does not leak into the final params."""
    m = _table(
        matcher,
        (["n", ("i", matcher.INT), "x"], {"GET": "int-x"}),
        (["n", ("s", matcher.STR), "y"], {"GET": "str-y"}),
    )
    assert m.match("/n/5/x", "GET") == ("int-x", {"i": 5})
    assert m.match("/n/5/y", "GET") == ("str-y", {"s": "5"})
    assert m.match("/n/a/x", "GET") is None


def test_backtracking_on_method(matcher):
    """A branch whose leaf lacks the method is abandoned for the next one that has it."""
    m = _table(
        matcher,
        (["v", ("i", matcher.INT)], {"GET": "int"}),
        (["v", ("s", matcher.STR)], {"GET": "str-get", "POST": "str-post"}),
    )
    assert m.match("/v/7", "POST") == ("str-post", {"s": "7"})
    assert m.match("/v/7", "GET") == ("int", {"i": 7})


def test_tail_after_static_and_parameters(matcher):
    """The trailing path parameter is tried last, after static and typed children fail."""
    m = _table(
        matcher,
        (["files", "readme"], {"GET": "readme"}),
        (["files", ("n", matcher.INT)], {"GET": "numbered"}),
        (["files", ("p", matcher.PATH)], {"GET": "tail"}),
    )
    assert m.match("/files/readme", "GET") == ("readme", {})
    assert m.match("/files/3", "GET") == ("numbered", {"n": 3})
    assert m.match("/files/readme/x", "GET") == ("tail", {"p": "readme/x"})
    assert m.match("/files/3/4", "GET") == ("tail", {"p": "3/4"})
    assert m.match("/files/x", "GET") == ("tail", {"p": "x"})
    assert m.match("/files/readme", "POST") == (None, ["GET"])


def test_405_allowed_is_union_without_duplicates(matcher):
    """A path that matches leaves but no method lists each allowed method once, in walk order."""
    m = _table(
        matcher,
        (["r", "me"], {"GET": 1, "PUT": 2}),
        (["r", ("n", matcher.INT)], {"PATCH": 3}),
        (["r", ("x", matcher.STR)], {"GET": 4, "POST": 5}),
        (["r", ("p", matcher.PATH)], {"POST": 6, "HEAD": 7}),
        (["other"], {"DELETE": 8}),
    )
    assert m.match("/r/me", "DELETE") == (None, ["GET", "PUT", "POST", "HEAD"])
    assert m.match("/r/5", "DELETE") == (None, ["PATCH", "GET", "POST", "HEAD"])
    assert m.match("/r/a/b", "DELETE") == (None, ["POST", "HEAD"])
    assert m.match("/nothing", "DELETE") is None


def test_allowed_is_fresh_per_match(matcher):
    """The 405 list is built per call: no state carried between matches."""
    m = _table(matcher, (["a"], {"GET": 1}), (["b"], {"PUT": 2}))
    assert m.match("/a", "POST") == (None, ["GET"])
    assert m.match("/b", "POST") == (None, ["PUT"])
    assert m.match("/a", "POST") == (None, ["GET"])


# -- converters ------------------------------------------------------------------------------


def _one(matcher, kind):
    return _table(matcher, (["v", ("x", kind)], {"GET": "hit"}))


@pytest.mark.parametrize(
    ("seg", "value"), [("a", "a"), ("héllo", "héllo"), ("%41", "%41"), ("1", "1"), (" ", " ")]
)
def test_str_matches_any_non_empty_segment(matcher, seg, value):
    """``str`` takes any non-empty segment as is (no decoding)."""
    assert _one(matcher, matcher.STR).match("/v/" + seg, "GET") == ("hit", {"x": value})


@pytest.mark.parametrize("path", ["/v/", "/v", "/v/a/b"])
def test_str_refuses_empty_and_slashes(matcher, path):
    """``str`` never matches an empty segment or more than one segment."""
    assert _one(matcher, matcher.STR).match(path, "GET") is None


@pytest.mark.parametrize(
    ("seg", "value"), [("0", 0), ("42", 42), ("007", 7), ("18446744073709551616", 2**64)]
)
def test_int_matches_ascii_digits(matcher, seg, value):
    """``int`` takes ASCII digits and converts them."""
    result = _one(matcher, matcher.INT).match("/v/" + seg, "GET")
    assert result == ("hit", {"x": value})
    assert type(result[1]["x"]) is int


@pytest.mark.parametrize(
    "seg",
    [
        "",
        "-1",
        "+1",
        "1.0",
        "1e3",
        " 1",
        "1 ",
        "0x1f",
        "1_000",
        "\u0661\u0662",  # Arabic-Indic "12" (str.isdigit() is True)
        "\u0661",  # Arabic-Indic "1"
        "\uff11\uff12",  # fullwidth "12"
        "\u00b2",  # superscript two
        "\u07c0",  # NKo digit zero
        "a1",
    ],
)
def test_int_refuses_non_ascii_digits_and_signs(matcher, seg):
    """Signs, spaces, underscores and Unicode digits (Arabic-Indic, fullwidth) do not match."""
    assert _one(matcher, matcher.INT).match("/v/" + seg, "GET") is None


@pytest.fixture
def int_digit_limit():
    """Pin the interpreter's int-string digit limit to its default (4300)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)
    yield 4300
    sys.set_int_max_str_digits(old)


def test_int_beyond_digit_limit_is_no_match(matcher, int_digit_limit):
    """More digits than ``int()`` accepts is a plain no-match, not an exception."""
    m = _table(
        matcher,
        (["v", ("x", matcher.INT)], {"GET": "int"}),
    )
    at_limit = "7" * int_digit_limit
    assert m.match("/v/" + at_limit, "GET") == ("int", {"x": int(at_limit)})
    assert m.match("/v/" + "7" * (int_digit_limit + 1), "GET") is None
    assert m.match("/v/" + "1" * 10_000, "GET") is None


def test_int_beyond_digit_limit_falls_through_to_str(matcher, int_digit_limit):
    """The refused int segment is still available to a later ``str`` parameter."""
    m = _table(
        matcher,
        (["v", ("x", matcher.INT)], {"GET": "int"}),
        (["v", ("s", matcher.STR)], {"GET": "str"}),
    )
    long = "1" * (int_digit_limit + 1)
    assert m.match("/v/" + long, "GET") == ("str", {"s": long})


@pytest.mark.parametrize(
    ("seg", "value"), [("1.5", 1.5), ("0.25", 0.25), ("3", 3.0), ("007.50", 7.5), ("0", 0.0)]
)
def test_float_matches_digits_with_optional_fraction(matcher, seg, value):
    """``float`` takes digits, optionally ``.`` and more digits, and converts to ``float``."""
    result = _one(matcher, matcher.FLOAT).match("/v/" + seg, "GET")
    assert result == ("hit", {"x": value})
    assert type(result[1]["x"]) is float


@pytest.mark.parametrize(
    "seg",
    [
        "",
        "1.",
        ".5",
        ".",
        "1e5",
        "1E5",
        "1.5e3",
        "-1.5",
        "+1.5",
        "inf",
        "nan",
        "1.2.3",
        "1_0.5",
        " 1.5",
        "\u0661.\u0665",  # Arabic-Indic "1.5"
        "\uff11.\uff15",  # fullwidth "1.5"
        "1,5",
        "9" * 400,  # would overflow to inf
        "9" * 400 + ".5",
    ],
)
def test_float_refuses_other_forms(matcher, seg):
    """No exponent, sign, missing side of the dot, specials, Unicode digits or overflow."""
    assert _one(matcher, matcher.FLOAT).match("/v/" + seg, "GET") is None


@pytest.mark.parametrize("seg", [UID, UID.upper(), "123E4567-e89B-12d3-A456-426614174000"])
def test_uuid_matches_canonical_form_in_either_case(matcher, seg):
    """``uuid`` takes the 8-4-4-4-12 hex form, any letter case, as ``uuid.UUID``."""
    result = _one(matcher, matcher.UUID).match("/v/" + seg, "GET")
    assert result == ("hit", {"x": uuid.UUID(UID)})
    assert type(result[1]["x"]) is uuid.UUID


@pytest.mark.parametrize(
    "seg",
    [
        "",
        UID[:-1],  # 35 characters
        UID + "0",  # 37 characters
        UID.replace("-", ""),  # 32 hex digits, no dashes
        "123e4567e-89b-12d3-a456-426614174000",  # first dash one place late
        "123e456-7e89b-12d3-a456-426614174000",  # first dash one place early
        "123e4567-e89b-12d3-a456-4266141740-0",  # dash in the last group
        "123e4567-e89b-12d3-a4567426614174000-",  # dash moved to the end
        "123e4567+e89b-12d3-a456-426614174000",
        "g23e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-42661417400g",
        "{123e4567-e89b-12d3-a456-426614174000}",
        "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
        "\uff1123e4567-e89b-12d3-a456-426614174000",  # fullwidth digit
    ],
)
def test_uuid_refuses_other_forms(matcher, seg):
    """Wrong length, dashes out of place, non-hex or decorated forms do not match."""
    assert _one(matcher, matcher.UUID).match("/v/" + seg, "GET") is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/files/", ""),
        ("/files/a", "a"),
        ("/files/a/b/c", "a/b/c"),
        ("/files/a/", "a/"),
        ("/files//", "/"),
        ("/files/%2F", "%2F"),
    ],
)
def test_path_parameter_takes_the_rest(matcher, path, value):
    """``path`` captures the rest of the path including slashes; it may be empty."""
    m = _table(matcher, (["files", ("p", matcher.PATH)], {"GET": "tail"}))
    assert m.match(path, "GET") == ("tail", {"p": value})


def test_path_parameter_needs_the_slash_before_it(matcher):
    """``/files`` is not ``/files/`` with an empty rest."""
    m = _table(matcher, (["files", ("p", matcher.PATH)], {"GET": "tail"}))
    assert m.match("/files", "GET") is None
    assert m.match("/filesx", "GET") is None


def test_path_parameter_at_root(matcher):
    """A root catch-all matches ``/`` (empty) and every deeper path."""
    m = _table(matcher, ([("p", matcher.PATH)], {"GET": "all"}))
    assert m.match("/", "GET") == ("all", {"p": ""})
    assert m.match("/a/b/c", "GET") == ("all", {"p": "a/b/c"})
    assert m.match("/a/b/", "POST") == (None, ["GET"])


def test_several_params_together(matcher):
    """Each parameter lands under its own name with its own type."""
    m = _table(
        matcher,
        (
            [
                "o",
                ("org", matcher.STR),
                ("n", matcher.INT),
                ("f", matcher.FLOAT),
                ("u", matcher.UUID),
                ("rest", matcher.PATH),
            ],
            {"GET": "deep"},
        ),
    )
    assert m.match(f"/o/acme/3/2.5/{UID}/x/y", "GET") == (
        "deep",
        {"org": "acme", "n": 3, "f": 2.5, "u": uuid.UUID(UID), "rest": "x/y"},
    )


@pytest.mark.parametrize(
    "segments",
    [
        [("p", 4), "x"],
        ["a", ("p", 4), ("q", 0)],
        [("p", 4), ("q", 4)],
        [("p", 4), ""],
    ],
)
def test_path_parameter_must_be_last(matcher, segments):
    """``add`` refuses a path parameter followed by anything."""
    m = matcher.Matcher()
    with pytest.raises(ValueError, match="must be the last segment"):
        m.add(segments, {"GET": 1})


def test_path_parameter_name_clash_refused(matcher):
    """Two differently named path parameters at one level are refused."""
    m = _table(matcher, (["f", ("p", matcher.PATH)], {"GET": 1}))
    with pytest.raises(ValueError, match="clashes"):
        m.add(["f", ("q", matcher.PATH)], {"POST": 2})
    m.add(["f", ("p", matcher.PATH)], {"POST": 2})  # same name merges
    assert m.match("/f/x", "POST") == (2, {"p": "x"})


# -- properties ------------------------------------------------------------------------------

_LITERALS = st.sampled_from(["a", "b", "1", "", "me"])
_SAMPLE_SEGMENTS = st.sampled_from(
    ["a", "b", "1", "12", "1.5", "1.", "me", "", UID, UID[:-1], "a/b", "\u0661", "x y"]
)
_ROUTE = st.builds(
    lambda body, tail: body + tail,
    st.lists(
        st.one_of(_LITERALS, st.tuples(st.sampled_from("pqr"), st.sampled_from([0, 1, 2, 3]))),
        max_size=3,
    ),
    st.one_of(st.just([]), st.tuples(st.sampled_from("pqr"), st.just(4)).map(lambda t: [t])),
).filter(bool)
_METHODS = st.dictionaries(st.sampled_from(["GET", "POST", "PUT"]), st.integers(0, 9), min_size=1)
_PATHS = st.one_of(
    st.lists(_SAMPLE_SEGMENTS, max_size=4).map(lambda segs: "/" + "/".join(segs)),
    st.text(max_size=10),
)


@PROPERTY
@given(
    routes=st.lists(st.tuples(_ROUTE, _METHODS), min_size=1, max_size=6),
    probes=st.lists(st.tuples(_PATHS, st.sampled_from(["GET", "POST", "PUT"])), max_size=8),
)
def test_twins_agree_on_matching(matcher, twin, routes, probes):
    """The compiled and interpreted tries build and match identically."""
    mine, theirs = matcher.Matcher(), other("matcher", twin).Matcher()
    for segments, methods in routes:
        assert outcome(mine.add, list(segments), methods) == outcome(
            theirs.add, list(segments), methods
        )
    for path, method in probes:
        assert mine.match(path, method) == theirs.match(path, method)


@pytest.fixture
def no_int_digit_limit():
    """An application may switch the interpreter's int-string limit off (0)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    yield
    sys.set_int_max_str_digits(old)


def test_digit_bound_does_not_depend_on_the_interpreter_limit(matcher, no_int_digit_limit):
    """``MAX_DIGITS`` bounds ``int`` and ``float`` segments even with ``int()`` unlimited."""
    assert matcher.MAX_DIGITS == 4300
    m = _table(
        matcher,
        (["i", ("x", matcher.INT)], {"GET": "int"}),
        (["f", ("x", matcher.FLOAT)], {"GET": "float"}),
    )
    at_limit = "7" * matcher.MAX_DIGITS
    assert m.match("/i/" + at_limit, "GET") == ("int", {"x": int(at_limit)})
    for seg in ("7" * 4301, "1" * 5000, "0" * 100_000):
        assert m.match("/i/" + seg, "GET") is None
    assert m.match("/f/" + "0" * 4299 + ".5", "GET") == ("float", {"x": 0.5})
    for seg in ("0" * 4300 + ".5", "0" * 5000 + ".5", "0." + "1" * 5000, "1" * 5000):
        assert m.match("/f/" + seg, "GET") is None
