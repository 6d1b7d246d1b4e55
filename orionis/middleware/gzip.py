"""Compress responses for clients that accept it: gzip (stdlib), brotli and zstd (extras).

    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)

The encoding follows the request's ``Accept-Encoding`` with its q-values (``q=0`` refuses an
encoding, ``*`` stands for the ones not named, ``identity`` is always acceptable); among
equally preferred ones, zstd, then brotli, then gzip, where the optional packages are
installed (``pip install orionis[brotli]``, ``orionis[zstd]``). Left alone: bodies under
``minimum_size`` bytes, responses that already have a ``Content-Encoding``, a
``Content-Range`` or ``Cache-Control: no-transform``, ``text/event-stream``, HEAD, 204, 206
and 304 answers, and files (``FileResponse`` is sent by the server from disk, with ranges).

A compressed answer gets ``Content-Encoding``, ``Vary: Accept-Encoding`` (merged with an
existing ``Vary``), no ``Content-Length`` for streams (the adapters frame in-memory bodies),
and a strong ``ETag`` made weak. Every answer that could have been compressed gets the
``Vary`` too, so caches keep the variants apart. ``StreamingResponse`` bodies are compressed
chunk by chunk and flushed after each, so every chunk reaches the client when it is produced
and memory stays bounded by one chunk plus the compressor's window.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from orionis.concurrency import run_in_threadpool
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response, ResponseKind, StreamingResponse

try:  # optional extras
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None
try:
    import zstandard
except ImportError:  # pragma: no cover
    zstandard = None

__all__ = ["GZipMiddleware", "choose_encoding"]

MAX_ACCEPT_ENCODING = 1024
# Bodies (and stream chunks) larger than this are compressed in the thread pool, so a
# large answer does not stall the event loop.
THREADPOOL_THRESHOLD = 256 * 1024

AVAILABLE = tuple(
    name
    for name, present in (("zstd", zstandard), ("br", brotli), ("gzip", True))
    if present is not None
)


def choose_encoding(accept: str | None, available: tuple[str, ...] = AVAILABLE) -> str | None:
    """The best of ``available`` (in server preference order) that ``accept`` allows."""
    if not accept or len(accept) > MAX_ACCEPT_ENCODING:
        return None
    named: dict[str, float] = {}
    wildcard: float | None = None
    for item in accept.split(",")[:32]:
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding == "x-gzip":
            coding = "gzip"
        q = 1.0
        params = params.strip()
        if params:
            name, _, value = params.partition("=")
            if name.strip().lower() != "q":
                continue
            try:
                q = float(value.strip())
            except ValueError:
                continue
            if not 0.0 <= q <= 1.0:
                continue
        if coding == "*":
            wildcard = q
        elif coding:
            named[coding] = max(q, named.get(coding, 0.0))
    best, best_q = None, 0.0
    for coding in available:
        q = named.get(coding, wildcard if wildcard is not None else 0.0)
        if q > best_q:
            best, best_q = coding, q
    return best


class _Compressor:
    """One encoding's incremental compressor: ``compress(chunk)`` returns flushed bytes."""

    def __init__(self, coding: str, level: int) -> None:
        if coding == "gzip":
            zobj = zlib.compressobj(level, zlib.DEFLATED, 31)
            self._step: Callable[[bytes], bytes] = lambda data: (
                zobj.compress(data) + zobj.flush(zlib.Z_SYNC_FLUSH)
            )
            self._end: Callable[[], bytes] = zobj.flush
        elif coding == "br":
            bobj = brotli.Compressor(quality=4)  # brotli's fast levels suit dynamic content
            self._step = lambda data: bobj.process(data) + bobj.flush()
            self._end = bobj.finish
        else:
            cobj = zstandard.ZstdCompressor(level=3).compressobj()
            self._step = lambda data: (
                cobj.compress(data) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            )
            self._end = cobj.flush

    def compress(self, data: bytes) -> bytes:
        return self._step(data)

    def finish(self) -> bytes:
        return self._end()

    def whole(self, data: bytes) -> bytes:
        return self._step(data) + self._end()


