"""``app.mount_static`` and ``StaticFiles``: what is served, what never is, and how."""

from __future__ import annotations

import email.utils
import gzip
import os
import pathlib

import httpx
import pytest

from orionis import Application, Router
from orionis.staticfiles import StaticFiles, media_type_for
from orionis.testing import TestClient

SECRET = b"top secret outside the directory"
CSS = b"body { color: red }\n" * 20
GZ = gzip.compress(CSS, mtime=0)
BR = b"pretend brotli bytes"  # never decoded: read raw
MTIME = 1_577_880_000  # fixed: no date below depends on the clock


@pytest.fixture
def tree(tmp_path: pathlib.Path) -> pathlib.Path:
    """tmp/secret.txt, tmp/public-other/x.txt and tmp/public/ with files, dotfiles,
    precompressed siblings, an index and symlinks in and out."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "public-other").mkdir()
    (tmp_path / "public-other" / "x.txt").write_bytes(SECRET)
    public = tmp_path / "public"
    (public / "sub" / "deeper").mkdir(parents=True)
    (public / "docs").mkdir()
    (public / "empty").mkdir()
    (public / ".git").mkdir()
    (public / ".git" / "config").write_bytes(SECRET)
    (public / ".env").write_bytes(SECRET)
    (public / "sub" / ".hidden").write_bytes(SECRET)
    (public / "a.txt").write_bytes(b"0123456789")
    (public / "app.js").write_bytes(b"console.log(1)")
    (public / "data.bin").write_bytes(b"\x00\x01")
    (public / "style.css").write_bytes(CSS)
    (public / "style.css.gz").write_bytes(GZ)
    (public / "style.css.br").write_bytes(BR)
    (public / "only-gz.css").write_bytes(CSS)
    (public / "only-gz.css.gz").write_bytes(GZ)
    (public / "sub" / "b.txt").write_bytes(b"bee")
    (public / "docs" / "index.html").write_bytes(b"<h1>docs</h1>")
    (public / "index.html").write_bytes(b"<h1>home</h1>")
    (public / "out").symlink_to(tmp_path / "secret.txt")
    (public / "outdir").symlink_to("..")
    (public / "in").symlink_to("a.txt")
    (public / "indir").symlink_to("sub")
    (public / "loop").symlink_to("loop")
    for path in public.rglob("*"):
        os.utime(path, (MTIME, MTIME), follow_symlinks=False)
    return public


def _client(app: Application, interface: str) -> TestClient:
    return TestClient(app, interface=interface)


def _app(public: pathlib.Path, **options: object) -> Application:
    app = Application()
    app.mount_static("/static", public, **options)  # type: ignore[arg-type]
    return app


def _raw_get(client: httpx.Client, target: str, **headers: str) -> httpx.Response:
    """GET with ``target`` sent verbatim: httpx would remove ``..`` segments from a URL."""
    request = client.build_request("GET", "/", headers=headers)
    request.url._uri_reference = request.url._uri_reference._replace(path=target)
    return client.send(request)


def _raw_body(client: httpx.Client, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The body as sent (no content decoding), with the response."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


# -- what is served ------------------------------------------------------------------------


def test_a_file_with_validators_and_type(tree: pathlib.Path, interface: str) -> None:
    app = _app(tree, cache_control="public, max-age=3600")
    with _client(app, interface) as client:
        r = client.get("/static/a.txt")
        assert r.status_code == 200
        assert r.content == b"0123456789"
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.headers["content-length"] == "10"
        assert r.headers["last-modified"] == email.utils.formatdate(MTIME, usegmt=True)
        assert r.headers["etag"].startswith('"')
        assert r.headers["accept-ranges"] == "bytes"
        assert r.headers["cache-control"] == "public, max-age=3600"
        assert "vary" not in r.headers  # no precompressed sibling
        assert client.get("/static/sub/b.txt").content == b"bee"


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("data.bin", "application/octet-stream"),
        ("style.css.gz", "application/gzip"),  # asked for by its own name: a gzip file
    ],
)
def test_content_type_from_the_extension(
    tree: pathlib.Path, interface: str, name: str, media_type: str
) -> None:
    with _client(_app(tree), interface) as client:
        response, _ = _raw_body(client, f"/static/{name}", **{"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert "content-encoding" not in response.headers


def test_media_types_do_not_depend_on_the_machine() -> None:
    assert media_type_for("x.woff2") == "font/woff2"
    assert media_type_for("x.webp") == "image/webp"
    assert media_type_for("x.mjs") == "text/javascript"
    assert media_type_for("x.tar.br") == "application/x-brotli"
    assert media_type_for("noextension") == "application/octet-stream"


# -- what is never served ------------------------------------------------------------------

TRAVERSALS = [
    "/static/../secret.txt",
    "/static/sub/../../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E%2Fsecret.txt",
    "/static/..%2fsecret.txt",
    "/static/sub%2f..%2f..%2fsecret.txt",
    "/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2fetc%2fpasswd",  # an absolute path
    "/static//etc/passwd",
    "/static/%2f%2fetc/passwd",
    "/static/..%5csecret.txt",  # backslashes
    "/static/sub%5c..%5c..%5csecret.txt",
    "/static/..\\secret.txt",
    "/static/a.txt%00.png",  # NUL
    "/static/%00",
    "/static/out",  # a symlink pointing out
    "/static/outdir/secret.txt",  # through a symlinked directory pointing out
    "/static/loop",
    "/static/../public-other/x.txt",  # a sibling whose name starts like the directory's
    "/static/.env",  # dotfiles
    "/static/.git/config",
    "/static/sub/.hidden",
    "/static/%2eenv",
    "/static/.",
    "/static/./a.txt",
    "/static/sub/./b.txt",
    "/static/%2e/a.txt",
    "/static/..",
    "/static/%2e%2e",
    "/static/a.txt/",  # a file named as a directory
    "/static/sub",  # directories: no listing, no index without html=True
    "/static/sub/",
    "/static/",
    "/static",
    "/static/%252e%252e/secret.txt",  # double encoding stays literal
    "/static/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 for '.'
    "/static/%ff%fe",  # not UTF-8
    "/static/..;/secret.txt",
    "/static/" + "a/" * 3000 + "b",  # longer than any path
    "/static/" + "x" * 300,  # a segment longer than NAME_MAX
]


@pytest.mark.parametrize("follow_symlinks", [False, True])
@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_is_404_and_never_the_file(
    tree: pathlib.Path, interface: str, target: str, follow_symlinks: bool
) -> None:
    app = _app(tree, follow_symlinks=follow_symlinks)
    with _client(app, interface) as client:
        r = _raw_get(client, target)
    assert r.status_code == 404, (target, r.status_code, r.content[:200])
    assert r.headers["content-type"] == "application/problem+json"
    assert SECRET not in r.content
    assert b"root:" not in r.content


def test_symlinks_inside_only_with_follow_symlinks(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree), interface) as client:
        assert client.get("/static/in").status_code == 404  # ANY symlink is refused
        assert client.get("/static/indir/b.txt").status_code == 404
    with _client(_app(tree, follow_symlinks=True), interface) as client:
        assert client.get("/static/in").content == b"0123456789"
        assert client.get("/static/indir/b.txt").content == b"bee"
        assert client.get("/static/out").status_code == 404  # leaving the tree: never


def test_the_directory_may_itself_be_a_symlink(tree: pathlib.Path, interface: str) -> None:
    link = tree.parent / "linked-public"
    link.symlink_to(tree)
    with _client(_app(link), interface) as client:
        assert client.get("/static/a.txt").content == b"0123456789"


def test_dotfiles_on_request(tree: pathlib.Path, interface: str) -> None:
    (tree / ".well-known").mkdir()
    (tree / ".well-known" / "security.txt").write_bytes(b"Contact: x")
    app = Application()
    StaticFiles(tree, dotfiles=True).mount(app.router, "/static")
    with _client(app, interface) as client:
        assert client.get("/static/.well-known/security.txt").content == b"Contact: x"
        assert _raw_get(client, "/static/../secret.txt").status_code == 404
        assert _raw_get(client, "/static/.").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_only_get_and_head(tree: pathlib.Path, interface: str, method: str) -> None:
    with _client(_app(tree), interface) as client:
        r = client.request(method, "/static/a.txt")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"


# -- conditional requests, ranges, HEAD ----------------------------------------------------


def test_conditional_requests(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree, cache_control="max-age=60"), interface) as client:
        first = client.get("/static/a.txt")
        etag, last_modified = first.headers["etag"], first.headers["last-modified"]
        r = client.get("/static/a.txt", headers={"if-none-match": etag})
        assert (r.status_code, r.content) == (304, b"")
        assert r.headers["etag"] == etag
        assert r.headers["cache-control"] == "max-age=60"
        r = client.get("/static/a.txt", headers={"if-modified-since": last_modified})
        assert r.status_code == 304
        r = client.get("/static/a.txt", headers={"if-none-match": '"other"'})
        assert r.status_code == 200
        assert client.get("/static/a.txt", headers={"if-match": '"other"'}).status_code == 412
        old = "Wed, 01 Jan 2020 11:59:59 GMT"  # one second before the file changed
        assert client.get("/static/a.txt", headers={"if-unmodified-since": old}).status_code == 412


def test_ranges(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree), interface) as client:
        r = client.get("/static/a.txt", headers={"range": "bytes=2-4"})
        assert (r.status_code, r.content) == (206, b"234")
        assert r.headers["content-range"] == "bytes 2-4/10"
        assert r.headers["content-length"] == "3"
        r = client.get("/static/a.txt", headers={"range": "bytes=-3"})
        assert (r.status_code, r.content) == (206, b"789")
        r = client.get("/static/a.txt", headers={"range": "bytes=10-"})
        assert r.status_code == 416
        assert r.headers["content-range"] == "bytes */10"
        r = client.get("/static/a.txt", headers={"range": "bytes=0-1,4-5"})  # several: all
        assert (r.status_code, r.content) == (200, b"0123456789")
        etag = r.headers["etag"]
        r = client.get("/static/a.txt", headers={"range": "bytes=0-0", "if-range": etag})
        assert (r.status_code, r.content) == (206, b"0")
        r = client.get("/static/a.txt", headers={"range": "bytes=0-0", "if-range": '"old"'})
        assert r.status_code == 200


def test_head(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree), interface) as client:
        r = client.head("/static/a.txt")
        assert (r.status_code, r.content) == (200, b"")
        assert r.headers["content-length"] == "10"
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert client.head("/static/a.txt", headers={"range": "bytes=0-1"}).status_code == 206
        missing = client.head("/static/nope.txt")
        assert (missing.status_code, missing.content) == (404, b"")


# -- precompressed siblings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "encoding", "body"),
    [
        ("gzip, deflate, br", "br", BR),
        ("br;q=0.5, gzip", "gzip", GZ),
        ("gzip", "gzip", GZ),
        ("x-gzip", "gzip", GZ),
        ("GZIP;Q=1", "gzip", GZ),
        ("br", "br", BR),
        ("*", "br", BR),
        ("*;q=0.5, br;q=0", "gzip", GZ),
        ("gzip;q=0, br;q=0", None, CSS),
        ("identity", None, CSS),
        ("deflate", None, CSS),
        ("gzip;q=2, br;q=abc", None, CSS),  # malformed q-values: the entry is ignored
        ("gzip;q=0.001", "gzip", GZ),
        ("", None, CSS),
        ("br;q=1.0000", None, CSS),
        ("," * 5000, None, CSS),
    ],
)
def test_precompressed_by_accept_encoding(
    tree: pathlib.Path, interface: str, accept: str, encoding: str | None, body: bytes
) -> None:
    with _client(_app(tree), interface) as client:
        r, raw = _raw_body(client, "/static/style.css", **{"accept-encoding": accept})
    assert r.status_code == 200
    assert raw == body
    assert r.headers.get("content-encoding") == encoding
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.headers["vary"] == "Accept-Encoding"  # also on the uncompressed answer
    assert r.headers["content-length"] == str(len(body))


def test_precompressed_without_accept_encoding(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree), interface) as client:
        request = client.build_request("GET", "/static/only-gz.css")
        del request.headers["accept-encoding"]
        r = client.send(request)
    assert (r.content, r.headers["vary"]) == (CSS, "Accept-Encoding")
    assert "content-encoding" not in r.headers


def test_precompressed_validators_and_ranges(tree: pathlib.Path, interface: str) -> None:
    gz = {"accept-encoding": "gzip"}
    with _client(_app(tree), interface) as client:
        r, raw = _raw_body(client, "/static/only-gz.css", **gz)
        assert (r.headers["content-encoding"], raw) == ("gzip", GZ)
        plain, _ = _raw_body(client, "/static/only-gz.css", **{"accept-encoding": "identity"})
        assert plain.headers["etag"] != r.headers["etag"]  # two representations, two tags
        again = client.get(
            "/static/only-gz.css", headers={**gz, "if-none-match": r.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.headers["vary"] == "Accept-Encoding"
        part, raw = _raw_body(client, "/static/only-gz.css", **gz, range="bytes=0-1")
        assert (part.status_code, raw) == (206, GZ[:2])
        assert part.headers["content-encoding"] == "gzip"
        head = client.head("/static/only-gz.css", headers=gz)
        assert head.headers["content-length"] == str(len(GZ))


def test_a_precompressed_symlink_obeys_the_policy(tree: pathlib.Path, interface: str) -> None:
    (tree / "x.css").write_bytes(CSS)
    (tree / "x.css.gz").symlink_to(tree.parent / "secret.txt")
    with _client(_app(tree), interface) as client:
        r, raw = _raw_body(client, "/static/x.css", **{"accept-encoding": "gzip"})
    assert (r.status_code, raw) == (200, CSS)
    assert "vary" not in r.headers


# -- html=True -----------------------------------------------------------------------------


def test_html_index_and_redirects(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree, html=True), interface) as client:
        r = client.get("/static/docs/")
        assert (r.status_code, r.content) == (200, b"<h1>docs</h1>")
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert client.get("/static/").content == b"<h1>home</h1>"
        r = client.get("/static/docs?page=2&x=%20y", follow_redirects=False)
        assert r.status_code == 307
        assert r.headers["location"] == "./docs/?page=2&x=%20y"
        assert client.get("/static/docs?page=2", follow_redirects=True).content == b"<h1>docs</h1>"
        r = client.get("/static", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (307, "./static/")
        assert client.get("/static", follow_redirects=True).content == b"<h1>home</h1>"
        assert client.head("/static/docs", follow_redirects=False).status_code == 307
        # a directory without index.html: 404, never a listing
        assert client.get("/static/empty/").status_code == 404
        assert client.get("/static/sub/").status_code == 404
        assert client.get("/static/docs/index.html").content == b"<h1>docs</h1>"


def test_html_redirect_location_is_relative_and_escaped(tree: pathlib.Path, interface: str) -> None:
    (tree / "a b:c").mkdir()
    (tree / "a b:c" / "index.html").write_bytes(b"odd")
    with _client(_app(tree, html=True), interface) as client:
        r = client.get("/static/a%20b%3Ac", follow_redirects=False)
        assert r.headers["location"] == "./a%20b%3Ac/"  # not "a b:c/", which is a scheme
        assert client.get("/static/a%20b%3Ac", follow_redirects=True).content == b"odd"


def test_html_404_page(tree: pathlib.Path, interface: str) -> None:
    (tree / "404.html").write_bytes(b"<h1>lost</h1>")
    with _client(_app(tree, html=True, cache_control="max-age=60"), interface) as client:
        for target in ("/static/nope", "/static/../secret.txt", "/static/.env", "/static/sub/"):
            r = _raw_get(client, target)
            assert (r.status_code, r.content) == (404, b"<h1>lost</h1>"), target
            assert r.headers["content-type"] == "text/html; charset=utf-8"
            assert "cache-control" not in r.headers
        etag = client.get("/static/404.html").headers["etag"]
        r = client.get("/static/nope", headers={"if-none-match": etag, "range": "bytes=0-1"})
        assert (r.status_code, r.content) == (404, b"<h1>lost</h1>")  # no 304/206 for a 404
        assert client.head("/static/nope").status_code == 404
    with _client(_app(tree), interface) as client:  # without html=True: the usual problem
        assert client.get("/static/nope").headers["content-type"] == "application/problem+json"


def test_index_html_is_not_served_without_html(tree: pathlib.Path, interface: str) -> None:
    with _client(_app(tree), interface) as client:
        assert client.get("/static/docs/").status_code == 404
        assert client.get("/static/docs", follow_redirects=False).status_code == 404


# -- mounting ------------------------------------------------------------------------------


def test_on_a_router_and_at_the_root(tree: pathlib.Path, interface: str) -> None:
    app = Application(docs_url=None, openapi_url=None)
    assets = Router(prefix="/v1")
    StaticFiles(tree, html=True).mount(assets, "/assets", name="assets")
    app.include_router(assets)
    other = Router()
    other.add_route("/raw/{path:path}", StaticFiles(tree))
    app.include_router(other)
    root = Application(docs_url=None, openapi_url=None)
    root.mount_static("/", tree, html=True)
    with _client(app, interface) as client:
        assert client.get("/v1/assets/a.txt").content == b"0123456789"
        assert client.get("/v1/assets/docs", follow_redirects=True).content == b"<h1>docs</h1>"
        assert client.get("/raw/sub/b.txt").content == b"bee"
        assert _raw_get(client, "/raw/../secret.txt").status_code == 404
        assert app.url_path_for("assets", path="sub/b.txt") == "/v1/assets/sub/b.txt"
        assert "/v1/assets/{path}" not in client.app.openapi()["paths"]
    with _client(root, interface) as client:
        assert client.get("/").content == b"<h1>home</h1>"
        assert client.get("/docs", follow_redirects=False).headers["location"] == "./docs/"
        assert client.get("/a.txt").content == b"0123456789"
        assert _raw_get(client, "//etc/passwd").status_code == 404
        assert _raw_get(client, "/../secret.txt").status_code == 404


def test_mount_errors(tmp_path: pathlib.Path) -> None:
    app = Application()
    with pytest.raises(ValueError, match="does not exist"):
        app.mount_static("/static", tmp_path / "missing")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ValueError, match="is not a directory"):
        app.mount_static("/static", tmp_path / "file")
    with pytest.raises(ValueError, match="plain path"):
        app.mount_static("/static/{x}", tmp_path)
    with pytest.raises(ValueError, match="plain path"):
        app.mount_static("static", tmp_path)
    with pytest.raises(ValueError, match="cache_control"):
        app.mount_static("/static", tmp_path, cache_control="a\r\nb")


def test_misses_go_through_the_404_handler(tree: pathlib.Path, interface: str) -> None:
    """The custom 404 handler sees misses like any other 404."""
    app = _app(tree)

    @app.exception_handler(404)
    async def not_found(request: object, exc: object) -> tuple[dict[str, str], int]:
        return {"missing": "yes"}, 404

    with _client(app, interface) as client:
        assert client.get("/static/nope.txt").json() == {"missing": "yes"}
        assert _raw_get(client, "/static/../secret.txt").json() == {"missing": "yes"}
