"""Route matching: a dict for static paths and a segment trie for the rest (hot path).

Compiled as ``matcher_c``. The cost of a match depends on the depth of the path, not on the
number of routes: a static path is one dict lookup, a dynamic one walks one trie node per
segment, trying the static child first, then parameters in registration order, then a
trailing ``path`` parameter, and backtracking when a branch dead-ends. Nothing is cached per
request path, so memory does not grow with traffic.

A route table is built by ``orionis.routing`` and holds opaque payloads: each leaf is a dict
from HTTP method to payload. ``match`` finds the first leaf (in the order above) whose dict
has the method; when the path matches but no leaf has the method it reports every method
the matching leaves allow, for a 405 with a truthful ``Allow``.
"""

import uuid

try:
    import cython
except ModuleNotFoundError:  # interpreted without Cython installed
    from orionis._hot import _shim as cython

STR = 0
INT = 1
FLOAT = 2
UUID = 3
PATH = 4

CONVERTERS = {"str": STR, "int": INT, "float": FLOAT, "uuid": UUID, "path": PATH}

# The most digits an ``int`` or ``float`` segment may have (a float counts both sides of the
# dot): CPython's default int-string limit. Fixed here rather than read from
# ``sys.get_int_max_str_digits()``, which an application may raise or switch off (0): a path
# parameter is an identifier, and converting a huge digit string costs quadratic time.
MAX_DIGITS = 4300

_NO_MATCH = object()
_INF = float("inf")
_UUID = uuid.UUID


@cython.cfunc
@cython.inline
def _is_digit(c: cython.Py_UCS4) -> cython.bint:
    return "0" <= c <= "9"


@cython.cfunc
def _digits(s: str, start: cython.Py_ssize_t, end: cython.Py_ssize_t) -> cython.bint:
    i: cython.Py_ssize_t
    if end <= start:
        return False
    for i in range(start, end):
        if not _is_digit(s[i]):
            return False
    return True


@cython.cfunc
def _is_uuid(s: str) -> cython.bint:
    i: cython.Py_ssize_t
    c: cython.Py_UCS4
    if len(s) != 36:
        return False
    for i in range(36):
        c = s[i]
        if i == 8 or i == 13 or i == 18 or i == 23:
            if c != "-":
                return False
        elif not ("0" <= c <= "9" or "a" <= c <= "f" or "A" <= c <= "F"):
            return False
    return True


@cython.cfunc
def _convert(kind: cython.int, seg: str) -> object:
    """The typed value of one path segment, or ``_NO_MATCH``."""
    n: cython.Py_ssize_t = len(seg)
    dot: cython.Py_ssize_t
    if kind == STR:
        return seg if n > 0 else _NO_MATCH
    if kind == INT:
        if n > MAX_DIGITS or not _digits(seg, 0, n):
            return _NO_MATCH
        try:
            return int(seg)
        except ValueError:  # the interpreter's digit limit is set lower than MAX_DIGITS
            return _NO_MATCH
    if kind == FLOAT:
        if n > MAX_DIGITS + 1:
            return _NO_MATCH
        dot = seg.find(".")
        if dot < 0:
            if not _digits(seg, 0, n):
                return _NO_MATCH
        elif not (_digits(seg, 0, dot) and _digits(seg, dot + 1, n)):
            return _NO_MATCH
        number: cython.double = float(seg)
        if number == _INF:  # too many digits for a double
            return _NO_MATCH
        return number
    if kind == UUID:
        if not _is_uuid(seg):
            return _NO_MATCH
        return _UUID(seg)
    return _NO_MATCH


@cython.cclass
class _Edge:
    name = cython.declare(str)
    kind = cython.declare(cython.int)
    node = cython.declare(object)

    def __init__(self, name: str, kind: int, node: object) -> None:
        self.name = name
        self.kind = kind
        self.node = node


@cython.cclass
class _Node:
    statics = cython.declare(dict)
    params = cython.declare(list)
    tail = cython.declare(object)  # an _Edge for a trailing ``path`` parameter, or None
    leaf = cython.declare(object)  # {method: payload} or None

    def __init__(self) -> None:
        self.statics = {}
        self.params = []
        self.tail = None
        self.leaf = None