class GZipMiddleware(Middleware):
    """See the module docstring."""

    def __init__(self, minimum_size: int = 500, compresslevel: int = 6) -> None:
        if not 1 <= compresslevel <= 9:
            raise ValueError(f"compresslevel must be 1 (fast) to 9 (small), not {compresslevel}")
        if minimum_size < 0:
            raise ValueError(f"minimum_size must be 0 or more bytes, not {minimum_size}")
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        response = await call_next()
        kind = response.kind
        if request.method == "HEAD" or (kind != ResponseKind.BODY and kind != ResponseKind.STREAM):
            return response
        status = response.status_code
        if status < 200 or status == 204 or status == 206 or status == 304:
            return response
        raw = response.raw_headers
        length: str | None = None
        for name, value in raw:
            if name in ("content-encoding", "content-range"):
                return response
            if name == "content-type" and value[:17].lower() == "text/event-stream":
                return response
            if name == "cache-control" and "no-transform" in value.lower():
                return response
            if name == "content-length":
                length = value.strip()
        if kind == ResponseKind.BODY:
            if len(response.body) < self.minimum_size:
                return response
        elif length is not None and length.isdigit() and int(length) < self.minimum_size:
            return response
        _add_vary(raw)
        coding = choose_encoding(", ".join(request._header_values("accept-encoding")))
        if coding is None:
            return response
        compressor = _Compressor(coding, self.compresslevel)
        if kind == ResponseKind.BODY:
            body = response.body
            if len(body) > THREADPOOL_THRESHOLD:
                compressed = await run_in_threadpool(compressor.whole, body)
            else:
                compressed = compressor.whole(body)
            if len(compressed) >= len(body):
                return response  # incompressible: the original is smaller
            response.body = compressed
        else:
            stream: Any = response
            source = StreamingResponse(stream.body_iterator)
            source.charset = response.charset
            stream.body_iterator = _Compressed(source, compressor)
        _mark_encoded(response, coding)
        return response


class _Compressed:
    """A stream's chunks compressed and flushed one by one.

    ``aclose`` closes the source iterable even if no chunk was asked for yet (a client that
    left before the first one), which an async generator's ``aclose`` would not do.
    """

    def __init__(self, source: StreamingResponse, compressor: _Compressor) -> None:
        self._source = source
        self._chunks = source.iter_chunks()
        self._compressor = compressor
        self._started = self._done = False

    def __aiter__(self) -> _Compressed:
        return self

    async def __anext__(self) -> bytes:
        while not self._done:
            self._started = True
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._done = True
                tail = self._compressor.finish()
                if tail:
                    return tail
                break
            if len(chunk) > THREADPOOL_THRESHOLD:
                data = await run_in_threadpool(self._compressor.compress, chunk)
            else:
                data = self._compressor.compress(chunk)
            if data:
                return data
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self._done = True
        await self._chunks.aclose()  # a started generator closes the source itself
        if not self._started:
            await self._source.aclose()


def _mark_encoded(response: Response, coding: str) -> None:
    headers = []
    for name, value in response.raw_headers:
        if name == "content-length":
            continue  # streams lose it; in-memory bodies are framed by the adapters
        if name == "etag" and not value.lstrip().startswith("W/"):
            value = "W/" + value.strip()
        headers.append((name, value))
    headers.append(("content-encoding", coding))
    response.raw_headers = headers


def _add_vary(raw: list[tuple[str, str]]) -> None:
    first = None
    for i, (name, value) in enumerate(raw):
        if name == "vary":
            tokens = {v.strip().lower() for v in value.split(",")}
            if "*" in tokens or "accept-encoding" in tokens:
                return
            if first is None:
                first = i
    if first is None:
        raw.append(("vary", "Accept-Encoding"))
    else:
        value = raw[first][1]
        raw[first] = ("vary", f"{value}, Accept-Encoding" if value.strip() else "Accept-Encoding")
