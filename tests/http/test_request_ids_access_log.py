"""Issue 15, items 1-2: request ids (state, header, log records) and the access log."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest

from orionis import Application, HTTPException, Request, Router
from orionis.logging import JSONFormatter, RequestIDFilter, current_request_id
from orionis.middleware import AccessLogMiddleware, RequestIDMiddleware
from orionis.testing import TestClient

HEX32 = re.compile(r"[0-9a-f]{32}")


class Capture(logging.Handler):
    """Keeps records (after the filter ran) and their formatted lines."""

    def __init__(self, formatter: logging.Formatter | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.addFilter(RequestIDFilter())
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


def make_app(**options: object) -> Application:
    app = Application()
    app.add_middleware(RequestIDMiddleware, **options)
    log = logging.getLogger("tests.app")

    @app.get("/async")
    async def in_async(request: Request) -> dict:
        log.info("async handler")
        return {"state": request.state.request_id, "var": current_request_id()}

    @app.get("/sync")
    def in_sync(request: Request) -> dict:  # runs in the thread pool
        log.info("sync handler")
        return {"state": request.state.request_id, "var": current_request_id()}

    @app.get("/boom")
    async def boom() -> None:
        log.info("about to fail")
        raise RuntimeError("broken")

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "no such thing")

    return app


@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_each_request_gets_a_fresh_id_in_state_header_and_logs(
    interface: str, capture: Capture, path: str
) -> None:
    with TestClient(make_app(), interface=interface) as client:
        first = client.get(path, headers={"x-request-id": "client-chosen"})
        second = client.get(path)
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(HEX32.fullmatch(i) for i in ids) and ids[0] != ids[1]  # untrusted: replaced
    assert first.json() == {"state": ids[0], "var": ids[0]}
    mine = [r for r in capture.records if r.name == "tests.app"]
    assert [r.request_id for r in mine] == ids  # type: ignore[attr-defined]
    assert current_request_id() is None


def test_id_is_echoed_on_500s_and_on_the_error_log(interface: str, capture: Capture) -> None:
    with TestClient(make_app(), interface=interface) as client:
        failed = client.get("/boom")
        missing = client.get("/missing")
        unrouted = client.get("/nowhere")
    assert failed.status_code == 500 and HEX32.fullmatch(failed.headers["x-request-id"])
    assert missing.status_code == 404 and "x-request-id" in missing.headers
    assert unrouted.status_code == 404 and "x-request-id" in unrouted.headers
    rid = failed.headers["x-request-id"]
    errors = [r for r in capture.records if r.levelno == logging.ERROR and r.name == "orionis"]
    assert errors and errors[0].request_id == rid  # type: ignore[attr-defined]
    assert [r.request_id for r in capture.records if r.name == "tests.app"] == [rid]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("has space", False),
        ("new\tline", False),
        ("semi;colon", False),
        ("ünïcode", False),
        ("x\u00a0y", False),
    ],
)
def test_trusted_incoming_ids_are_kept_only_when_well_formed(
    interface: str, sent: str, kept: bool
) -> None:
    app = make_app(trust_incoming=True, header="X-Correlation-ID")
    with TestClient(app, interface=interface) as client:
        response = client.get("/async", headers={"x-correlation-id": sent.encode()})
    echoed = response.headers["x-correlation-id"]
    assert "x-request-id" not in response.headers
    assert (echoed == sent) is kept
    if not kept:
        assert HEX32.fullmatch(echoed)
    assert response.json()["state"] == echoed


def test_two_incoming_ids_are_replaced(interface: str) -> None:
    with TestClient(make_app(trust_incoming=True), interface=interface) as client:
        response = client.get("/async", headers=[("x-request-id", "a"), ("x-request-id", "b")])
    assert HEX32.fullmatch(response.headers["x-request-id"])


def test_a_bad_header_name_is_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        RequestIDMiddleware(header="bad header")


# -- access log -----------------------------------------------------------------------------
def access_app() -> Application:
    app = Application()
    app.add_middleware(RequestIDMiddleware)
    app.add_middleware(AccessLogMiddleware)
    api = Router(prefix="/api")

    @api.get("/users/{id:int}")
    async def user(id: int) -> dict:
        return {"id": id}

    @api.get("/secret")
    async def secret(request: Request) -> object:
        from orionis import Response

        response = Response(b"hidden", headers={"set-cookie": "session=s3cr3t-cookie"})
        return response

    app.include_router(api)
    return app


@pytest.fixture
def access() -> Iterator[Capture]:
    handler = Capture(JSONFormatter())
    logger = logging.getLogger("orionis.access")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_access_log_fields_as_json(interface: str, access: Capture) -> None:
    with TestClient(access_app(), interface=interface) as client:
        response = client.get("/api/users/7?token=abc")
        missing = client.get("/api/users/nope")
    assert len(access.lines) == 2  # one line per request
    line = json.loads(access.lines[0])
    assert line["logger"] == "orionis.access" and line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/api/users/7"  # no query string by default
    assert line["route"] == "/api/users/{id:int}"
    assert line["status"] == 200
    assert line["bytes"] == len(response.content)
    assert line["client"] == "127.0.0.1"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["duration_ms"] >= 0
    assert "token" not in access.lines[0]
    other = json.loads(access.lines[1])
    assert (other["route"], other["status"]) == (None, 404)
    assert other["request_id"] == missing.headers["x-request-id"]


def test_access_log_never_shows_secrets(interface: str, access: Capture) -> None:
    with TestClient(access_app(), interface=interface) as client:
        client.get(
            "/api/secret?password=hunter2",
            headers={"authorization": "Bearer tok-3n", "cookie": "sid=c00kie-value"},
        )
    text = "\n".join(access.lines) + "\n".join(r.getMessage() for r in access.records)
    for secret in ("tok-3n", "c00kie-value", "s3cr3t-cookie", "hunter2", "Bearer"):
        assert secret not in text


def test_access_log_text_line_escapes_forged_lines(interface: str, access: Capture) -> None:
    access.setFormatter(logging.Formatter("%(message)s"))
    with TestClient(access_app(), interface=interface) as client:
        client.get("/api/users/1%0d%0aFAKE%20200")
        client.get("/api/" + "x" * 5000)
    assert len(access.lines) == 2
    assert all("\n" not in line and "\r" not in line for line in access.lines)
    assert "\\x0d\\x0aFAKE 200" in access.lines[0]
    assert access.lines[0].startswith('127.0.0.1 "GET /api/users/1')
    assert len(access.lines[1]) < 2300  # long paths are cut


def test_access_log_with_query_when_asked(interface: str, access: Capture) -> None:
    app = Application()
    app.add_middleware(AccessLogMiddleware, include_query=True)

    @app.get("/q")
    async def q() -> str:
        return "ok"

    with TestClient(app, interface=interface) as client:
        client.get("/q?page=2")
    line = json.loads(access.lines[0])
    assert line["path"] == "/q?page=2" and line["request_id"] is None


def test_a_handler_set_id_header_is_replaced_not_doubled(interface: str) -> None:
    app = Application()
    app.add_middleware(RequestIDMiddleware)

    @app.get("/own")
    async def own() -> tuple:
        return {}, 200, {"X-Request-ID": "handler-made"}

    with TestClient(app, interface=interface) as client:
        response = client.get("/own")
    values = response.headers.get_list("x-request-id")
    assert len(values) == 1 and HEX32.fullmatch(values[0])


def test_a_stream_is_logged_once_when_it_ends_with_the_bytes_sent(
    interface: str, access: Capture
) -> None:
    from orionis import StreamingResponse

    app = Application()
    app.add_middleware(RequestIDMiddleware)
    app.add_middleware(AccessLogMiddleware)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks():  # type: ignore[no-untyped-def]
            for part in (b"abc", b"", "d\u00e9f", b"ghij"):
                yield part

        return StreamingResponse(chunks(), media_type="text/plain")

    with TestClient(app, interface=interface) as client:
        response = client.get("/stream")
        head = client.head("/stream")
    assert response.content == "abcdéfghij".encode()
    assert head.status_code == 200
    assert len(access.lines) == 2
    line, head_line = (json.loads(text) for text in access.lines)
    assert line["bytes"] == len(response.content) and line["route"] == "/stream"
    assert line["request_id"] == response.headers["x-request-id"]
    assert head_line["bytes"] == 0 and head_line["method"] == "HEAD"
