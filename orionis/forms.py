"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

Multipart bodies are parsed by python-multipart while they stream in, so an upload never has
to fit in memory: file parts go to a ``SpooledTemporaryFile`` that moves to disk past
``FormLimits.spool_size``. Limits on the number of parts, the size of a text field and the
size of a file answer 413; a malformed body answers 422. Files are closed (and temporary
files deleted) after the response is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from orionis import _hot
from orionis.concurrency import run_io
from orionis.datastructures import Headers, MultiDict
from orionis.exceptions import HTTPException, RequestValidationError

__all__ = ["FormData", "FormLimits", "UploadFile", "parse_form"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class FormLimits:
    """Bounds for form parsing; ``Application(form_limits=FormLimits(...))`` changes them."""

    max_parts: int = 1000
    max_field_size: int = 1024 * 1024  # a text field, in bytes
    max_file_size: int | None = None  # a file part, in bytes; None: only max_body_size applies
    spool_size: int = 1024 * 1024  # file parts larger than this move from memory to disk
    max_urlencoded_size: int = 2 * 1024 * 1024  # a whole urlencoded body, read into memory


class UploadFile:
    """An uploaded file. Use ``await read()``/``seek()``, or the blocking ``file`` object."""

    def __init__(
        self,
        file: BinaryIO,
        *,
        filename: str | None = None,
        headers: Headers | None = None,
        size: int = 0,
    ) -> None:
        self.file = file
        self.filename = filename
        self.headers = headers if headers is not None else Headers()
        self.size = size

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def _in_memory(self) -> bool:
        return not getattr(self.file, "_rolled", True)

    async def _io(self, method: Callable[..., _T], *args: Any) -> _T:
        """Call a file method: directly while the spool is in memory (it cannot block),
        in Orionis' I/O pool once it has moved to disk (not behind user code)."""
        if self._in_memory:
            return method(*args)
        return await run_io(method, *args)

    async def read(self, size: int = -1) -> bytes:
        return await self._io(self.file.read, size)

    async def seek(self, offset: int) -> None:
        await self._io(self.file.seek, offset)

    async def write(self, data: bytes) -> None:
        await self._io(self.file.write, data)
        self.size += len(data)

    async def close(self) -> None:
        await self._io(self.file.close)

    def __repr__(self) -> str:
        return f"UploadFile(filename={self.filename!r}, size={self.size})"


FormValue = str | UploadFile


class FormData(MultiDict[FormValue]):
    """Form fields and ``UploadFile``s in order, repeats kept (see ``MultiDict``)."""

    __slots__ = ()

    async def close(self) -> None:
        for _, value in self._list:
            if isinstance(value, UploadFile):
                await value.close()


def _invalid(message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ["body"], "type": "form_invalid", "msg": message}])


async def parse_form(
    content_type: str | None, chunks: AsyncIterator[bytes], limits: FormLimits
) -> FormData:
    """Parse a form body from its ``Content-Type`` and chunks (see module docstring)."""
    # python-multipart is imported with the first form, not with every app
    from python_multipart.multipart import parse_options_header

    media, options = parse_options_header(content_type or "")
    if not media:
        async for chunk in chunks:
            if chunk:  # a body without a Content-Type is not a form (stop reading here)
                break
        else:
            return FormData()  # no body at all is an empty form: defaults apply
    elif media == b"application/x-www-form-urlencoded":
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:  # counted as it arrives: max_body_size may be None
            size += len(chunk)
            if size > limits.max_urlencoded_size:
                raise HTTPException(
                    413, f"The form is larger than {limits.max_urlencoded_size} bytes."
                )
            parts.append(chunk)
        pairs = _hot.urls.parse_query(b"".join(parts).decode("utf-8", "replace"))
        if len(pairs) > limits.max_parts:
            raise HTTPException(413, f"The form has more than {limits.max_parts} fields.")
        for name, value in pairs:
            if len(value) > limits.max_field_size:
                raise HTTPException(413, f"Form field {name!r} is too large.")
        return FormData(pairs)  # a new list from parse_query: no copy needed
    elif media == b"multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise _invalid("The multipart Content-Type has no boundary.")
        return await _MultipartReader(boundary, limits).parse(chunks)
    raise RequestValidationError(
        [
            {
                "loc": ["body"],
                "type": "content_type",
                "msg": "Expected a form body (application/x-www-form-urlencoded or "
                f"multipart/form-data), got {content_type or 'no Content-Type'}",
            }
        ]
    )


