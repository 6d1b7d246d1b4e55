"""Header mappings and the last check before a response reaches the server (hot path).

Compiled as ``headers_c``. Headers live as a plain list of ``(name, value)`` str pairs with
lower-case names, the shape Granian takes directly, so the common response needs no copy.

``check_status`` and ``clean_headers`` exist because servers trust us too much: Granian panics
(and with respawn off, stops) on a status outside what ``http::StatusCode`` accepts, drops
invalid header names silently and does not reject CR/LF in values. Every response passes through
both just before the adapter hands it over, whatever user code or middleware did to it.
"""

import re

try:
    import cython
except ModuleNotFoundError:  # interpreted without Cython installed
    from orionis._hot import _shim as cython

# RFC 9110 5.6.2 token characters, and field-value characters without obs-text: HTAB, SP
# and VCHAR. Bytes 0x80-0xFF are obsolete, and Granian's RSGI side would send them as UTF-8
# where ASGI servers send Latin-1, so they are refused to keep both protocols identical.
# RFC 9110 5.5: a value neither starts nor ends with SP or HTAB (h11, under uvicorn, drops
# the connection with an empty reply on one).
_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE_RE = re.compile(r"(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?")

# Connection-specific headers (RFC 9110 7.6.1, RFC 9113 8.2.2): the server frames and manages
# the connection, and under HTTP/2 any of them resets the stream. Set by user code, they are
# dropped. (The adapters may still add ``connection: close`` themselves, after this check.)
_HOP_BY_HOP = frozenset(
    ("connection", "transfer-encoding", "te", "upgrade", "keep-alive", "proxy-connection")
)


@cython.cfunc
@cython.inline
def _name_char(c: cython.Py_UCS4) -> cython.bint:
    if "a" <= c <= "z" or "0" <= c <= "9" or "A" <= c <= "Z":
        return True
    return c in "!#$%&'*+-.^_`|~"


@cython.cfunc
def _name_ok(name: str) -> cython.bint:
    c: cython.Py_UCS4
    if cython.compiled:
        if len(name) == 0:
            return False
        for c in name:
            if not _name_char(c):
                return False
        return True
    return _NAME_RE.fullmatch(name) is not None


@cython.cfunc
def _value_ok(value: str) -> cython.bint:
    c: cython.Py_UCS4
    n: cython.Py_ssize_t
    if cython.compiled:
        n = len(value)
        if n > 0:
            c = value[0]
            if c == " " or c == "\t":
                return False
            c = value[n - 1]
            if c == " " or c == "\t":
                return False
        for c in value:
            if c < " ":
                if c != "\t":
                    return False
            elif c > "~":
                return False
        return True
    return _VALUE_RE.fullmatch(value) is not None


def _value_error(name: str, value: str) -> ValueError:
    if value.strip(" \t") != value and _VALUE_RE.fullmatch(value.strip(" \t")) is not None:
        return ValueError(
            f"header {name!r} has a value with leading or trailing whitespace ({value!r}); "
            "strip it (servers and proxies drop or reject such responses)"
        )
    return ValueError(
        f"header {name!r} has a value with a control character or a non-ASCII "
        "character (CR, LF and NUL would split or truncate the response; encode "
        "other text, e.g. RFC 8187 for filenames)"
    )


@cython.ccall
def check_status(status: object) -> int:
    """Return ``status`` as an ``int`` if it is a valid final status (200-599), else raise.

    1xx codes are informational and can never end an exchange: Granian answers them with its
    own 500 or, for 101, switches protocols, so they are refused here like 1000 or 0.
    """
    if isinstance(status, int) and not isinstance(status, bool):
        code: int = int(status)
        if 200 <= code <= 599:
            return code
    raise ValueError(f"status code {status!r} is not a valid final HTTP status (200-599)")


@cython.ccall
def clean_headers(raw: list, keep_length: cython.bint) -> list:
    """Validate response headers; return ``raw`` itself when nothing needs to change.

    Raises ``ValueError`` naming the first bad header (a control or non-ASCII character, or
    leading or trailing whitespace, in a value). Hop-by-hop headers (``connection``,
    ``transfer-encoding``, ``te``, ``upgrade``, ``keep-alive``, ``proxy-connection``) are always
    dropped, and ``content-length`` too unless ``keep_length``: the server manages the
    connection and the adapter frames the body, and a stale value from user code would
    corrupt the connection or reset an HTTP/2 stream. Upper-case names are lower-cased
    (HTTP/2 requires it).
    """
    out: list = None
    i: cython.Py_ssize_t
    n: cython.Py_ssize_t = len(raw)
    item: object
    name: str
    value: str
    lowered: str
    for i in range(n):
        item = raw[i]
        if type(item) is not tuple or len(item) != 2:
            raise ValueError(f"header {item!r} is not a (name, value) pair")
        if type(item[0]) is not str or type(item[1]) is not str:
            raise ValueError(f"header {item!r}: name and value must be str")
        name = item[0]
        value = item[1]
        if not _name_ok(name):
            raise ValueError(f"invalid header name {name!r}")
        if not _value_ok(value):
            raise _value_error(name, value)
        lowered = name.lower()
        if (lowered == "content-length" and not keep_length) or lowered in _HOP_BY_HOP:
            if out is None:
                out = list(raw[:i])
            continue
        if lowered != name:
            if out is None:
                out = list(raw[:i])
            out.append((lowered, value))
            continue
        if out is not None:
            out.append(item)
    return raw if out is None else out


