"""Stand-in for the ``cython`` module when Cython is not installed.

The hot-path modules are written in Cython's pure-Python mode. Interpreted, they only need the
decorators and type names they use to exist and do nothing. Cython is only a build dependency,
so a plain install runs the interpreted twins through this module whenever the compiled ones
are missing or ``ORIONIS_NO_EXTENSIONS=1``: every ``cython.<name>`` a hot module uses must be
here (``tests/unit/test_hot_shim.py`` checks it). A few common extras are included so a new
annotation does not crash pure mode.
"""

import builtins as _builtins

compiled = False

# C types, as the Python type whose values they hold when interpreted.
Py_ssize_t = size_t = Py_hash_t = _builtins.int
int = long = longlong = short = uint = ulong = ulonglong = ushort = uchar = char = _builtins.int
double = longdouble = _builtins.float
float = _builtins.float
Py_UCS4 = Py_UNICODE = _builtins.str
bint = _builtins.bool
void = None


def _identity(obj):
    return obj


cclass = cfunc = ccall = inline = final = nogil = _identity


def _directive(*_args, **_kwargs):
    """``@cython.boundscheck(False)`` and friends: a decorator that changes nothing."""
    return _identity


locals = returns = exceptval = boundscheck = wraparound = cdivision = nonecheck = _directive


def declare(_type=None, value=None, **_kwargs):
    return value


def cast(_type, value, **_kwargs):
    return value


def typeof(value):
    return type(value).__name__


def sizeof(_value):
    return 1
