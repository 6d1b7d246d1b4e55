"""Files from disk: ``FileResponse`` and the ``PreparedFile`` it becomes for one request.

``FileResponse`` is resolved where the response is made (``ErrorBoundary.prepare_file``, in
the I/O pool: it stats), against the request's preconditions (``orionis.preconditions``) and
``Range`` (``orionis.ranges``); adapters only send the ``PreparedFile``: RSGI with
``response_file``/``response_file_range``, ASGI with ``pathsend`` when offered, else chunks.
Also importable from ``orionis.responses`` and ``orionis``.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import os
import stat
from typing import TYPE_CHECKING
from urllib.parse import quote

from orionis.preconditions import NOT_MODIFIED_HEADERS
from orionis.preconditions import evaluate as _preconditions
from orionis.ranges import if_range_ok, parse_range
from orionis.responses import HeadersInput, Response, ResponseKind

if TYPE_CHECKING:
    from orionis.requests import Request

__all__ = ["FileResponse", "PreparedFile"]

class PreparedFile(Response):
    """A ``FileResponse`` resolved for one request: status, headers (with the length) and the
    byte range to send. ``ErrorBoundary.prepare_file`` produces it; adapters only execute it."""

    kind = ResponseKind.PREPARED_FILE

    def __init__(
        self,
        status_code: int,
        raw_headers: list[tuple[str, str]],
        path: str | None,  # None: no body (304, 416)
        start: int = 0,
        end: int = 0,  # exclusive
        size: int = 0,
    ) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.body = b""
        self.path = path
        self.start = start
        self.end = end
        self.size = size

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == self.size


class FileResponse(Response):
    """Send a file from disk, with ``ETag``, ``Last-Modified``, conditional GETs and ``Range``.

    One byte range is honoured (``bytes=0-99``, ``bytes=100-``, ``bytes=-100``); a request
    for several ranges gets the whole file with 200, which RFC 9110 allows. The file is
    checked when the response is sent, not when it is created.
    """

    kind = ResponseKind.FILE
    chunk_size = 64 * 1024

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: HeadersInput = None,
        media_type: str | None = None,
        filename: str | None = None,
        content_disposition_type: str = "attachment",
        *,
        directory: str | os.PathLike[str] | None = None,
        cache_control: str | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.filename = filename
        self.directory = None if directory is None else os.fspath(directory)
        if media_type is None:
            guess_from = filename or self.path
            media_type = mimetypes.guess_type(guess_from)[0] or "application/octet-stream"
        super().__init__(None, status_code, headers, media_type)
        if filename is not None:
            self.raw_headers.append(
                ("content-disposition", _content_disposition(content_disposition_type, filename))
            )
        if cache_control is not None:
            self.raw_headers = [h for h in self.raw_headers if h[0] != "cache-control"]
            self.raw_headers.append(("cache-control", cache_control))

    def _confined(self) -> str:
        """The path to send: with ``directory``, the real path (symlinks resolved), which must
        lie inside the real directory; a relative ``path`` is taken from the directory."""
        directory = self.directory
        if directory is None:
            return self.path
        try:
            root = os.path.realpath(directory)
            target = os.path.realpath(os.path.join(root, self.path))
        except ValueError as exc:  # a NUL byte
            raise FileNotFoundError(f"{self.path!r} cannot name a file") from exc
        if os.path.commonpath((root, target)) != root:
            raise FileNotFoundError(f"{self.path!r} resolves outside {directory!r}")
        return target

    def prepare(self, request: Request) -> PreparedFile:
        """Decide status, headers and byte range for ``request``. Blocking (it stats the
        file): run it in the thread pool. Raises ``OSError``, ``ValueError``, or
        ``HTTPException`` (412: a precondition failed)."""
        path = self._confined()
        try:
            st = os.stat(path)
        except ValueError as exc:  # a NUL byte in a path built from user input
            raise FileNotFoundError(f"{self.path!r} cannot name a file") from exc
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(f"{self.path} is not a regular file")
        size = st.st_size
        etag = (
            '"'
            + hashlib.md5(f"{st.st_mtime_ns}-{size}".encode(), usedforsecurity=False).hexdigest()
            + '"'
        )
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        headers = [
            h for h in self.raw_headers if h[0] not in ("content-length", "transfer-encoding")
        ]
        headers.append(("etag", etag))
        headers.append(("last-modified", last_modified))
        headers.append(("accept-ranges", "bytes"))
        request_headers = request.headers

        if self.status_code == 200:
            outcome = _preconditions(request_headers, request.method, etag, st.st_mtime)
            if outcome == 304:
                keep = NOT_MODIFIED_HEADERS
                return PreparedFile(304, [h for h in headers if h[0] in keep], None)
            if outcome == 412:
                from orionis.exceptions import HTTPException  # it imports this module

                raise HTTPException(
                    412,
                    "The file does not meet the request's preconditions (If-Match, "
                    "If-Unmodified-Since or If-None-Match); fetch it again for its current ETag.",
                )

        status = self.status_code
        start, end = 0, size
        range_header = request_headers.get("range")
        if (
            range_header is not None
            and status == 200
            and request.method in ("GET", "HEAD")
            and if_range_ok(request_headers.get("if-range"), etag, last_modified)
        ):
            byte_range = parse_range(range_header, size)
            if byte_range == "unsatisfiable":
                headers = [h for h in headers if h[0] != "content-type"]
                headers.append(("content-range", f"bytes */{size}"))
                headers.append(("content-length", "0"))
                return PreparedFile(416, headers, None)
            if byte_range is not None:
                start, end = byte_range
                status = 206
                headers.append(("content-range", f"bytes {start}-{end - 1}/{size}"))
        headers.append(("content-length", str(end - start)))
        return PreparedFile(status, headers, path, start, end, size)


def _content_disposition(kind: str, filename: str) -> str:
    quoted = quote(filename, safe="")
    if quoted == filename:
        return f'{kind}; filename="{filename}"'
    ascii_name = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=utf-8''{quoted}"