class _MultipartReader:
    """python-multipart callbacks collect events; file writes happen between chunks."""

    def __init__(self, boundary: bytes, limits: FormLimits) -> None:
        from python_multipart.multipart import MultipartParser, parse_options_header

        self.parse_options_header = parse_options_header
        self.limits = limits
        self.items: list[tuple[str, FormValue]] = []
        self.events: list[tuple[str, Any]] = []
        self.parts = 0
        self.ended = False
        self.header_field = b""
        self.header_value = b""
        self.headers: list[tuple[str, str]] = []
        self.name = ""
        self.field: bytearray | None = None
        self.upload: UploadFile | None = None
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_end": self._end,
            },
        )

    # Callbacks: no I/O here, only bookkeeping and queued events.
    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise HTTPException(413, f"The form has more than {self.limits.max_parts} parts.")
        self.headers = []

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        self.headers.append(
            (self.header_field.decode("latin-1").lower(), self.header_value.decode("latin-1"))
        )
        self.header_field = self.header_value = b""

    def _headers_finished(self) -> None:
        # Captured now: several parts may arrive in one chunk, and events run after it.
        self.events.append(("headers", self.headers))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", data[start:end]))

    def _part_end(self) -> None:
        self.events.append(("end", b""))

    def _end(self) -> None:
        self.ended = True

    async def parse(self, chunks: AsyncIterator[bytes]) -> FormData:
        from python_multipart.exceptions import MultipartParseError

        try:
            async for chunk in chunks:
                try:
                    self.parser.write(chunk)
                except MultipartParseError as exc:
                    raise _invalid(f"Malformed multipart body: {exc}") from None
                await self._apply()
            self.parser.finalize()
            await self._apply()
            if not self.ended:
                raise _invalid("The multipart body ended before its closing boundary.")
        except BaseException:
            await FormData(self.items).close()  # the files received so far
            raise
        return FormData(self.items)

    async def _apply(self) -> None:
        events, self.events = self.events, []
        for kind, data in events:
            if kind == "headers":
                self._start_part(data)
            elif kind == "data":
                await self._add_data(data)
            else:
                self._finish_part()

    def _start_part(self, headers: list[tuple[str, str]]) -> None:
        disposition = next((v for k, v in headers if k == "content-disposition"), None)
        if disposition is None:
            raise _invalid("A multipart part has no Content-Disposition header.")
        _, options = self.parse_options_header(disposition)
        name = options.get(b"name")
        if name is None:
            raise _invalid("A multipart part has no field name.")
        self.name = name.decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            self.field, self.upload = bytearray(), None
            return
        import tempfile  # with the first upload, not with every app

        # closed with the form after the response (FormData.close), not here
        spool = tempfile.SpooledTemporaryFile(max_size=self.limits.spool_size)  # noqa: SIM115
        self.upload = UploadFile(
            spool,  # type: ignore[arg-type]
            filename=filename.decode("utf-8", "replace"),
            headers=Headers(headers),
        )
        self.field = None
        self.items.append((self.name, self.upload))  # closed with the form, even on errors

    async def _add_data(self, data: bytes) -> None:
        if self.upload is not None:
            limit = self.limits.max_file_size
            if limit is not None and self.upload.size + len(data) > limit:
                raise HTTPException(
                    413, f"File {self.upload.filename!r} is larger than {limit} bytes."
                )
            await self.upload.write(data)
        elif self.field is not None:
            if len(self.field) + len(data) > self.limits.max_field_size:
                raise HTTPException(413, f"Form field {self.name!r} is too large.")
            self.field += data

    def _finish_part(self) -> None:
        if self.upload is not None:
            self.upload.file.seek(0)
            self.upload = None
        elif self.field is not None:
            self.items.append((self.name, self.field.decode("utf-8", "replace")))
            self.field = None
