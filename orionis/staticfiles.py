"""Serving a directory: ``app.mount_static("/static", "public")`` or ``StaticFiles``.

Each request is mapped to a file by checking every path segment before the file system is
touched: empty segments (``//``, a leading ``/``), ``.`` and ``..``, backslashes and NUL
bytes are refused, and so are dotfiles unless ``dotfiles=True``. Servers percent-decode the
path before the application sees it, so ``%2e%2e``, ``%2f`` and ``%5c`` arrive here as
``..``, ``/`` and ``\\`` and meet the same checks. Symlinks: with ``follow_symlinks=False``
(the default) any symlink under the directory is refused; with ``True`` only those whose
target stays inside it are followed. A refusal looks exactly like a missing file (404).

The file itself is sent by ``FileResponse`` (ETag, Last-Modified, 304, 412, one Range ->
206 / 416, HEAD; RSGI ``response_file`` and ASGI ``pathsend``), confined to the directory a
second time. On top of it: ``Content-Type`` from the extension (the built-in table, not the
machine's ``/etc/mime.types``, so every host answers alike), precompressed siblings
(``app.css.br``, ``app.css.gz``) chosen by ``Accept-Encoding``, and, with ``html=True``,
``index.html`` for directories, a redirect from ``/dir`` to ``/dir/`` and ``404.html``.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from orionis.concurrency import run_io
from orionis.exceptions import HTTPException
from orionis.requests import Request  # at run time: the handler's plan reads the annotation
from orionis.responses import FileResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from orionis.routing import Router

__all__ = ["StaticFiles", "media_type_for"]

# Precompressed siblings, in the order a tie between equal q-values is broken (br is smaller).
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))

# A request path longer than this cannot name a file (PATH_MAX is 4096 on Linux).
_MAX_PATH = 4096

_TYPES = mimetypes.MimeTypes()  # the built-in table only: the same answer on every machine
for _ext, _type in (
    (".js", "text/javascript"),  # RFC 9239
    (".mjs", "text/javascript"),
    (".css", "text/css"),
    (".json", "application/json"),
    (".map", "application/json"),
    (".wasm", "application/wasm"),
    (".svg", "image/svg+xml"),
    (".webp", "image/webp"),
    (".avif", "image/avif"),
    (".ico", "image/vnd.microsoft.icon"),
    (".woff", "font/woff"),
    (".woff2", "font/woff2"),
    (".ttf", "font/ttf"),
    (".otf", "font/otf"),
    (".webmanifest", "application/manifest+json"),
    (".txt", "text/plain"),
    (".md", "text/markdown"),
):
    _TYPES.add_type(_type, _ext)

# What a compressed file is when asked for by its own name (``app.css.gz``).
_ENCODED_TYPES = {
    "gzip": "application/gzip",
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}


def media_type_for(name: str) -> str:
    """The ``Content-Type`` for a file name (``text/*`` get ``charset=utf-8`` when sent)."""
    media_type, encoding = _TYPES.guess_type(name, strict=False)
    if encoding is not None:  # app.css.gz requested as such is a gzip file, not CSS
        return _ENCODED_TYPES.get(encoding, "application/octet-stream")
    return media_type or "application/octet-stream"


def _accepted(header: str | None) -> dict[str, float]:
    """``{"br": q, "gzip": q}`` from ``Accept-Encoding`` (absent: nothing precompressed).

    ``*`` stands for codings not listed; ``x-gzip`` is ``gzip`` (RFC 9110 8.4.1.3); an entry
    with a malformed q-value is ignored.
    """
    if not header or len(header) > 1024:
        return {}
    listed: dict[str, float] = {}
    star: float | None = None
    for item in header.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                q = _qvalue(value.strip())
        if q < 0:
            continue
        if name == "x-gzip":
            name = "gzip"
        if name == "*":
            star = q
        elif name in ("br", "gzip"):
            listed[name] = max(q, listed.get(name, 0.0))
    if star is not None:
        for name, _ in _ENCODINGS:
            listed.setdefault(name, star)
    return listed


def _qvalue(text: str) -> float:
    """RFC 9110 12.4.2: ``0``-``1`` with at most three decimals; ``-1`` if malformed."""
    whole, dot, frac = text.partition(".")
    if whole not in ("0", "1") or len(frac) > 3 or not (frac.isdigit() or frac == ""):
        return -1.0
    if dot and not frac.isascii():
        return -1.0
    q = float(text if frac else whole)
    return q if q <= 1.0 else -1.0


class StaticFiles:
    """An endpoint serving the files under ``directory`` for GET and HEAD.

    ``StaticFiles("public").mount(router, "/static")`` registers ``/static`` and
    ``/static/{path:path}`` on any ``Router`` (or the application's own router, which is what
    ``app.mount_static`` does). ``html=True`` serves ``index.html`` for ``/dir/``, redirects
    ``/dir`` to ``/dir/`` (307, query kept) and answers misses with ``404.html`` when present.
    ``cache_control`` is sent with every file (not with 404s or redirects). ``dotfiles=True``
    serves names starting with ``.`` (off by default: ``.env``, ``.git`` leak secrets).
    The directory must exist when this object is made.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        html: bool = False,
        cache_control: str | None = None,
        follow_symlinks: bool = False,
        dotfiles: bool = False,
    ) -> None:
        shown = os.fspath(directory)
        root = os.path.realpath(shown)  # a symlinked directory itself is fine: resolved once
        if not os.path.isdir(root):
            what = "is not a directory" if os.path.exists(root) else "does not exist"
            raise ValueError(
                f"static directory {shown!r} {what} (resolved to {root!r}); create it or pass "
                "the right path, e.g. pathlib.Path(__file__).parent / 'public'"
            )
        if cache_control is not None and (
            not isinstance(cache_control, str) or not cache_control.isprintable()
        ):
            raise ValueError(
                f"cache_control must be a header value like 'max-age=3600', not {cache_control!r}"
            )
        self.directory = root
        self.html = html
        self.cache_control = cache_control
        self.follow_symlinks = follow_symlinks
        self.dotfiles = dotfiles

    def __repr__(self) -> str:
        return f"StaticFiles({self.directory!r}, html={self.html})"

    def mount(self, router: Router | Any, path: str, *, name: str | None = None) -> StaticFiles:
        """Register this endpoint on ``router`` under ``path`` (GET; HEAD answers too). ``name``
        names the file route: ``app.url_path_for(name, path="app.css")``."""
        if not isinstance(path, str) or not path.startswith("/") or any(c in path for c in "{}"):
            raise ValueError(
                f"static mount path {path!r} must be a plain path such as '/static' (no parameters)"
            )
        prefix = path.rstrip("/")
        options: dict[str, Any] = {"methods": ["GET"], "include_in_schema": False}
        if prefix:
            router.add_route(prefix, self, **options)
        router.add_route(prefix + "/{path:path}", self, name=name, **options)
        return self

    async def __call__(self, request: Request) -> Response:
        rel = request.path_params.get("path")
        found = await run_io(self._lookup, rel, request.headers.get("accept-encoding"))
        if found is None:
            raise HTTPException(404, "There is no file at this path.")
        if isinstance(found, str):  # a directory without its trailing slash
            last = request.path.rsplit("/", 1)[-1]
            query = request.query_string
            location = "./" + quote(last, safe="") + "/" + (f"?{query}" if query else "")
            return RedirectResponse(location, 307)
        status, path, media_type, encoding, vary = found
        headers = []
        if encoding is not None:
            headers.append(("content-encoding", encoding))
        if vary:
            headers.append(("vary", "Accept-Encoding"))
        return FileResponse(
            path,
            status,
            headers,
            media_type,
            directory=self.directory,
            cache_control=self.cache_control if status == 200 else None,
        )

    # -- blocking lookups (in the I/O pool) ----------------------------------------------
    def _lookup(self, rel: str | None, accept: str | None) -> Any:
        """``None`` (404), a ``str`` (redirect to add a slash) or ``(status, path,
        media_type, encoding, vary)``."""
        parts = self._parts(rel)
        if parts is None:
            return self._not_found(accept)
        segments, slash = parts
        target = os.path.join(self.directory, *segments)
        st = self._stat(target)
        if st is not None and stat.S_ISDIR(st.st_mode) and self.html:
            if not slash:
                return "redirect"
            target = os.path.join(target, "index.html")
            st = self._stat(target)
        elif slash and segments:  # "file.txt/" names no file
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            return self._not_found(accept)
        return self._variant(200, target, accept)

    def _not_found(self, accept: str | None) -> Any:
        if self.html:
            page = os.path.join(self.directory, "404.html")
            st = self._stat(page)
            if st is not None and stat.S_ISREG(st.st_mode):
                return self._variant(404, page, accept)
        return None

    def _variant(self, status: int, path: str, accept: str | None) -> tuple[Any, ...]:
        """The file or its best precompressed sibling the client accepts."""
        available = []
        for encoding, suffix in _ENCODINGS:
            st = self._stat(path + suffix)
            if st is not None and stat.S_ISREG(st.st_mode):
                available.append(encoding)
        media_type = media_type_for(path)
        if not available:
            return status, path, media_type, None, False
        accepted = _accepted(accept)
        best, best_q = None, 0.0
        for encoding in available:  # in _ENCODINGS order: a tie keeps br
            q = accepted.get(encoding, 0.0)
            if q > best_q:
                best, best_q = encoding, q
        if best is None:
            return status, path, media_type, None, True
        suffix = dict(_ENCODINGS)[best]
        return status, path + suffix, media_type, best, True

    def _parts(self, rel: str | None) -> tuple[list[str], bool] | None:
        """The checked segments of ``rel`` and whether it ended with ``/``; ``None`` if
        refused. ``rel`` is ``None`` for the mount point itself (``/static``)."""
        if rel is None:
            return [], False
        if len(rel) > _MAX_PATH or "\\" in rel or "\x00" in rel:
            return None
        slash = rel == "" or rel.endswith("/")
        body = rel[:-1] if rel.endswith("/") else rel
        if not body:
            return [], True
        segments = body.split("/")
        for segment in segments:
            if segment in ("", ".", "..") or (segment[0] == "." and not self.dotfiles):
                return None
        return segments, slash

    def _stat(self, path: str) -> os.stat_result | None:
        """``stat`` under the symlink policy; ``None`` for anything that cannot be served."""
        try:
            real = os.path.realpath(path)
            if self.follow_symlinks:
                root = self.directory
                if real != root and not real.startswith(root.rstrip("/") + "/"):
                    return None
            elif real != path:  # some component is a symlink (segments are already clean)
                return None
            return os.stat(real)
        except (OSError, ValueError):  # missing, ENAMETOOLONG, ELOOP, a surrogate, ...
            return None
