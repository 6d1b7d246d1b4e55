"""Live tier for ``FileResponse(directory=...)`` and ``root_path``: real ``granian --interface
rsgi|asgi`` and ``uvicorn`` processes, raw request lines (no client normalises ``..``).

Traversal requests tried on every server: literal ``..`` segments, ``%2e%2e%2f`` and mixed
case escapes, ``..%2f`` chains to /etc/passwd, an absolute path through ``%2f`` and ``//``,
a NUL byte, a symlink pointing out, a backslash.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator

import httpx
import pytest

from tests.live.servers import Server, raw_request, start

pytestmark = pytest.mark.live

SECRET = b"the secret next to public/"
PUBLIC = b"public content"


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"{server}-files")
    (folder / "secret.txt").write_bytes(SECRET)
    public = folder / "public"
    (public / "sub").mkdir(parents=True)
    (public / "a.txt").write_bytes(PUBLIC)
    (public / "sub" / "b.txt").write_bytes(PUBLIC)
    (public / "out").symlink_to(folder / "secret.txt")
    running = start(server, "tests.live.apps:app", folder / "events.log")
    yield running
    running.terminate()


def _get(server: Server, target: str) -> tuple[int, bytes]:
    reply = raw_request(
        server.port,
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(),
        half_close=False,
    )
    status_line = reply.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 "), reply[:200]
    return int(status_line.split()[1]), reply


@pytest.mark.parametrize(
    "target",
    [
        "/files/../secret.txt",
        "/files/sub/../../secret.txt",
        "/files/%2e%2e%2fsecret.txt",
        "/files/%2E%2E%2Fsecret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/..%2fsecret.txt",
        "/files/sub%2f..%2f..%2fsecret.txt",
        "/files/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/files/%2fetc%2fpasswd",
        "/files//etc/passwd",
        "/files/out",
        "/files/a.txt%00.png",
        "/files/..%5csecret.txt",
    ],
)
def test_traversal_is_404_on_every_server(live: Server, target: str) -> None:
    status, reply = _get(live, target)
    # 404 from the route (or 400 where the server itself refuses the request line)
    assert status in (400, 404), reply[:300]
    assert SECRET not in reply
    assert b"root:" not in reply


@pytest.mark.parametrize("target", ["/files/a.txt", "/files/sub/b.txt", "/files/sub/../a.txt"])
def test_files_inside_are_served(live: Server, target: str) -> None:
    status, reply = _get(live, target)
    assert status == 200
    assert reply.endswith(b"\r\n\r\n" + PUBLIC)


@pytest.fixture(scope="module")
def rooted(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"{server}-rooted")
    running = start(server, "tests.live.apps:rooted_app", folder / "events.log")
    yield running
    running.terminate()


def test_app_root_path_on_every_server(rooted: Server) -> None:
    """``Application(root_path="/proxy")``: the same answers on RSGI and ASGI, whether the
    proxy keeps the prefix or strips it."""
    with httpx.Client(base_url=rooted.url, timeout=10) as client:
        for path in ("/proxy/root-info", "/root-info"):
            assert client.get(path).json() == {
                "path": "/root-info",
                "root_path": "/proxy",
                "link": "/proxy/root-info",
            }
        assert client.get("/proxy/openapi.json").json()["servers"] == [{"url": "/proxy"}]
        assert '"url":"/proxy/openapi.json"' in client.get("/proxy/docs").text


ASGI_SERVERS = {
    "uvicorn": {"UVICORN_ROOT_PATH": "/proxy"},
    "granian-asgi": {"GRANIAN_URL_PATH_PREFIX": "/proxy"},
}


@pytest.mark.parametrize("kind", sorted(ASGI_SERVERS))
def test_the_asgi_servers_root_path(kind: str, tmp_path: pathlib.Path) -> None:
    """``uvicorn --root-path`` / ``granian --url-path-prefix`` (RSGI has no such setting):
    the request's ``root_path`` reaches ``/docs``, the document's ``servers`` and
    ``request.root_path``, behind a proxy that strips the prefix."""
    running = start(kind, "tests.live.apps:app", tmp_path / "events.log", ASGI_SERVERS[kind])
    try:
        with httpx.Client(base_url=running.url, timeout=10) as client:
            info = client.get("/root-info").json()
            document = client.get("/openapi.json")
            page = client.get("/docs").text
    finally:
        running.terminate()
    assert (info["path"], info["root_path"]) == ("/root-info", "/proxy")
    assert info["link"] == "/root-info"  # the app has no root_path of its own
    assert json.loads(document.content)["servers"] == [{"url": "/proxy"}]
    assert document.headers["cache-control"] == "no-cache"
    assert '"url":"/proxy/openapi.json"' in page