@cython.cfunc
def _at_leaf(node: _Node, method: str, allowed: list) -> object:
    leaf: dict
    if node.leaf is None:
        return None
    leaf = node.leaf
    payload = leaf.get(method)
    if payload is None:
        for m in leaf:
            if m not in allowed:
                allowed.append(m)
    return payload


@cython.cfunc
def _walk(
    node: _Node, path: str, pos: cython.Py_ssize_t, method: str, params: list, allowed: list
) -> object:
    # ``pos`` is where the next segment starts (just after a "/").
    n: cython.Py_ssize_t = len(path)
    end: cython.Py_ssize_t = path.find("/", pos)
    last: cython.bint = end < 0
    seg: str
    child: object
    edge: _Edge
    found: object
    value: object
    if last:
        end = n
    seg = path[pos:end]

    child = node.statics.get(seg)
    if child is not None:
        if last:
            found = _at_leaf(cython.cast(_Node, child), method, allowed)
        else:
            found = _walk(cython.cast(_Node, child), path, end + 1, method, params, allowed)
        if found is not None:
            return found

    for edge_obj in node.params:
        edge = cython.cast(_Edge, edge_obj)
        value = _convert(edge.kind, seg)
        if value is _NO_MATCH:
            continue
        params.append((edge.name, value))
        if last:
            found = _at_leaf(cython.cast(_Node, edge.node), method, allowed)
        else:
            found = _walk(cython.cast(_Node, edge.node), path, end + 1, method, params, allowed)
        if found is not None:
            return found
        params.pop()

    if node.tail is not None:
        edge = cython.cast(_Edge, node.tail)
        params.append((edge.name, path[pos:]))
        found = _at_leaf(cython.cast(_Node, edge.node), method, allowed)
        if found is not None:
            return found
        params.pop()
    return None


@cython.cclass
class Matcher:
    """A frozen-once-built route table. ``add`` while building, ``match`` per request."""

    _static = cython.declare(dict)
    _root = cython.declare(_Node)

    def __init__(self) -> None:
        self._static = {}
        self._root = _Node()

    def add(self, segments: list, methods: dict) -> None:
        """Register ``methods`` ({method: payload}) under a parsed path.

        ``segments`` has one entry per path segment: a ``str`` for a literal, or a
        ``(name, kind)`` tuple for a parameter (kind from ``CONVERTERS``); a ``PATH`` parameter
        may only come last. Adding the same path twice merges the method dicts, earlier
        registrations winning.
        """
        node: _Node = self._root
        dynamic: cython.bint = False
        nxt: _Node
        i: cython.Py_ssize_t
        n: cython.Py_ssize_t = len(segments)
        for i in range(n):
            seg = segments[i]
            if type(seg) is str:
                nxt = node.statics.get(seg)
                if nxt is None:
                    nxt = _Node()
                    node.statics[seg] = nxt
                node = nxt
                continue
            dynamic = True
            name, kind = seg
            if kind == PATH:
                if i != n - 1:
                    raise ValueError(f"path parameter {name!r} must be the last segment")
                if node.tail is None:
                    node.tail = _Edge(name, PATH, _Node())
                elif (cython.cast(_Edge, node.tail)).name != name:
                    raise ValueError(f"path parameter {name!r} clashes with another at this level")
                node = (cython.cast(_Edge, node.tail)).node
                continue
            nxt = None
            for edge_obj in node.params:
                edge: _Edge = cython.cast(_Edge, edge_obj)
                if edge.name == name and edge.kind == kind:
                    nxt = edge.node
                    break
            if nxt is None:
                nxt = _Node()
                node.params.append(_Edge(name, kind, nxt))
            node = nxt
        if node.leaf is None:
            node.leaf = dict(methods)
        else:
            for method, payload in methods.items():
                node.leaf.setdefault(method, payload)
        if not dynamic:
            self._static["/" + "/".join(segments)] = node.leaf

    def match(self, path: str, method: str) -> object:
        """``(payload, params)``; ``(None, allowed_methods)`` on 405; ``None`` on 404."""
        leaf = self._static.get(path)
        if leaf is not None:
            payload = (cython.cast(dict, leaf)).get(method)
            if payload is not None:
                return (payload, {})
        if len(path) == 0 or path[0] != "/":
            return None
        params: list = []
        allowed: list = []
        found = _walk(self._root, path, 1, method, params, allowed)
        if found is not None:
            return (found, dict(params))
        if allowed:
            return (None, allowed)
        return None
