"""Stand-in for the ``cython`` module when Cython is not installed.

The hot-path modules are written in Cython's pure-Python mode. Interpreted, they only need the
decorators and type names below to exist and do nothing. Only what those modules use is here.
"""

compiled = False

Py_ssize_t = int
Py_UCS4 = str
bint = bool
uchar = int
double = float


def _identity(obj):
    return obj


cclass = cfunc = ccall = inline = final = _identity


def locals(**_types):
    return _identity


def declare(_type=None, value=None, **_kwargs):
    return value


def cast(_type, value, **_kwargs):
    return value
