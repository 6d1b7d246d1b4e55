"""The framework's own file I/O does not wait behind user code in the default thread pool
(issue 8, item 19). Sync generators blocking in ``next()`` fill the event loop's default
executor (``min(32, cpus + 4)`` threads; 6 on 2 cores); a ``FileResponse`` (its ``stat``, and
under uvicorn its reads) and an on-disk ``UploadFile`` are still served, because they run in
Orionis' own small I/O pool (``orionis.concurrency.run_io``)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from orionis import Application, File, StreamingResponse, UploadFile
from orionis.forms import FormLimits
from orionis.responses import FileResponse
from orionis.testing import TestClient

DEFAULT_POOL = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default executor size
SAFETY = 60.0  # seconds; only a safety net (a passing run never waits for it)
CONTENT = b"0123456789" * 10_000


def blocking_app(
    tmp_path: pathlib.Path, release: threading.Event, entered: list[int]
) -> Application:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    lock = threading.Lock()
    app = Application(form_limits=FormLimits(spool_size=1024))  # uploads go to disk

    def stuck() -> Iterator[bytes]:
        with lock:
            entered.append(1)
        # User code blocking inside next(), holding a pool thread until the test releases it
        # (the cap only outlasts the test's own safety net by far).
        release.wait(10 * SAFETY)
        yield b"released"

    @app.get("/stuck")
    async def stuck_route() -> StreamingResponse:  # async: the handler needs no pool thread
        return StreamingResponse(stuck())

    @app.get("/file")
    async def file() -> FileResponse:
        return FileResponse(path)

    @app.post("/upload")
    async def upload(data: Annotated[UploadFile, File()]) -> dict[str, Any]:
        await data.seek(0)
        return {"size": len(await data.read())}

    return app


def _within_safety(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread and return its result, or fail after the safety timeout."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(SAFETY)
    assert result, "the request waited behind the blocked default thread pool"
    return result[0]


def test_files_are_served_while_user_code_fills_the_pool(
    interface: str, tmp_path: pathlib.Path
) -> None:
    """The ASGI side imitates uvicorn (no pathsend), so the file is also read in chunks."""
    release = threading.Event()
    entered: list[int] = []
    app = blocking_app(tmp_path, release, entered)
    with TestClient(app, interface, server="uvicorn") as client, contextlib.ExitStack() as streams:
        try:
            for _ in range(DEFAULT_POOL + 2):
                streams.enter_context(client.stream("GET", "/stuck"))
            # Every default thread is inside a generator's next() (event-driven wait).
            assert _within_safety(lambda: _wait_entered(entered, DEFAULT_POOL))
            r = _within_safety(lambda: client.get("/file"))
            assert (r.status_code, r.content) == (200, CONTENT)
            r = _within_safety(lambda: client.get("/file", headers={"range": "bytes=10-19"}))
            assert (r.status_code, r.content) == (206, CONTENT[10:20])
            files = {"data": ("big.bin", CONTENT, "application/octet-stream")}
            r = _within_safety(lambda: client.post("/upload", files=files))
            assert r.json() == {"size": len(CONTENT)}
        finally:
            release.set()


def _wait_entered(entered: list[int], count: int) -> bool:
    done = threading.Event()
    while len(entered) < count:  # each generator appends before it blocks
        done.wait(0.01)
    return True
