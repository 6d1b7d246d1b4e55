"""``TestClient``: an ``httpx.Client`` that serves requests from an app in-process.

The same test runs under both protocols by switching ``interface``; the transport drives the
real adapter. Lifespan runs on ``with`` enter and exit, the way each server runs it: for RSGI,
``__rsgi_init__``/``__rsgi_del__`` get the event loop while it is stopped (as under
``granian`` on the command line); for ASGI, lifespan messages flow while it runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Iterator
from typing import Any, Literal

import httpx

from orionis.exceptions import LifespanError
from orionis.testing.servers import ASGIServer, Exchange, RSGIServer, ServerError
from orionis.testing.websocket import WebSocketTestSession

__all__ = ["TestClient"]

Interface = Literal["asgi", "rsgi"]

_LIFESPAN_TIMEOUT = 30.0
_CLOSE_TIMEOUT = 5.0


class _LoopThread:
    """An event loop run in a daemon thread, with ``call`` to run coroutines on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.loop.run_forever, name="orionis-testclient", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self._thread = None

    def submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Any, timeout: float | None = None) -> Any:
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        self.stop()
        if not self.loop.is_closed():
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()


class _BodyStream(httpx.SyncByteStream):
    """The response body as the app produces it; closing early is a client disconnect."""

    def __init__(self, transport: _Transport, ex: Exchange, future: Any) -> None:
        self._transport = transport
        self._ex = ex
        self._future = future
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        while not self._finished:
            event = self._ex.events.get()
            if event[0] == "body":
                yield event[1]
            elif event[0] == "end":
                self._wait_app()
            elif event[0] == "done":
                self._finished = True
                self._transport.raise_if_needed(event[1])

    def _wait_app(self) -> None:
        # The response is complete; also wait for the app to return, so side effects after
        # the response (and exceptions) are visible to the test.
        while True:
            event = self._ex.events.get()
            if event[0] == "done":
                self._finished = True
                self._transport.raise_if_needed(event[1])
                return

    def close(self) -> None:
        if self._finished:
            return
        self._finished = True
        loop = self._transport.portal.loop
        disconnected = self._ex.disconnected
        if disconnected is not None:
            loop.call_soon_threadsafe(disconnected.set)
        try:
            self._future.result(_CLOSE_TIMEOUT)
        except concurrent.futures.TimeoutError:
            self._future.cancel()
        except Exception:
            pass  # the client already left; nobody to tell


async def _leave(ex: Exchange) -> None:
    # The "disconnect" test option: the client goes away once the event is set (the app's
    # own code may set it, e.g. a handler that has started waiting).
    assert ex.disconnected is not None
    await ex.leave.wait()
    ex.disconnected.set()


class _Transport(httpx.BaseTransport):
    def __init__(self, server: ASGIServer | RSGIServer, portal: _LoopThread, raise_exc: bool):
        self.server = server
        self.portal = portal
        self.raise_exc = raise_exc

    def raise_if_needed(self, exc: BaseException | None) -> None:
        if exc is not None and (self.raise_exc or isinstance(exc, ServerError)):
            raise exc

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.portal.start()
        ex = Exchange(request=request, body=request.read())
        ex.options()

        async def run() -> None:
            ex.disconnected = asyncio.Event()
            ex.complete = asyncio.Event()
            error: BaseException | None = None
            leaving = None if ex.leave is None else asyncio.ensure_future(_leave(ex))
            try:
                await self.server.run(ex)
            except BaseException as exc:  # reported to the test thread, not lost
                error = exc
            finally:
                if leaving is not None:
                    leaving.cancel()
                ex.events.put(("done", error))

        future = self.portal.submit(run())
        while True:
            event = ex.events.get()
            if event[0] == "start":
                _, status, headers = event
                return httpx.Response(
                    status,
                    # as on the wire: header bytes are Latin-1
                    headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                    stream=_BodyStream(self, ex, future),
                    request=request,
                )
            if event[0] == "done":
                self.raise_if_needed(event[1])
                if event[1] is None and ex.disconnected is not None and ex.disconnected.is_set():
                    raise httpx.ReadError("the client disconnected (test option 'disconnect')")
                if event[1] is None:
                    raise ServerError("the application returned without sending a response")
                # Like a real server when the app crashes before answering.
                return httpx.Response(500, content=b"Internal Server Error", request=request)


