"""Build the compiled twins of the hot-path modules.

Each module in ``orionis/_hot`` is ordinary Python in Cython's pure-Python mode. It is built a
second time as ``<name>_c`` so both stay importable side by side (see docs/architecture.md).
There is no ``optional=True``: a compiler failure must fail the install, not fall back quietly.
"""

import ast
import pathlib

from Cython.Build import cythonize
from setuptools import Extension, setup


def _hot_modules() -> list[str]:
    """``MODULE_NAMES`` from ``orionis/_hot/__init__.py``, the one list of compiled modules
    (read, not imported: the package's dependencies may not be installed yet)."""
    source = pathlib.Path(__file__).with_name("orionis") / "_hot" / "__init__.py"
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "MODULE_NAMES" for target in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise RuntimeError(f"{source} has no MODULE_NAMES = (...) tuple")


HOT_MODULES = _hot_modules()

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
