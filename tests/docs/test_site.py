"""The documentation site builds (``mkdocs build --strict``) and renders in a real browser.

The site is built into a temporary directory, served by the standard library's http.server on
127.0.0.1 (a free port), and opened in Debian's headless ``chromium`` through Debian's
``chromedriver`` (nothing downloads a browser: the driver path is given and SE_OFFLINE=1).
The home page, the tutorial and one API page must each show their title and first heading;
a screenshot of each is saved next to the built site and checked to be a real PNG.
"""

from __future__ import annotations

import functools
import http.server
import os
import pathlib
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAFETY = 60.0  # a safety net for a loaded machine, not an expected duration

PAGES = [
    ("", "Orionis", "Orionis"),
    ("tutorial/", "Tutorial - Orionis", "Tutorial: a notes API"),
    ("api/orionis/", "orionis - Orionis", "orionis"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr[-4000:]}"
    return out


@pytest.fixture(scope="module")
def server(site: pathlib.Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(SAFETY)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path_factory.mktemp("chromium-profile"), SAFETY) as driver:
        yield driver


def test_build_is_self_contained(site: pathlib.Path) -> None:
    """Nothing the pages need comes from elsewhere: no web fonts, scripts or styles."""
    for page in ("index.html", "tutorial/index.html", "api/orionis/index.html"):
        html = (site / page).read_text()
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
        assert 'src="https://' not in html and 'rel="stylesheet" href="https://' not in html
    assert (site / "repo" / "benchmarks" / "results" / "latest.png").is_file()


@pytest.mark.parametrize(("path", "title", "heading"), PAGES, ids=["home", "tutorial", "api"])
def test_page_renders(  # type: ignore[no-untyped-def]
    browser: webdriver.Chrome, server: str, site: pathlib.Path, path: str, title: str, heading: str
) -> None:
    browser.get(server + path)
    WebDriverWait(browser, SAFETY).until(EC.title_is(title))
    h1 = WebDriverWait(browser, SAFETY).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "article h1"))
    )
    assert h1.text.replace("¶", "").strip() == heading
    shot = site / f"screenshot-{path.strip('/').replace('/', '-') or 'home'}.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000  # a rendered page
