"""Cookie header parsing (hot path, compiled as ``cookies_c``).

Browsers do not follow RFC 6265's grammar strictly, so this parser is lenient the way
browsers and Starlette are: pairs split on ``;``, a pair without ``=`` is a value with an
empty name, surrounding whitespace is dropped, and a double-quoted value is unquoted with
Python's ``http.cookies`` rules (``\\"``, ``\\\\`` and ``\\ooo`` octal escapes). Later
duplicates win, as in ``http.cookies``. Nothing is percent-decoded: cookie values are opaque.

A pair with a non-ASCII character in its name or value (RFC 6265 allows none; ASGI servers
pass such bytes through as Latin-1) is dropped on its own: one bad cookie, e.g. set by a
sibling subdomain, must not cost the request every other cookie.
"""

try:
    import cython
except ModuleNotFoundError:  # interpreted without Cython installed
    from orionis._hot import _shim as cython


@cython.cfunc
def _unquote(value: str) -> str:
    n: cython.Py_ssize_t = len(value)
    i: cython.Py_ssize_t
    c: cython.Py_UCS4
    out: list
    if n < 2 or value[0] != '"' or value[n - 1] != '"':
        return value
    value = value[1 : n - 1]
    if "\\" not in value:
        return value
    n = len(value)
    out = []
    i = 0
    while i < n:
        c = value[i]
        # As http.cookies: a backslash escapes any character except a newline.
        if c == "\\" and i + 1 < n and value[i + 1] != "\n":
            if (
                i + 3 < n
                and "0" <= value[i + 1] <= "3"
                and "0" <= value[i + 2] <= "7"
                and "0" <= value[i + 3] <= "7"
            ):
                out.append(chr(int(value[i + 1 : i + 4], 8)))
                i += 4
                continue
            out.append(value[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


@cython.ccall
def parse_cookie(header: str) -> dict:
    """Parse a ``Cookie`` header value into ``{name: value}``."""
    cookies: dict = {}
    n: cython.Py_ssize_t = len(header)
    start: cython.Py_ssize_t = 0
    end: cython.Py_ssize_t
    eq: cython.Py_ssize_t
    key: str
    val: str
    while start < n:
        end = header.find(";", start)
        if end < 0:
            end = n
        eq = header.find("=", start, end)
        if eq < 0:
            key = ""
            val = header[start:end].strip()
        else:
            key = header[start:eq].strip()
            val = header[eq + 1 : end].strip()
        if (key or val) and key.isascii() and val.isascii():
            cookies[key] = _unquote(val)
        start = end + 1
    return cookies
