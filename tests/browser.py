"""Debian's ``chromium`` driven by Selenium through Debian's ``chromedriver``, headless.

Nothing downloads a browser or a driver: the driver path is given, so Selenium Manager never
runs, and SE_OFFLINE=1 forbids it anyway. Used by the documentation site's test and the demo's
live-page tests.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium(profile: pathlib.Path, page_load_timeout: float) -> Iterator[webdriver.Chrome]:
    """A headless browser with its own ``profile`` directory, quit (and SE_OFFLINE restored)
    afterwards."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(binary), f"no {binary}: apt-get install chromium chromium-driver"
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "1"  # Selenium Manager must never fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_timeout)
    yield driver
    driver.quit()
    if previous is None:
        del os.environ["SE_OFFLINE"]
    else:
        os.environ["SE_OFFLINE"] = previous
