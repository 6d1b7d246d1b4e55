"""MkDocs hook: pages may show files that live outside docs/ (the benchmark chart).

``docs/benchmarks.md`` links ``../benchmarks/results/latest.png`` so the image also shows on
GitHub; the site copies that file to ``repo/benchmarks/results/latest.png`` and points the link
there. A listed file that does not exist fails the build (no silent broken image).
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ("benchmarks/results/",)  # repository folders whose files pages may link with ../
_LINK = re.compile(r"\]\(\.\./((?:" + "|".join(map(re.escape, SHARED)) + r")[^)\s]+)\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    depth = page.file.src_uri.count("/")
    prefix = "../" * depth

    def rewrite(match: re.Match[str]) -> str:
        path = match.group(1)
        source = ROOT / path
        if not source.is_file():
            raise FileNotFoundError(f"{page.file.src_uri} links ../{path}, which does not exist")
        uri = f"repo/{path}"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, abs_src_path=str(source)))
        return f"]({prefix}{uri})"

    return _LINK.sub(rewrite, markdown)