@cython.ccall
def check_response(response: object, keep_length: cython.bint) -> None:
    """``check_status`` and ``clean_headers`` applied to a response, in one call."""
    response.status_code = check_status(response.status_code)
    response.raw_headers = clean_headers(response.raw_headers, keep_length)


@cython.ccall
def encode_headers(raw: list) -> list:
    """``(str, str)`` pairs to the ``(bytes, bytes)`` pairs ASGI wants (values checked first)."""
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw]


@cython.ccall
def encode_with_length(raw: list, length: cython.Py_ssize_t) -> list:
    """``encode_headers(raw)`` plus ``content-length: <length>`` (when ``length >= 0``), in
    one pass: the ASGI start message of an in-memory body."""
    out: list = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw]
    if length >= 0:
        out.append((b"content-length", str(length).encode("ascii")))
    return out


@cython.ccall
def decode_headers(raw: list) -> list:
    """ASGI's ``(bytes, bytes)`` request header pairs to lower-case ``(str, str)`` pairs.

    Values with non-ASCII bytes are dropped, as Granian's RSGI side drops them, so an
    application sees the same headers under both protocols. ``cookie`` is the exception: it
    carries many independent pairs, so it is kept (as Latin-1) and the cookie parser drops
    only the non-ASCII pairs.
    """
    return [
        (k.decode("latin-1").lower(), v.decode("latin-1"))
        for k, v in raw
        if v.isascii() or k.lower() == b"cookie"
    ]


@cython.cclass
class Headers:
    """Case-insensitive, multi-valued, read-only view of HTTP headers.

    Like Starlette's: ``h["x"]`` and ``h.get("x")`` give the first value, ``h.getlist("x")``
    every value in order; ``keys()``, ``items()``, iteration and ``len()`` include repeats.
    """

    _list = cython.declare(list)

    def __init__(self, headers: object = None) -> None:
        pairs: list = []
        if headers is None:
            pass
        elif isinstance(headers, Headers):
            pairs = list((cython.cast(Headers, headers))._list)
        else:
            items = headers.items() if hasattr(headers, "items") else headers
            for key, value in items:
                if type(key) is not str or type(value) is not str:
                    raise TypeError(f"header {key!r}: name and value must be str")
                pairs.append((key.lower(), value))
        self._list = pairs

    @property
    def raw(self) -> list:
        """The underlying ``(name, value)`` list, names lower-case."""
        return self._list

    def get(self, key: str, default: object = None) -> object:
        key = key.lower()
        for k, v in self._list:
            if k == key:
                return v
        return default

    def getlist(self, key: str) -> list:
        key = key.lower()
        return [v for k, v in self._list if k == key]

    def __getitem__(self, key: str) -> str:
        lowered: str = key.lower()
        for k, v in self._list:
            if k == lowered:
                return v
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if type(key) is not str:
            return False
        lowered: str = cython.cast(str, key).lower()
        for k, _v in self._list:
            if k == lowered:
                return True
        return False

    def keys(self) -> list:
        return [k for k, _v in self._list]

    def values(self) -> list:
        return [v for _k, v in self._list]

    def items(self) -> list:
        return list(self._list)

    def __iter__(self):
        return iter([k for k, _v in self._list])

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted(self._list) == sorted((cython.cast(Headers, other))._list)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


@cython.cclass
class MutableHeaders(Headers):
    """Headers a response owns and middleware may change; edits write through to ``raw``."""

    def __setitem__(self, key: str, value: str) -> None:
        """Set ``key`` to a single value, keeping the position of its first occurrence."""
        if type(key) is not str or type(value) is not str:
            raise TypeError(f"header {key!r}: name and value must be str")
        lowered: str = key.lower()
        found: cython.Py_ssize_t = -1
        i: cython.Py_ssize_t = len(self._list) - 1
        while i >= 0:
            if self._list[i][0] == lowered:
                if found >= 0:
                    del self._list[found]
                found = i
            i -= 1
        if found >= 0:
            self._list[found] = (lowered, value)
        else:
            self._list.append((lowered, value))

    def __delitem__(self, key: str) -> None:
        """Remove every value of ``key``; absent keys are ignored, as in Starlette."""
        lowered: str = key.lower()
        self._list[:] = [item for item in self._list if item[0] != lowered]

    def append(self, key: str, value: str) -> None:
        """Add a value without touching existing ones (e.g. another ``set-cookie``)."""
        if type(key) is not str or type(value) is not str:
            raise TypeError(f"header {key!r}: name and value must be str")
        self._list.append((key.lower(), value))

    def setdefault(self, key: str, value: str) -> str:
        existing = self.get(key)
        if existing is not None:
            return existing
        self.append(key, value)
        return value

    def update(self, other: object) -> None:
        items = other.items() if hasattr(other, "items") else other
        for key, value in items:
            self[key] = value


@cython.ccall
def wrap_headers(raw: list, mutable: cython.bint) -> object:
    """Build ``Headers`` around an already lower-cased list without copying it."""
    h: Headers = MutableHeaders.__new__(MutableHeaders) if mutable else Headers.__new__(Headers)
    h._list = raw
    return h
