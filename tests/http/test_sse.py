"""Server-sent events under both interfaces: framing, no buffering, pings, disconnects.

Nothing here waits on the clock: a generator that must block waits on an ``asyncio.Event``
the test sets over HTTP (``POST /release``) after it has read what came before, or on one
nobody sets; waits with timeouts are only safety nets that turn a hang into a clear failure.
Hostile inputs: CR, LF, CRLF and NUL in ``event``/``id``, field lines smuggled in ``data`` and
``comment``, non-str data, bool/negative ``retry`` and ``ping``.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import httpx
import pytest

from orionis import Application, Request
from orionis.params import Header
from orionis.sse import PING, EventSourceResponse, ServerSentEvent, last_event_id
from orionis.testing import TestClient

SAFETY = 10.0  # seconds; only reached when something is broken


def frames(response: httpx.Response) -> Iterator[str]:
    """Each event-stream frame (up to its blank line) as soon as it arrives."""
    buffer = ""
    for chunk in response.iter_text():
        buffer += chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            yield frame


def parse(frame: str) -> dict[str, Any] | None:
    """What an ``EventSource`` makes of one frame (WHATWG parsing rules), or None when it
    dispatches nothing (comments only)."""
    data: list[str] = []
    event: dict[str, Any] = {"event": "message"}
    for line in frame.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("event", "id", "retry"):
            event[name] = value
        else:
            event.setdefault("unknown", []).append(name)
    if not data:
        return None if set(event) == {"event"} else event
    event["data"] = "\n".join(data)
    return event


def released_app() -> tuple[Application, dict[str, Any]]:
    """An app whose /events generator yields one event, then waits for POST /release."""
    app = Application()
    state: dict[str, Any] = {"release": asyncio.Event(), "log": []}

    @app.post("/release")
    async def release() -> None:
        state["release"].set()

    @app.get("/events")
    async def events() -> EventSourceResponse:
        async def gen() -> AsyncIterator[ServerSentEvent]:
            yield ServerSentEvent(data="first", event="greeting", id="1")
            try:
                await asyncio.wait_for(state["release"].wait(), SAFETY)
                yield ServerSentEvent(data="second", id="2")
            except TimeoutError:
                yield ServerSentEvent(data="never released", id="2")
            finally:
                state["log"].append("finally")

        return EventSourceResponse(gen(), ping=None)

    return app, state


def test_each_event_arrives_when_it_is_yielded(interface: str) -> None:
    app, state = released_app()
    with TestClient(app, interface) as client, client.stream("GET", "/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        stream = frames(response)
        first = next(stream)
        # The generator is still blocked: the first event came out before the stream ended.
        assert state["log"] == []
        assert parse(first) == {"event": "greeting", "id": "1", "data": "first"}
        assert first == "event: greeting\nid: 1\ndata: first"
        assert client.post("/release").status_code == 204
        assert parse(next(stream)) == {"event": "message", "id": "2", "data": "second"}
        assert list(stream) == []
    assert state["log"] == ["finally"]


def stream_of(*items: Any, ping: float | None = None) -> Application:
    app = Application()

    @app.get("/events")
    async def events() -> EventSourceResponse:
        async def gen() -> AsyncIterator[Any]:
            for item in items:
                yield item

        return EventSourceResponse(gen(), ping=ping)

    return app


def test_multiline_data_is_several_data_lines_for_every_line_break(interface: str) -> None:
    app = stream_of(ServerSentEvent("a\nb\r\nc\rd"), ServerSentEvent("end\n"), ServerSentEvent(""))
    with TestClient(app, interface) as client:
        body = client.get("/events").text
    assert body == "data: a\ndata: b\ndata: c\ndata: d\n\ndata: end\ndata: \n\ndata: \n\n"
    assert [parse(f) for f in body.split("\n\n")[:3]] == [
        {"event": "message", "data": "a\nb\nc\nd"},
        {"event": "message", "data": "end\n"},
        {"event": "message", "data": ""},
    ]


def test_fields_smuggled_in_data_or_comment_stay_data_or_comment(interface: str) -> None:
    evil = "x\r\nevent: admin\r\nid: 999\nretry: 1\rdata: y"
    app = stream_of(
        ServerSentEvent(evil, id="1"),
        ServerSentEvent("ok", comment="note\nevent: admin\r\ndata: injected"),
        ServerSentEvent(None, comment="only\ra comment\r\ndata: nope"),
    )
    with TestClient(app, interface) as client:
        body = client.get("/events").text
    events = [parse(f) for f in body.split("\n\n") if f]
    assert events == [
        {
            "event": "message",
            "id": "1",
            "data": "x\nevent: admin\nid: 999\nretry: 1\ndata: y",
        },
        {"event": "message", "data": "ok"},
        None,
    ]


def test_only_cr_and_lf_break_lines(interface: str) -> None:
    # U+2028, U+0085 and form feeds are line breaks to str.splitlines, not to EventSource.
    app = stream_of(ServerSentEvent("a\u2028b\x85c\x0cd", event="e\u2028f"))
    with TestClient(app, interface) as client:
        body = client.get("/events").text
    assert body == "event: e\u2028f\ndata: a\u2028b\x85c\x0cd\n\n"


def test_an_item_of_the_wrong_type_is_a_clear_error(
    interface: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = stream_of("fine", 42)
    message = r"items must be ServerSentEvent, str .* or dict"
    with TestClient(app, interface) as client:
        if interface == "asgi":  # the server sees the error and cuts the connection
            with pytest.raises(TypeError, match=message):
                client.get("/events")
            return
        # RSGI cannot abort a stream: the body ends where the error was, which is logged
        assert client.get("/events").text == "data: fine\n\n"
    assert re.search(message, caplog.text)


def test_str_and_dict_items_and_every_field(interface: str) -> None:
    app = stream_of(
        "plain",
        {"data": "from a dict", "event": "update", "id": "7", "retry": 2500},
        ServerSentEvent("x", comment="hello"),
    )
    with TestClient(app, interface) as client:
        body = client.get("/events").text
    assert body == (
        "data: plain\n\n"
        "event: update\nid: 7\nretry: 2500\ndata: from a dict\n\n"
        ": hello\ndata: x\n\n"
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"event": "a\nb"}, ValueError),
        ({"event": "a\rb"}, ValueError),
        ({"event": "a\r\ndata: evil"}, ValueError),
        ({"id": "1\nevent: evil"}, ValueError),
        ({"id": "1\r"}, ValueError),
        ({"id": "1\x002"}, ValueError),
        ({"id": 5}, TypeError),
        ({"retry": "100"}, TypeError),
        ({"retry": True}, TypeError),
        ({"retry": 1.5}, TypeError),
        ({"retry": -1}, ValueError),
        ({"data": {"a": 1}}, TypeError),
        ({"data": b"bytes"}, TypeError),
        ({"data": None}, ValueError),
        ({"comment": 3}, TypeError),
    ],
)
def test_events_that_could_inject_a_field_are_refused(fields: dict[str, Any], error: type) -> None:
    arguments = {"data": "d", **fields}
    with pytest.raises(error, match="ServerSentEvent"):
        ServerSentEvent(**arguments)


def test_an_event_id_may_be_empty_to_reset_it() -> None:
    assert ServerSentEvent("x", id="").encode() == b"id: \ndata: x\n\n"


@pytest.mark.parametrize(("ping", "error"), [(-1, ValueError), (True, TypeError), ("5", TypeError)])
def test_bad_ping_is_refused(ping: Any, error: type) -> None:
    async def gen() -> AsyncIterator[str]:
        yield "x"

    with pytest.raises(error, match="ping"):
        EventSourceResponse(gen(), ping=ping)


def test_bad_content_is_refused() -> None:
    for content in ("text", b"bytes", {"data": "x"}, 5):
        with pytest.raises(TypeError, match="EventSourceResponse needs an iterable"):
            EventSourceResponse(content)  # type: ignore[arg-type]


def blocked_app(ping: float | None, finished: threading.Event) -> Application:
    """A generator that never yields: it waits on an event nobody sets."""
    app = Application()

    @app.get("/events")
    async def events() -> EventSourceResponse:
        async def gen() -> AsyncIterator[str]:
            try:
                await asyncio.Event().wait()
                yield "unreachable"
            finally:
                finished.set()

        return EventSourceResponse(gen(), ping=ping)

    return app


def test_pings_flow_while_the_generator_is_blocked(interface: str) -> None:
    finished = threading.Event()
    app = blocked_app(0.001, finished)
    with TestClient(app, interface) as client, client.stream("GET", "/events") as response:
        stream = frames(response)
        # The generator never yields, so everything that arrives is a keep-alive.
        assert [next(stream) for _ in range(3)] == [PING.decode().rstrip("\n")] * 3
    assert finished.wait(SAFETY), "the generator's finally did not run after the disconnect"


def test_ping_zero_or_none_disables_pings() -> None:
    async def gen() -> AsyncIterator[str]:
        yield "x"

    assert EventSourceResponse(gen(), ping=0).ping is None
    assert EventSourceResponse(gen(), ping=None).ping is None
    assert EventSourceResponse(gen()).ping == 15


@pytest.mark.parametrize("ping", [None, 15])  # pings on: the generator runs in its feed task
def test_disconnect_cancels_a_waiting_generator_and_runs_its_finally(
    interface: str, ping: int | None
) -> None:
    finished = threading.Event()
    seen: list[str] = []
    app = Application()

    @app.get("/events")
    async def events() -> EventSourceResponse:
        async def gen() -> AsyncIterator[ServerSentEvent]:
            try:
                yield ServerSentEvent("hello", id="1")
                await asyncio.Event().wait()  # nobody sets it: only the disconnect ends this
                yield ServerSentEvent("unreachable")
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise
            finally:
                finished.set()

        return EventSourceResponse(gen(), ping=ping)

    with TestClient(app, interface) as client:
        with client.stream("GET", "/events") as response:
            assert parse(next(frames(response))) == {"event": "message", "id": "1", "data": "hello"}
        assert finished.wait(SAFETY), "the generator's finally did not run after the disconnect"
        assert seen == ["cancelled"]


@pytest.mark.parametrize("ping", [None, 15])  # pings on: the generator runs in its feed task
def test_disconnect_closes_a_sync_generator(interface: str, ping: int | None) -> None:
    finished = threading.Event()
    app = Application()

    @app.get("/events")
    def events() -> EventSourceResponse:
        def gen() -> Iterator[str]:
            try:
                n = 0
                while True:  # endless: only the disconnect stops it
                    n += 1
                    yield f"tick {n}"
            finally:
                finished.set()

        return EventSourceResponse(gen(), ping=ping)

    with TestClient(app, interface) as client, client.stream("GET", "/events") as response:
        stream = frames(response)
        assert [next(stream) for _ in range(2)] == ["data: tick 1", "data: tick 2"]
    assert finished.wait(SAFETY), "the sync generator was not closed after the disconnect"


def test_last_event_id_reaches_the_handler(interface: str) -> None:
    app = Application()

    @app.get("/events")
    async def events(
        request: Request,
        last_event_id_header: Annotated[str | None, Header(alias="last-event-id")] = None,
    ) -> EventSourceResponse:
        start = int(last_event_id(request) or 0)
        assert last_event_id_header == last_event_id(request)

        async def gen() -> AsyncIterator[ServerSentEvent]:
            for n in range(start + 1, start + 3):
                yield ServerSentEvent(f"event {n}", id=str(n))

        return EventSourceResponse(gen())

    with TestClient(app, interface) as client:
        fresh = [parse(f) for f in client.get("/events").text.split("\n\n") if f]
        resumed = client.get("/events", headers={"Last-Event-ID": "41"}).text
    assert [e["id"] for e in fresh if e] == ["1", "2"]
    assert resumed == "id: 42\ndata: event 42\n\nid: 43\ndata: event 43\n\n"


def test_head_answers_headers_without_running_the_generator(interface: str) -> None:
    started: list[str] = []
    app = Application()

    @app.get("/events")
    async def events() -> EventSourceResponse:
        async def gen() -> AsyncIterator[str]:
            started.append("ran")
            yield "x"

        return EventSourceResponse(gen())

    with TestClient(app, interface) as client:
        response = client.head("/events")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.content == b""
    assert started == []


def test_headers_argument_adds_and_overrides(interface: str) -> None:
    async def gen() -> AsyncIterator[str]:
        yield "x"

    app = Application()

    @app.get("/events")
    async def events() -> EventSourceResponse:
        return EventSourceResponse(gen(), headers={"Cache-Control": "no-store", "X-Feed": "notes"})

    with TestClient(app, interface) as client:
        response = client.get("/events")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-feed"] == "notes"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text == "data: x\n\n"


class RecordingSource:
    """An async iterable that is not a generator: only ``aclose`` tells it to stop."""

    def __init__(self) -> None:
        self.closed = 0
        self.gate = asyncio.Event()

    def __aiter__(self) -> RecordingSource:
        return self

    async def __anext__(self) -> str:
        await self.gate.wait()
        return "x"

    async def aclose(self) -> None:
        self.closed += 1


def test_closing_the_response_closes_the_source_even_if_never_started() -> None:
    async def main() -> None:
        source = RecordingSource()
        await EventSourceResponse(source).aclose()
        assert source.closed >= 1

    asyncio.run(main())


def test_cancelling_the_outer_iterator_cancels_the_pending_step_and_closes() -> None:
    async def main() -> None:
        log: list[str] = []

        async def gen() -> AsyncIterator[str]:
            try:
                yield "one"
                await asyncio.Event().wait()
                yield "never"
            except asyncio.CancelledError:
                log.append("cancelled")
                raise
            finally:
                log.append("finally")

        chunks = EventSourceResponse(gen(), ping=None).iter_chunks()
        assert await chunks.__anext__() == b"data: one\n\n"
        pending = asyncio.ensure_future(chunks.__anext__())
        await asyncio.sleep(0)  # let it reach the generator's wait
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert log == ["cancelled", "finally"]

    asyncio.run(main())
