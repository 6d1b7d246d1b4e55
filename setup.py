"""Build the compiled twins of the hot-path modules.

Each module in ``orionis/_hot`` is ordinary Python in Cython's pure-Python mode. It is built a
second time as ``<name>_c`` so both stay importable side by side (see docs/architecture.md).
There is no ``optional=True``: a compiler failure must fail the install, not fall back quietly.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

HOT_MODULES = ["matcher", "urls", "cookies", "headers"]

extensions = [
    Extension(f"orionis._hot.{name}_c", [f"orionis/_hot/{name}.py"]) for name in HOT_MODULES
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        # the interpreted branch of `if cython.compiled:` is dead code once compiled
        compiler_directives={"warn.unreachable": False},
    ),
)
