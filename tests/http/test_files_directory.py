"""``FileResponse(path, directory=root)``: nothing that resolves outside ``root`` is sent."""

from __future__ import annotations

import os
import pathlib

import pytest

from orionis import Application, FileResponse
from orionis.testing import TestClient

SECRET = b"top secret"
PUBLIC = b"hello, world"


@pytest.fixture
def tree(tmp_path: pathlib.Path) -> pathlib.Path:
    """tmp/secret.txt, tmp/public/{a.txt, sub/b.txt, out -> ../secret.txt, in -> a.txt,
    outdir -> .., loop -> loop}."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    public = tmp_path / "public"
    (public / "sub").mkdir(parents=True)
    (public / "a.txt").write_bytes(PUBLIC)
    (public / "sub" / "b.txt").write_bytes(PUBLIC)
    (public / "out").symlink_to(tmp_path / "secret.txt")
    (public / "in").symlink_to("a.txt")
    (public / "outdir").symlink_to("..")
    (public / "loop").symlink_to("loop")
    (tmp_path / "public-other").mkdir()
    (tmp_path / "public-other" / "x.txt").write_bytes(SECRET)
    return public


def _app(public: pathlib.Path) -> Application:
    app = Application()
    # the careless pattern the issue describes, made safe by directory=
    app.get("/files/{name:path}", lambda name: FileResponse(public / name, directory=public))
    app.get("/rel/{name:path}", lambda name: FileResponse(name, directory=public))
    app.get("/plain/{name:path}", lambda name: FileResponse(public / name))
    return app


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "sub/../../secret.txt",
        "..%2Fsecret.txt",
        "%2E%2E/secret.txt",
        "out",  # a symlink pointing out
        "outdir/secret.txt",  # through a symlinked directory pointing out
        "loop",  # a symlink loop
        "a.txt%00.png",  # a NUL byte
        "../public-other/x.txt",  # a sibling sharing the directory's name as a prefix
        "..",
        ".",
        "sub",
        "missing.txt",
    ],
)
@pytest.mark.parametrize("route", ["files", "rel"])
def test_paths_outside_the_directory_are_404(
    interface: str, tree: pathlib.Path, name: str, route: str
) -> None:
    with TestClient(_app(tree), interface) as client:
        r = client.get(f"/{route}/{name}")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert SECRET not in r.content


def test_absolute_paths_outside_are_404(interface: str, tree: pathlib.Path) -> None:
    secret = tree.parent / "secret.txt"
    app = Application()
    app.get("/abs", lambda: FileResponse(secret, directory=tree))
    app.get("/abs-in", lambda: FileResponse(tree / "a.txt", directory=tree))
    app.get("/etc", lambda: FileResponse("/etc/hostname", directory=tree))
    app.get("/join", lambda: FileResponse(str(secret), directory=str(tree)))
    with TestClient(app, interface) as client:
        assert client.get("/abs").status_code == 404
        assert client.get("/etc").status_code == 404
        assert client.get("/join").status_code == 404
        assert client.get("/abs-in").content == PUBLIC


@pytest.mark.parametrize("name", ["a.txt", "sub/b.txt", "in", "sub/../a.txt"])
@pytest.mark.parametrize("route", ["files", "rel"])
def test_files_inside_are_served(interface: str, tree: pathlib.Path, name: str, route: str) -> None:
    with TestClient(_app(tree), interface) as client:
        r = client.get(f"/{route}/{name}")
        assert (r.status_code, r.content) == (200, PUBLIC)
        r = client.get(f"/{route}/{name}", headers={"range": "bytes=0-4"})
        assert (r.status_code, r.content) == (206, PUBLIC[:5])
        assert client.head(f"/{route}/{name}").headers["content-length"] == str(len(PUBLIC))


def test_a_symlinked_directory_is_its_target(interface: str, tree: pathlib.Path) -> None:
    """The directory itself may be a symlink: its real path is the root."""
    alias = tree.parent / "alias"
    alias.symlink_to(tree)
    app = Application()
    app.get("/f/{name:path}", lambda name: FileResponse(alias / name, directory=alias))
    with TestClient(app, interface) as client:
        assert client.get("/f/a.txt").content == PUBLIC
        assert client.get("/f/out").status_code == 404
        assert client.get("/f/../secret.txt").status_code == 404


def test_without_directory_the_path_is_trusted(interface: str, tree: pathlib.Path) -> None:
    """What ``directory=`` protects against: the same request without it leaks the file."""
    with TestClient(_app(tree), interface) as client:
        assert client.get("/plain/..%2Fsecret.txt").content == SECRET


def test_the_sent_path_is_the_resolved_one(tree: pathlib.Path) -> None:
    """The checked real path is what the server opens, not the symlink it came through."""

    class _Req:  # prepare() reads only these
        method = "GET"

        class headers:
            @staticmethod
            def getlist(name: str) -> list[str]:
                return []

            @staticmethod
            def get(name: str, default: object = None) -> object:
                return default

    prepared = FileResponse("in", directory=tree).prepare(_Req())  # type: ignore[arg-type]
    assert prepared.path == os.path.realpath(tree / "a.txt")