class TestClient(httpx.Client):
    """``with TestClient(app, interface="rsgi") as client: client.get("/")``.

    ``interface``: ``"asgi"`` or ``"rsgi"``. ``server`` picks which ASGI server to imitate
    (``"granian"``: string ports and ``http.response.pathsend``; ``"uvicorn"``: neither).
    ``http_version="2"`` imitates HTTP/2 (on RSGI the host then arrives as ``authority``).
    ``raise_server_exceptions=False`` turns an app crash into a 500 instead of raising.

    Per-request test options go in ``extensions={"orionis": {...}}``:
    ``{"truncate": n}`` delivers only ``n`` body bytes and then behaves as if the client left;
    ``{"target": "*"}`` sends the request target ``*`` (``OPTIONS *``) instead of the URL's path.
    ``{"stall": n}`` delivers only ``n`` body bytes and then nothing more, ever (a client gone
    quiet; ``"stalled": threading.Event()`` is set once the app waits for the rest);
    ``{"disconnect": asyncio.Event()}`` makes the client leave once the event is set (set it
    from app code, e.g. in a handler that then waits): the request raises ``httpx.ReadError``
    if the app sends no response, as a client that hung up would never see one;
    ``{"piece": n}`` delivers the body in ``n``-byte pieces; ``{"record": []}`` collects a
    ``"read"`` per body read the app makes (and ``"watch"`` when an RSGI app starts watching
    for a disconnect); ``{"pause": True}`` makes every body read wait one loop pass, as a real
    server's does; ``{"authority": "host"}`` (HTTP/2) sends an ``:authority`` besides the
    Host header.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Any,
        interface: Interface = "asgi",
        *,
        base_url: str = "http://testserver",
        server: Literal["granian", "uvicorn"] = "granian",
        http_version: str = "1.1",
        raise_server_exceptions: bool = True,
        client: tuple[str, int] = ("127.0.0.1", 50000),
        **kwargs: Any,
    ) -> None:
        if interface not in ("asgi", "rsgi"):
            raise ValueError(f"interface must be 'asgi' or 'rsgi', not {interface!r}")
        self.app = app
        self.interface = interface
        self.portal = _LoopThread()
        backend: ASGIServer | RSGIServer
        if interface == "asgi":
            backend = ASGIServer(app, server, http_version, client)
        else:
            backend = RSGIServer(app, http_version, client)
        transport = _Transport(backend, self.portal, raise_server_exceptions)
        self._backend = backend
        super().__init__(transport=transport, base_url=base_url, **kwargs)
        self._lifespan_task: concurrent.futures.Future[Any] | None = None
        self._lifespan_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._lifespan_sent: queue.Queue[dict[str, Any]] = queue.Queue()

    # -- lifespan ------------------------------------------------------------------------
    def __enter__(self) -> TestClient:
        super().__enter__()
        if self.interface == "rsgi":
            if self.portal.running:
                self.portal.stop()
            self.app.__rsgi_init__(self.portal.loop)  # loop stopped, as under the Granian CLI
            self.portal.start()
        else:
            self.portal.start()
            self._asgi_lifespan("startup")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self.interface == "rsgi":
                self.portal.stop()
                self.app.__rsgi_del__(self.portal.loop)
            else:
                self._asgi_lifespan("shutdown")
        finally:
            self.portal.close()
            super().__exit__(*exc_info)

    def close(self) -> None:
        self.portal.close()
        super().close()

    def _asgi_lifespan(self, phase: str) -> None:
        if phase == "startup":
            self._lifespan_queue = self.portal.call(self._make_queue())

            async def receive() -> dict[str, Any]:
                assert self._lifespan_queue is not None
                return await self._lifespan_queue.get()

            async def send(message: dict[str, Any]) -> None:
                self._lifespan_sent.put(message)

            scope = {
                "type": "lifespan",
                "asgi": {"version": "3.0", "spec_version": "2.4"},
                "state": {},
            }
            self._lifespan_task = self.portal.submit(self.app(scope, receive, send))
        assert self._lifespan_queue is not None and self._lifespan_task is not None
        queue_ = self._lifespan_queue
        self.portal.loop.call_soon_threadsafe(queue_.put_nowait, {"type": f"lifespan.{phase}"})
        try:
            message = self._lifespan_sent.get(timeout=_LIFESPAN_TIMEOUT)
        except queue.Empty:
            raise LifespanError(f"the application did not answer lifespan.{phase}") from None
        if message["type"] == "lifespan.startup.failed":
            raise LifespanError(message.get("message") or "startup failed")
        if phase == "shutdown":
            self._lifespan_task.result(_LIFESPAN_TIMEOUT)

    @staticmethod
    async def _make_queue() -> asyncio.Queue[dict[str, Any]]:
        return asyncio.Queue()

    # -- WebSockets (orionis.testing.websocket) -----------------------------------------
    def websocket_connect(
        self,
        path: str,
        subprotocols: list[str] | None = None,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> WebSocketTestSession:
        """``with client.websocket_connect("/ws") as ws:``; a refusal raises ``WebSocketDenied``.

        Sends the client's default headers too (``headers=`` adds or replaces them).
        """
        url = self._merge_url(path)
        merged = httpx.Headers(self.headers)
        merged.update(httpx.Headers(headers or {}))
        pairs = [(k, v) for k, v in merged.multi_items() if k not in ("accept-encoding",)]
        return WebSocketTestSession(self.portal, self._backend, url, pairs, subprotocols or [])
