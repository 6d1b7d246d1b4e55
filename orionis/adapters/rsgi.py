"""RSGI adapter (Granian's native interface): scope/protocol in, neutral types out.

Facts about Granian this adapter relies on (docs/architecture.md has the full list):

- The scope is an object; ``path`` is percent-decoded, ``query_string`` raw, ``client`` and
  ``server`` are ``"ip:port"`` strings, and on HTTP/2 the host is in ``authority``.
- ``await protocol()`` reads the whole body once and raises ``RSGIProtocolClosed`` if it
  ends early, but buffers without limit; iterating the protocol yields chunks and reports a
  broken body only as an empty chunk before the final one. So a body with a declared
  ``Content-Length`` (already checked against the limit) is read in one call, and one without
  is iterated with a byte count, an early empty chunk meaning "truncated" on HTTP/1.
- ``response_bytes``/``response_str`` set ``content-length`` themselves; ``response_file``
  and ``response_file_range`` do not, nor ``content-type``: the ``FilePlan`` carries them.
- ``response_stream`` has no backpressure: sending stops as soon as ``client_disconnect()``
  resolves, and that waiter is cancelled when the response ends.
- ``__rsgi_init__`` gets a stopped loop under the CLI (run startup to completion, raise to
  stop the worker) and a running one under Granian's embedded server (start startup as a
  task; requests wait for it, and get 503 if it failed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from granian.rsgi import ProtocolClosed

from orionis.datastructures import Address
from orionis.exceptions import ClientDisconnect, problem
from orionis.foundation.enums.runtimes import Runtime
from orionis.requests import ONE_SHOT_BODY, Request, two_hosts
from orionis.responses import (
    KIND_BODY,
    KIND_STREAM,
    PreparedFile,
    Response,
    StreamingResponse,
    bodyless,
    with_content_length,
)

if TYPE_CHECKING:
    from orionis.foundation.application import Application

__all__ = ["RSGIAdapter", "RSGIRequest"]

logger = logging.getLogger("orionis")


def _address(value: str | None) -> Address | None:
    # "127.0.0.1:5000" or "[::1]:5000": the port follows the last colon.
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep:
        return Address(value, 0)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return Address(host, int(port) if port.isdigit() else 0)


def _headers(request: Request, response: Response) -> list[tuple[str, str]]:
    if request._close_connection:
        return request._closing_headers(response.raw_headers)
    return response.raw_headers


class RSGIRequest(Request):
    interface = "rsgi"
    __slots__ = ("_protocol", "_rsgi_headers", "_scope")

    # Every scope attribute is a Rust -> Python conversion (50-160 ns), so only what routing
    # needs is read here; the query string and scheme are read when first asked for.
    def __init__(self, app: Application, scope: Any, protocol: Any) -> None:
        super().__init__(app)
        self._scope = scope
        self._protocol = protocol
        self._rsgi_headers: Any = None
        self.method = scope.method
        self.path = scope.path
        version = scope.http_version
        self.http_version = "1.0" if version == "1" else version

    @property  # type: ignore[override]
    def query_string(self) -> str:
        return self._scope.query_string

    @property  # type: ignore[override]
    def scheme(self) -> str:
        return self._scope.scheme

    def _native_headers(self) -> Any:
        headers = self._rsgi_headers
        if headers is None:
            headers = self._rsgi_headers = self._scope.headers
        return headers

    def _raw_headers(self) -> list[tuple[str, str]]:
        items = self._native_headers().items()
        if self.http_version == "2":
            authority = self._scope.authority
            if authority is not None and "host" not in self._native_headers():
                # As Granian's ASGI side does: the host is a header on both protocols.
                items = [("host", authority), *items]
        return items

    def _authority(self) -> str | None:
        # Granian also sets it for absolute-form HTTP/1 targets; ASGI cannot see those, so
        # only HTTP/2's :authority is used (HTTP/1 relies on Host, as under ASGI).
        return self._scope.authority if self.http_version == "2" else None

    def _native_header_values(self, name: str) -> list[str]:
        values = self._native_headers().get_all(name)
        if name == "host" and not values and self.http_version == "2":
            authority = self._scope.authority
            if authority is not None:
                return [authority]
        return values

    def _declares_framing(self) -> bool:
        headers = self._native_headers()
        return "content-length" in headers or "transfer-encoding" in headers

    def _peer(self) -> tuple[Address | None, Address | None]:
        return _address(self._scope.client), _address(self._scope.server)

    async def _read_body(self, length: int | None) -> bytes:
        if length is None or (length > ONE_SHOT_BODY and self.body_timeout is not None):
            # Chunk by chunk, so body_timeout measures progress rather than the whole upload.
            return await super()._read_body(length)
        # Declared, small (or without a timeout) and within the limit (checked by the
        # caller): one call, which raises if the body ends early, and a length check in case
        # it ever stops raising.
        try:
            body = await self._timed(self._protocol())
        except ProtocolClosed:
            self._close_connection = True
            raise ClientDisconnect() from None
        if len(body) != length:
            self._close_connection = True
            raise ClientDisconnect()
        return body

    async def _chunks(self) -> AsyncIterator[bytes]:
        # Granian turns a body error into an empty chunk followed by the usual final empty
        # one. HTTP/2 ends clean bodies the same way, so the check is HTTP/1 only.
        strict = self.http_version != "2"
        seen_empty = False
        try:
            async for chunk in self._protocol:
                if not chunk:
                    if seen_empty and strict:
                        raise ClientDisconnect()
                    seen_empty = True
                    continue
                if seen_empty and strict:
                    raise ClientDisconnect()
                yield chunk
        except ProtocolClosed:
            raise ClientDisconnect() from None


class RSGIAdapter:
    """Turns RSGI calls into calls on the application's neutral pipeline."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._starting: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[Any] | None = None
        self._failed = False

    # -- lifespan ------------------------------------------------------------------------
    def init(self, loop: asyncio.AbstractEventLoop) -> None:
        if not loop.is_running():
            # Raising here makes Granian's worker exit non-zero: the intended outcome.
            loop.run_until_complete(self.app.startup(Runtime.HTTP))
        elif self.app.running is None:
            # Embedded server: Granian calls this from inside a coroutine and cannot await
            # it. Start in the background; requests wait for it (503 if it fails). Awaiting
            # app.startup() before serve() instead makes a failure stop the program.
            self._starting = loop.create_task(self.app.startup(Runtime.HTTP))

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        if not loop.is_running():
            loop.run_until_complete(self.app.shutdown(Runtime.HTTP))
        else:
            # Embedded server: as above. ``await app.shutdown()`` after serve() waits for
            # this to finish (it is idempotent).
            self._stopping = loop.create_task(self.app.shutdown(Runtime.HTTP))

    async def _started(self) -> bool:
        starting = self._starting
        if starting is not None:
            try:
                await asyncio.shield(starting)
            except Exception:  # logged by startup()
                self._failed = True
            self._starting = None
        return not self._failed

    # -- requests ------------------------------------------------------------------------
    async def __call__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            # No WebSocket routes yet: refuse the upgrade before accepting it.
            protocol.close(403)
            return
        if (self._starting is not None or self._failed) and not await self._started():
            response = problem(503, "The application failed to start.")
            protocol.response_bytes(503, response.raw_headers, response.body)
            return
        request = RSGIRequest(self.app, scope, protocol)
        try:  # finalize even if the task is cancelled mid-request
            if request.http_version != "2" or not request._host_conflict():
                response = await self.app.dispatch(request)
            else:
                response = two_hosts()
            kind = response.kind
            if kind == KIND_BODY:
                self._send_body(request, response, protocol)
            elif kind == KIND_STREAM:
                await self._send_stream(request, response, protocol)  # type: ignore[arg-type]
            else:
                self._send_file(request, response, protocol)  # type: ignore[arg-type]
        finally:
            if request.needs_finalize:
                await request.finalize()
            # What the handler raised holds the request in its traceback: drop it, so the
            # request and the server's objects go now, not at a cyclic GC (which may never
            # come during a graceful shutdown, and Granian waits for them).
            request._error = None

    def _send_body(self, request: Request, response: Response, protocol: Any) -> None:
        status = response.status_code
        headers = _headers(request, response)
        if bodyless(status, request.method):
            # response_empty adds no content-length; a HEAD answer still announces it
            headers = with_content_length(status, headers, response.body)
            protocol.response_empty(status, headers)
        else:
            protocol.response_bytes(status, headers, response.body)

    def _send_file(self, request: Request, plan: PreparedFile, protocol: Any) -> None:
        headers = _headers(request, plan)
        if plan.path is None or request.method == "HEAD":
            protocol.response_empty(plan.status_code, headers)
        elif plan.whole:
            protocol.response_file(plan.status_code, headers, plan.path)
        else:
            protocol.response_file_range(plan.status_code, headers, plan.path, plan.start, plan.end)

    async def _send_stream(
        self, request: Request, response: StreamingResponse, protocol: Any
    ) -> None:
        status = response.status_code
        if bodyless(status, request.method):
            await response.aclose()
            protocol.response_empty(status, response.raw_headers)
            return
        transport = protocol.response_stream(status, _headers(request, response))
        # The waiter outlives the request on keep-alive connections: always cancel it.
        gone = asyncio.ensure_future(protocol.client_disconnect())
        try:
            async for chunk in response.chunks_until(gone):
                await transport.send_bytes(chunk)
        except ProtocolClosed:
            pass  # the client left while we were sending
        finally:
            gone.cancel()
