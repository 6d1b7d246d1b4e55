"""The demo's live page in a real browser: Debian's ``chromium`` driven by Selenium through
Debian's ``chromedriver`` (nothing downloads a browser or a driver: the driver path is given,
so Selenium Manager never runs, and SE_OFFLINE=1 forbids it anyway), against ``bootstrap:app``
served by real ``granian --interface rsgi|asgi`` and ``uvicorn`` processes.

The page must show a note created through the API (server-sent events), a note created with
its own form, and a chat message echoed back over the WebSocket. Every wait is an explicit
condition with a generous safety timeout; nothing sleeps.
"""

from __future__ import annotations

import pathlib
import signal
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium
from tests.live.servers import KINDS, Server, start

pytestmark = pytest.mark.live

SAFETY = 60.0  # a safety net for a loaded machine, not an expected duration


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path_factory.mktemp("chromium-profile"), SAFETY) as driver:
        yield driver


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def live(server: str, browser: webdriver.Chrome, tmp_path: pathlib.Path) -> Iterator[Server]:
    env = {"ORIONIS_NOTES_DB": str(tmp_path / "notes.db")}
    running = start(server, "bootstrap:app", tmp_path / "events.log", env)
    yield running
    # Leaving the page closes its event stream and socket: servers wait for open responses
    # on SIGTERM, so a page left open would hold the shutdown
    browser.get("about:blank")
    # (app.js closes both on pagehide), and the server stops by itself, not by SIGKILL.
    assert running.terminate(timeout=SAFETY) != -signal.SIGKILL, running.output()


def _text_in(browser: webdriver.Chrome, element_id: str, text: str) -> None:
    condition = EC.text_to_be_present_in_element((By.ID, element_id), text)
    WebDriverWait(browser, SAFETY).until(condition, f"{text!r} never appeared in #{element_id}")


def test_the_live_page_sees_sse_and_websocket(
    browser: webdriver.Chrome, live: Server, tmp_path: pathlib.Path
) -> None:
    browser.get(live.url + "/live/")
    assert browser.title == "Orionis live demo"
    _text_in(browser, "feed-status", "live")  # subscribed: what is published now arrives

    created = httpx.post(
        live.url + "/api/notes", json={"title": "from the API", "body": "over SSE"}, timeout=10
    )
    assert created.status_code == 201
    _text_in(browser, "events", "created: from the API")
    _text_in(browser, "notes", "from the API: over SSE")

    browser.find_element(By.ID, "note-title").send_keys("from the form")
    browser.find_element(By.ID, "note-body").send_keys("typed in the page")
    browser.find_element(By.ID, "note-add").click()
    _text_in(browser, "events", "created: from the form")

    _text_in(browser, "chat-status", "connected")
    browser.find_element(By.ID, "chat-input").send_keys("hello <b>over</b> the socket")
    browser.find_element(By.ID, "chat-send").click()
    _text_in(browser, "chat-log", "hello <b>over</b> the socket")  # as text, not markup

    note_id = created.json()["id"]
    assert httpx.delete(f"{live.url}/api/notes/{note_id}", timeout=10).status_code == 204
    _text_in(browser, "events", f"deleted: note {note_id}")

    screenshot = tmp_path / f"live-{live.kind}.png"
    assert browser.save_screenshot(str(screenshot))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "created: from the API" in body
    assert "from the form: typed in the page" in body
    assert "hello <b>over</b> the socket" in body
    assert "from the API: over SSE" not in body  # removed from the list by the delete event
    assert browser.find_elements(By.CSS_SELECTOR, "#chat-log b") == []
