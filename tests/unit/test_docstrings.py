"""Every public name (each module's ``__all__``) has a docstring and an example on its API page.

The API reference (docs/api/*.md, mkdocstrings) is generated from these docstrings, so a name
without one would be an empty entry; the examples (docs/examples/api_*.py) are run by
tests/docs/test_api_examples.py.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re

import griffe
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# module -> (its API page, its examples file)
MODULES = {
    "orionis": ("orionis.md", "api_orionis.py"),
    "orionis.middleware": ("middleware.md", "api_middleware.py"),
    "orionis.security": ("security.md", "api_security.py"),
    "orionis.sse": ("sse.md", "api_sse.py"),
    "orionis.testing": ("testing.md", "api_testing.py"),
    "orionis.broadcast": ("broadcast.md", "api_broadcast.py"),
}
# Data griffe cannot see as an attribute (bound by tuple unpacking): described on the page.
DESCRIBED_ON_PAGE = {("orionis", "COMPILED")}

PACKAGE = griffe.load("orionis", search_paths=[str(ROOT)], resolve_aliases=False)


def public_names() -> list[tuple[str, str]]:
    return [(m, name) for m in MODULES for name in importlib.import_module(m).__all__]


def own_docstring(obj: object) -> str | None:
    """The object's own docstring: a class must not pass on its base class's text."""
    doc = vars(obj).get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


def data_docstring(module: str, name: str) -> str | None:
    """An attribute docstring (the string literal after the assignment), through griffe."""
    inner = module.removeprefix("orionis").lstrip(".")
    member = PACKAGE[f"{inner}.{name}" if inner else name]
    try:
        target = member.final_target if member.is_alias else member
    except griffe.AliasResolutionError:
        return None
    return target.docstring.value if target.docstring else None


@pytest.mark.parametrize(("module", "name"), public_names())
def test_public_name_has_a_docstring(module: str, name: str) -> None:
    obj = getattr(importlib.import_module(module), name)
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj):
        doc = own_docstring(obj)
    elif (module, name) in DESCRIBED_ON_PAGE:
        page = (ROOT / "docs" / "api" / MODULES[module][0]).read_text()
        doc = page if f"### `{name}`" in page else None
    else:
        doc = data_docstring(module, name)
    assert doc, (
        f"{module}.{name} has no docstring: write one (a class or function: its first "
        f'statement; a constant: a """string""" on the line after it)'
    )


@pytest.mark.parametrize(("module", "name"), public_names())
def test_public_name_is_on_its_api_page_with_an_example(module: str, name: str) -> None:
    page_name, examples_name = MODULES[module]
    page = (ROOT / "docs" / "api" / page_name).read_text()
    examples = (ROOT / "docs" / "examples" / examples_name).read_text()
    directive = rf"::: {re.escape(module)}(\.\w+)*\.{re.escape(name)}\b|### `{name}`"
    listed = rf"^\s+members: \[.*\b{re.escape(name)}\b"  # a member of a module directive
    assert re.search(directive, page) or re.search(listed, page, re.M), (
        f"docs/api/{page_name} does not document {module}.{name}: add '::: {module}.{name}'"
    )
    sections = re.findall(r"--8<-- \[start:(\w+)\](.*?)--8<-- \[end:\1\]", examples, re.S)
    shown = "".join(body for _, body in sections)  # only what the page includes
    assert re.search(rf"\b{re.escape(name)}\b", shown), (
        f"no example uses {module}.{name}: "
        f"use it in a --8<-- section of docs/examples/{examples_name}"
    )
