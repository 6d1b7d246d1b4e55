"""Server-sent events: ``EventSourceResponse`` streams ``ServerSentEvent``s as they are yielded.

```python
@app.get("/events")
async def events(request: Request):
    async def gen():
        yield ServerSentEvent(data="hi", event="greeting", id="1")
    return EventSourceResponse(gen(), ping=15)
```

Framing follows the WHATWG ``text/event-stream`` format: CR, LF and CRLF all end a line, so
multi-line ``data`` is sent as several ``data:`` lines and a line break in ``event`` or ``id``
(which would start a new field) is refused with ``ValueError`` when the event is built.
``EventSourceResponse`` is a ``StreamingResponse``: both adapters send it, each frame when it
is produced, and close the generator when the client leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from orionis.concurrency import iterate_in_threadpool
from orionis.responses import HeadersInput, StreamingResponse, close_iterable

if TYPE_CHECKING:
    from orionis.requests import Request

__all__ = ["PING", "EventSourceResponse", "ServerSentEvent", "last_event_id"]

PING = b": ping\n\n"
"""The keep-alive frame ``EventSourceResponse(ping=...)`` sends after that many idle seconds:
a comment, which ``EventSource`` ignores, so proxies do not close a quiet stream."""
"""The keep-alive frame: a comment line, ignored by ``EventSource``."""

_LINES = re.compile(r"\r\n|\r|\n")  # every line ending the event-stream format knows
_BREAKS = ("\r", "\n")


def _field_text(name: str, value: Any, forbidden: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"ServerSentEvent {name} must be a str, not {type(value).__name__}")
    for char in forbidden:
        if char in value:
            shown = {"\r": "CR", "\n": "LF", "\x00": "NUL"}[char]
            raise ValueError(
                f"ServerSentEvent {name} {value!r} contains {shown}, which would end the field "
                f"and let the rest be read as another one; remove it"
            )
    return value


class ServerSentEvent:
    """One event. ``data`` (a str; multi-line is fine) is what ``EventSource`` hands to
    ``onmessage``; ``event`` names the listener; ``id`` is echoed back by a reconnecting client
    as ``Last-Event-ID``; ``retry`` (ms) sets its reconnection delay; ``comment`` is ignored by
    browsers. ``event``/``id`` with CR or LF (and ``id`` with NUL) raise ``ValueError``."""

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: str | None,
        event: str | None = None,
        id: str | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        if data is not None and not isinstance(data, str):
            raise TypeError(
                f"ServerSentEvent data must be a str, not {type(data).__name__}; "
                "for JSON write data=json.dumps(value)"
            )
        if event is not None:
            _field_text("event", event, _BREAKS)
        if id is not None:
            _field_text("id", id, (*_BREAKS, "\x00"))
        if retry is not None and (not isinstance(retry, int) or isinstance(retry, bool)):
            raise TypeError(f"ServerSentEvent retry must be an int (milliseconds), not {retry!r}")
        if retry is not None and retry < 0:
            raise ValueError(f"ServerSentEvent retry must be >= 0 milliseconds, not {retry}")
        if comment is not None and not isinstance(comment, str):
            raise TypeError(f"ServerSentEvent comment must be a str, not {type(comment).__name__}")
        if data is None and event is None and id is None and retry is None and comment is None:
            raise ValueError("ServerSentEvent needs data, an event, an id, retry or a comment")
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("data", "event", "id", "retry", "comment")
            if getattr(self, name) is not None
        )
        return f"ServerSentEvent({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def encode(self) -> bytes:
        """The event as ``text/event-stream`` bytes, ending with the blank line that
        dispatches it. Each line of ``comment`` and ``data`` gets its own prefix."""
        parts: list[str] = []
        if self.comment is not None:
            parts.extend(f": {line}\n" for line in _LINES.split(self.comment))
        if self.event is not None:
            parts.append(f"event: {self.event}\n")
        if self.id is not None:
            parts.append(f"id: {self.id}\n")
        if self.retry is not None:
            parts.append(f"retry: {self.retry}\n")
        if self.data is not None:
            parts.extend(f"data: {line}\n" for line in _LINES.split(self.data))
        parts.append("\n")
        return "".join(parts).encode("utf-8")


def _frame(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, str):
        return ServerSentEvent(item).encode()
    if isinstance(item, Mapping):
        return ServerSentEvent(**item).encode()
    raise TypeError(
        f"EventSourceResponse items must be ServerSentEvent, str (the data) or dict "
        f"(ServerSentEvent's fields), not {type(item).__name__}"
    )


_PING = object()  # what ``_Feed.next`` returns when a ping is due
_END = object()  # ... when the iterator is exhausted
_NONE = object()


class _Feed:
    """The user's iterator advanced in one task for the whole stream, one item each time the
    frames loop asks (never ahead of what was sent), so that loop can wait for the item and
    for the ping timer at once with one future per event: no task and no ``asyncio.wait``
    per event. The ping timer is armed once per ping interval, not once per event: when it
    fires it checks whether the loop has been waiting since it was armed (ping now) or
    started waiting later (re-armed for then)."""

    __slots__ = (
        "_armed",
        "_item",
        "_iterator",
        "_loop",
        "_ping",
        "_ready",
        "_since",
        "_stepping",
        "_task",
        "_timer",
        "_want",
    )

    def __init__(self, iterator: AsyncIterator[Any], ping: float) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._iterator = iterator
        self._ping = ping
        self._item: Any = _NONE  # an item, _END, or an exception the iterator raised
        self._want: asyncio.Future[None] = loop.create_future()  # set: advance once
        self._stepping = False  # the feed task is advancing the iterator
        self._ready: asyncio.Future[None] | None = None  # the frames loop waits on it
        self._since = 0.0  # when the frames loop began waiting
        self._armed = 0.0  # the _since the timer was armed for
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] = loop.create_task(self._run())

    async def _run(self) -> None:
        iterator = self._iterator
        while True:
            await self._want
            self._want = self._loop.create_future()
            try:
                item = await iterator.__anext__()
            except StopAsyncIteration:
                item = _END
            except BaseException as exc:  # an error (or CancelledError raised inside it):
                item = exc  # raised in the frames loop, where it ends the stream
            self._item = item
            last = item is _END or isinstance(item, BaseException)
            fatal = isinstance(item, KeyboardInterrupt | SystemExit)
            del item  # an error's traceback holds this frame: no cycle through it
            ready = self._ready
            if ready is not None and not ready.done():
                ready.set_result(None)
            if fatal:
                raise self._item
            if last:
                return

    def _due(self) -> None:
        self._timer = None
        ready = self._ready
        if ready is None or ready.done():
            return  # not waiting: the next wait arms the timer again
        if self._armed == self._since:  # waiting since the timer was armed: a ping is due
            ready.set_result(None)
        else:  # began waiting later: a ping is due one interval after that
            self._armed = self._since
            self._timer = self._loop.call_at(self._since + self._ping, self._due)

    async def next(self) -> Any:
        """The next item, ``_PING`` if nothing came for ``ping`` seconds, or ``_END``;
        raises what the iterator raised."""
        while self._item is _NONE:
            if not self._stepping:
                self._stepping = True
                self._want.set_result(None)
            loop = self._loop
            ready = self._ready = loop.create_future()
            self._since = loop.time()
            if self._timer is None:
                self._armed = self._since
                self._timer = loop.call_at(self._since + self._ping, self._due)
            await ready
            if self._item is _NONE:
                return _PING
        item, self._item = self._item, _NONE
        self._stepping = False
        if isinstance(item, BaseException):
            self._item = _END  # nothing after the error
            try:
                raise item
            finally:
                del item  # its traceback holds this frame: no cycle through it
        return item

    async def stop(self) -> None:
        """Cancel the feed task where it waits (in the iterator, maybe) and wait for it."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task = self._task
        task.cancel()
        await asyncio.wait((task,))
        if not task.cancelled():
            with contextlib.suppress(Exception):
                task.result()  # retrieved: the stream is over, that is what matters


