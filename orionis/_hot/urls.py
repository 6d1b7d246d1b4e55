"""Percent-decoding and query-string parsing (hot path, compiled as ``urls_c``).

Servers hand us the query string raw, so every request with a query pays for this parse. The
rules follow the WHATWG urlencoded parser that browsers use: pairs split on ``&`` only, ``+`` is
a space, ``%XX`` sequences are bytes decoded as UTF-8 (invalid bytes become U+FFFD), and a
malformed escape such as ``%zz`` or a trailing ``%`` is kept literally rather than rejected.
"""

try:
    import cython
except ModuleNotFoundError:  # interpreted without Cython installed
    from orionis._hot import _shim as cython


@cython.cfunc
@cython.inline
def _hexval(c: cython.Py_UCS4) -> cython.int:
    if "0" <= c <= "9":
        return ord(c) - 48
    if "a" <= c <= "f":
        return ord(c) - 87
    if "A" <= c <= "F":
        return ord(c) - 55
    return -1


@cython.cfunc
def _decode(s: str, plus: cython.bint) -> str:
    # Consecutive escapes collect in ``buf`` and are decoded together, so a multi-byte UTF-8
    # character split over several ``%XX`` survives. A literal run [run, i) always follows
    # the bytes in ``buf``; both are flushed in that order.
    n: cython.Py_ssize_t = len(s)
    i: cython.Py_ssize_t = 0
    run: cython.Py_ssize_t = 0
    hi: cython.int
    lo: cython.int
    parts: list = []
    buf: bytearray = bytearray()
    while i < n:
        if s[i] == "%" and i + 2 < n:
            hi = _hexval(s[i + 1])
            lo = _hexval(s[i + 2])
            if hi >= 0 and lo >= 0:
                if run < i:
                    if len(buf):
                        parts.append(buf.decode("utf-8", "replace"))
                        buf = bytearray()
                    parts.append(_literal(s, run, i, plus))
                buf.append(hi * 16 + lo)
                i += 3
                run = i
                continue
        i += 1
    if len(buf):
        parts.append(buf.decode("utf-8", "replace"))
    if run < n:
        parts.append(_literal(s, run, n, plus))
    return "".join(parts)


@cython.cfunc
@cython.inline
def _literal(s: str, start: cython.Py_ssize_t, end: cython.Py_ssize_t, plus: cython.bint) -> str:
    part: str = s[start:end]
    if plus and "+" in part:
        return part.replace("+", " ")
    return part


@cython.ccall
def unquote(s: str, plus: cython.bint = False) -> str:
    """Percent-decode ``s``; with ``plus`` a literal ``+`` becomes a space (form encoding)."""
    if "%" not in s:
        if plus and "+" in s:
            return s.replace("+", " ")
        return s
    return _decode(s, plus)


@cython.ccall
def parse_query(qs: str) -> list:
    """Split a raw query string into decoded ``(name, value)`` pairs, keeping blanks and order.

    ``a=1&b&&c=`` gives ``[("a", "1"), ("b", ""), ("c", "")]``: a name without ``=`` is kept
    with an empty value, empty pairs are skipped.
    """
    pairs: list = []
    n: cython.Py_ssize_t = len(qs)
    start: cython.Py_ssize_t = 0
    end: cython.Py_ssize_t
    eq: cython.Py_ssize_t
    if n == 0:
        return pairs
    while start <= n:
        end = qs.find("&", start)
        if end < 0:
            end = n
        if end > start:
            eq = qs.find("=", start, end)
            if eq < 0:
                pairs.append((unquote(qs[start:end], True), ""))
            else:
                pairs.append((unquote(qs[start:eq], True), unquote(qs[eq + 1 : end], True)))
        start = end + 1
    return pairs
