"""Signing in on the demo's live page in a real browser (chromium through Selenium, as in
tests/live/test_browser.py), against ``bootstrap:app`` under real ``granian --interface
rsgi|asgi`` and ``uvicorn`` processes, with no secret in the environment (the demo
generates them).

The page signs in (a wrong password first), creates a signed note through its form (the
CSRF token sent as X-CSRF-Token), and a write from the page without the token is refused; an
API client signs in without cookies and writes with its bearer token; the page signs out.
Then the server's whole output must announce the generated secrets and show none of the
token, the cookies or the password. Every wait is an explicit condition; nothing sleeps.
"""

from __future__ import annotations

import pathlib
import signal
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.live import test_browser
from tests.live.servers import KINDS, Server, start
from tests.live.test_browser import SAFETY, _text_in

pytestmark = pytest.mark.live

browser = test_browser.browser  # the same headless chromium setup (one for this module)

FORGED_WRITE = """
const done = arguments[arguments.length - 1];
fetch("/api/me/notes", {method: "POST", headers: {"content-type": "application/json"},
                        body: JSON.stringify({title: "forged", body: "no token"})})
  .then((r) => done(r.status), (e) => done(String(e)));
"""


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def live(
    server: str,
    browser: webdriver.Chrome,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Server]:
    for name in ("ORIONIS_SECRET_KEY", "ORIONIS_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    env = {"ORIONIS_NOTES_DB": str(tmp_path / "notes.db")}
    running = start(server, "bootstrap:app", tmp_path / "events.log", env)
    # Cookies are per host, not per port: none from an earlier server may reach this one.
    browser.get(running.url + "/health")
    browser.delete_all_cookies()
    yield running
    browser.get("about:blank")  # closes the page's event stream and socket
    assert running.terminate(timeout=SAFETY) != -signal.SIGKILL


def _sign_in(browser: webdriver.Chrome, user: str, password: str) -> None:
    for element_id, text in (("login-user", user), ("login-password", password)):
        field = browser.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)
    browser.find_element(By.ID, "login-submit").click()


def test_sign_in_then_write_through_the_csrf_protected_form(
    browser: webdriver.Chrome, live: Server
) -> None:
    browser.get(live.url + "/live/")
    _text_in(browser, "feed-status", "live")
    _text_in(browser, "account-status", "signed out")

    _sign_in(browser, "demo", "not-the-password")
    _text_in(browser, "account-status", "sign-in refused (401)")
    _sign_in(browser, "demo", "demo-password")
    _text_in(browser, "account-status", "signed in as demo")
    cookies = {c["name"]: c for c in browser.get_cookies()}
    assert cookies["session"]["httpOnly"] and cookies["session"]["sameSite"] == "Lax"
    assert not cookies["csrftoken"]["httpOnly"]

    browser.find_element(By.ID, "note-title").send_keys("signed in the page")
    browser.find_element(By.ID, "note-body").send_keys("through the form")
    browser.find_element(By.ID, "note-add").click()
    _text_in(browser, "events", "created: signed in the page")
    _text_in(browser, "notes", "signed in the page: through the form (by demo)")

    # The same write from the page without the token: refused by the CSRF check.
    assert browser.execute_async_script(FORGED_WRITE) == 403

    # An API client: no cookies, a bearer token, no CSRF token needed.
    answer = httpx.post(
        live.url + "/login", json={"username": "demo", "password": "demo-password"}, timeout=10
    ).json()
    access_token = answer["access_token"]
    created = httpx.post(
        live.url + "/api/me/notes",
        json={"title": "from a token", "body": "bearer"},
        headers={"authorization": f"Bearer {access_token}"},
        timeout=10,
    )
    assert created.status_code == 201 and created.json()["author"] == "demo"
    _text_in(browser, "notes", "from a token: bearer (by demo)")
    gzipped = httpx.get(live.url + "/api/notes", headers={"accept-encoding": "gzip"}, timeout=10)
    assert gzipped.json()[0]["title"] == "signed in the page"

    browser.find_element(By.ID, "logout").click()
    _text_in(browser, "account-status", "signed out")
    assert "session" not in {c["name"] for c in browser.get_cookies()}
    browser.find_element(By.ID, "note-title").send_keys("anonymous again")
    browser.find_element(By.ID, "note-body").send_keys("no author")
    browser.find_element(By.ID, "note-add").click()
    _text_in(browser, "notes", "anonymous again: no author")
    assert "forged" not in browser.find_element(By.ID, "notes").text
    listed = httpx.get(live.url + "/api/notes", timeout=10).json()
    assert [n["author"] for n in listed] == ["demo", "demo", None]

    browser.get("about:blank")
    assert live.terminate(timeout=SAFETY) != -signal.SIGKILL
    output = live.output()
    assert "ORIONIS_SECRET_KEY is not set: generated a random secret" in output, output
    assert "ORIONIS_JWT_SECRET is not set: generated a random secret" in output, output
    for value in (
        access_token,
        cookies["session"]["value"],
        cookies["csrftoken"]["value"],
        "demo-password",
    ):
        assert value not in output
