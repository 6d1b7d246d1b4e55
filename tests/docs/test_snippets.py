"""Every ```python block in docs/ compiles; blocks marked ``<!-- run -->`` are executed.

The convention (docs/howto/writing-docs.md): a block is either included from a tested file
in docs/examples/ (``--8<-- "file.py:section"``, the tutorial and the API reference), or
written inline. Inline blocks must at least compile (fragments are fine: ``...`` bodies,
undefined names, top-level ``await``); a block whose line before the fence is
``<!-- run -->`` must also run on its own (``exec`` in a fresh namespace, in a temporary
directory) without raising.
"""

from __future__ import annotations

import ast
import os
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
RUN = "<!-- run -->"


def blocks() -> list[tuple[str, int, str, bool]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text()
        for match in FENCE.finditer(text):
            body = match.group("body")
            if "--8<--" in body:
                continue  # included from docs/examples/, which tests/docs/ runs
            indent = match.group("indent")
            body = "\n".join(line.removeprefix(indent) for line in body.splitlines())
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
            found.append((str(page.relative_to(DOCS)), line, body, before == RUN))
    return found


BLOCKS = blocks()


def test_there_are_blocks_of_each_kind() -> None:
    assert len(BLOCKS) > 20 and any(run for *_, run in BLOCKS)


@pytest.mark.parametrize(
    ("page", "line", "body", "run"), BLOCKS, ids=[f"{p}:{n}" for p, n, *_ in BLOCKS]
)
def test_python_block(page: str, line: int, body: str, run: bool, tmp_path: pathlib.Path) -> None:
    # a SyntaxError names the page and line; top-level await is fine in a fragment
    code = compile(body, f"docs/{page}:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if run:
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            exec(code, {"__name__": f"docs_snippet_{line}"})
        finally:
            os.chdir(cwd)
