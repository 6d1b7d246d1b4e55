"""``/docs``: a pinned Swagger UI with integrity hashes, or served from a local directory;
``Cache-Control`` on the page and the document."""

from __future__ import annotations

import pathlib
import re

import pytest

from orionis import Application
from orionis.middleware import SecurityHeadersMiddleware
from orionis.openapi import (
    SWAGGER_CSS,
    SWAGGER_CSS_INTEGRITY,
    SWAGGER_JS,
    SWAGGER_JS_INTEGRITY,
    SWAGGER_UI_VERSION,
)
from orionis.testing import TestClient

JS = b"window.SwaggerUIBundle = function () {};\n"
CSS = b"body { margin: 0 }\n"


@pytest.fixture
def assets(tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / "swagger"
    folder.mkdir()
    (folder / "swagger-ui-bundle.js").write_bytes(JS)
    (folder / "swagger-ui.css").write_bytes(CSS)
    (tmp_path / "secret.txt").write_text("secret")
    return folder


def test_the_cdn_release_is_pinned_with_integrity(interface: str) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", SWAGGER_UI_VERSION)
    for digest in (SWAGGER_JS_INTEGRITY, SWAGGER_CSS_INTEGRITY):
        assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", digest)
    with TestClient(Application(), interface) as client:
        r = client.get("/docs")
    page = r.text
    assert f"swagger-ui-dist@{SWAGGER_UI_VERSION}/" in SWAGGER_JS
    assert "@5/" not in page  # no floating major version
    assert (
        f'<script src="{SWAGGER_JS}" integrity="{SWAGGER_JS_INTEGRITY}" '
        'crossorigin="anonymous"></script>'
    ) in page
    assert (
        f'<link rel="stylesheet" href="{SWAGGER_CSS}" integrity="{SWAGGER_CSS_INTEGRITY}" '
        'crossorigin="anonymous">'
    ) in page
    policy = r.headers["content-security-policy"]
    assert "script-src 'unsafe-inline' https://cdn.jsdelivr.net;" in policy


def test_page_and_document_say_how_to_cache(interface: str) -> None:
    with TestClient(Application(), interface) as client:
        assert client.get("/docs").headers["cache-control"] == "no-cache"
        assert client.get("/openapi.json").headers["cache-control"] == "no-cache"


def test_own_asset_urls_get_no_integrity(interface: str) -> None:
    app = Application(docs_js_url="/static/s.js", docs_css_url="/static/s.css")
    with TestClient(app, interface) as client:
        page = client.get("/docs").text
    assert '<script src="/static/s.js"></script>' in page
    assert "integrity" not in page


def test_served_assets_work_offline(interface: str, assets: pathlib.Path) -> None:
    app = Application(docs_assets=assets)
    app.add_middleware(SecurityHeadersMiddleware)
    with TestClient(app, interface) as client:
        r = client.get("/docs")
        page = r.text
        assert '<script src="/docs/swagger-ui-bundle.js"></script>' in page
        assert '<link rel="stylesheet" href="/docs/swagger-ui.css">' in page
        assert "cdn.jsdelivr" not in page and "integrity" not in page
        policy = r.headers["content-security-policy"]
        assert "script-src 'unsafe-inline' 'self';" in policy and "https:" not in policy
        js = client.get("/docs/swagger-ui-bundle.js")
        assert (js.status_code, js.content) == (200, JS)
        assert "javascript" in js.headers["content-type"]
        assert js.headers["cache-control"] == "no-cache"
        again = client.get(
            "/docs/swagger-ui-bundle.js", headers={"if-none-match": js.headers["etag"]}
        )
        assert again.status_code == 304
        css = client.get("/docs/swagger-ui.css")
        assert (css.status_code, css.content) == (200, CSS)
        assert css.headers["content-type"].startswith("text/css")
        # nothing else in (or out of) the directory is reachable
        assert client.get("/docs/secret.txt").status_code == 404
        assert client.get("/docs/..%2Fsecret.txt").status_code == 404
        assert client.get("/docs/swagger-ui.css/..%2F..%2Fsecret.txt").status_code == 404
        # the assets are not API operations
        assert set(client.get("/openapi.json").json()["paths"]) == set()


def test_served_assets_behind_a_prefix(interface: str, assets: pathlib.Path) -> None:
    app = Application(docs_assets=str(assets), docs_url="/reference/", root_path="/api")
    with TestClient(app, interface) as client:
        page = client.get("/api/reference/").text
        assert 'src="/api/reference/swagger-ui-bundle.js"' in page
        assert 'href="/api/reference/swagger-ui.css"' in page
        assert client.get("/api/reference/swagger-ui-bundle.js").content == JS


def test_files_removed_after_startup_are_404(interface: str, assets: pathlib.Path) -> None:
    app = Application(docs_assets=assets)
    (assets / "swagger-ui.css").unlink()
    with TestClient(app, interface) as client:
        assert client.get("/docs/swagger-ui.css").status_code == 404


def test_bad_asset_settings_are_refused(assets: pathlib.Path) -> None:
    with pytest.raises(ValueError, match=r"lacks swagger-ui-bundle.js, swagger-ui.css.*npm pack"):
        Application(docs_assets=assets.parent / "nowhere")
    (assets / "swagger-ui.css").unlink()
    with pytest.raises(ValueError, match=r"lacks swagger-ui.css"):
        Application(docs_assets=assets)
    with pytest.raises(ValueError, match="not both"):
        Application(docs_assets=assets, docs_js_url="/x.js")
    with pytest.raises(ValueError, match="docs_url"):
        Application(docs_assets=assets, docs_url=None)
    Application(docs_assets=assets, openapi_url=None)  # no docs at all: nothing to serve