class EventSourceResponse(StreamingResponse):
    """A ``text/event-stream`` response fed by an (async) iterable of events.

    Items may be ``ServerSentEvent``, ``str`` (sent as ``data``) or ``dict`` (the fields of a
    ``ServerSentEvent``). Each is sent as soon as it is yielded. When nothing was sent for
    ``ping`` seconds a ``: ping`` comment goes out, even while the generator is blocked, so
    proxies and clients keep the connection open (``None`` or ``0``: no pings). When the
    client leaves, the generator is cancelled where it waits and closed: its ``finally`` runs.
    Sync iterables are advanced in the thread pool.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        content: Iterable[Any] | AsyncIterable[Any],
        ping: float | None = 15,
        headers: HeadersInput = None,
        status_code: int = 200,
    ) -> None:
        if ping is not None and (isinstance(ping, bool) or not isinstance(ping, int | float)):
            raise TypeError(f"ping must be seconds (a number) or None, not {ping!r}")
        if ping is not None and not ping >= 0:
            raise ValueError(f"ping must be >= 0 seconds (0 or None: no pings), not {ping}")
        if not isinstance(content, Iterable | AsyncIterable) or isinstance(
            content, bytes | str | Mapping
        ):
            raise TypeError(
                "EventSourceResponse needs an iterable or async iterable of events "
                "(an async generator, usually)"
            )
        self.ping: float | None = ping or None
        self.source = content
        super().__init__(self._frames(), status_code, headers)
        present = {name for name, _ in self.raw_headers}
        for name, value in (("cache-control", "no-cache"), ("x-accel-buffering", "no")):
            if name not in present:
                self.raw_headers.append((name, value))

    async def _frames(self) -> AsyncIterator[bytes]:
        # Without pings the generator runs right here, in the sending task (the client
        # leaving cancels it where it waits: ``chunks_until``). With pings it runs in one
        # feed task for the whole stream, so a ping can go out while it waits.
        source = self.source
        events: AsyncIterable[Any] = (
            source if isinstance(source, AsyncIterable) else iterate_in_threadpool(source)
        )
        iterator = events.__aiter__()
        feed: _Feed | None = None
        try:
            if self.ping is None:
                while True:
                    try:
                        item = await iterator.__anext__()
                    except StopAsyncIteration:
                        return
                    yield _frame(item)
            feed = _Feed(iterator, self.ping)
            while True:
                item = await feed.next()
                if item is _END:
                    return
                yield PING if item is _PING else _frame(item)
        finally:
            if feed is not None:
                await feed.stop()
            if iterator is not source:
                await close_iterable(iterator)
            await close_iterable(source)

    async def aclose(self) -> None:
        """Close the frame stream and the user's iterable (also if sending never started)."""
        await close_iterable(self.body_iterator)
        await close_iterable(self.source)


def last_event_id(request: Request) -> str | None:
    """The ``Last-Event-ID`` a reconnecting ``EventSource`` sends: the ``id`` of the last
    event it received, so the handler can resume after it. ``None`` on a first connection."""
    return request.headers.get("last-event-id")
