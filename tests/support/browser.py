"""Headless Chromium (playwright's sync API) for the page tests.

Skipped with a reason when no Chromium is installed, unless HALL_REQUIRE_BROWSER=1 (set by
.ci/run), which turns a missing browser into a failure. The browser runs in a worker thread; the
servers run in the test's trio loop (a scenario reaches them with `trio.from_thread.run`).

`watch_page` records what would make a page wrong without it failing loudly: uncaught script
errors, and every Content-Security-Policy violation (the `securitypolicyviolation` event, hooked
before the page's own scripts run, and Chromium's console report of a refused resource).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from support.devices import KIOSK

ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
# The pictures docs/screens.md shows: written into docs/screens/ when HALL_DOC_SCREENSHOTS=1 (to
# refresh the docs), otherwise beside the other screenshots, so that a test run leaves the
# checkout's tracked files alone.
DOC_SHOTS = ROOT / "docs" / "screens" if os.environ.get("HALL_DOC_SCREENSHOTS") == "1" else SHOTS / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--font-render-hinting=none"]
WAIT_MS = 15_000
BROWSER_LIMIT = 150.0  # one scenario; its own steps wait WAIT_MS at most each

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    required = os.environ.get("HALL_REQUIRE_BROWSER") == "1"
    if path is None:
        if required:
            pytest.fail("HALL_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("no chromium on PATH: browser tests need it (set HALL_REQUIRE_BROWSER=1 to make this a failure)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if required:
            pytest.fail("HALL_REQUIRE_BROWSER=1 but playwright is not installed")
        pytest.skip("playwright is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    return path


def run_browser(chromium: str, scenario: Callable[[Any], None]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            scenario(browser)
        finally:
            browser.close()


async def in_browser(chromium: str, scenario: Callable[[Any], None], limit: float = BROWSER_LIMIT) -> None:
    """Run `scenario` in Chromium on a worker thread; a browser that hangs fails the test."""
    with trio.fail_after(limit):
        await trio.to_thread.run_sync(run_browser, chromium, scenario, abandon_on_cancel=True)


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@dataclass
class Watched:
    """What went wrong on the pages watched: script errors and CSP violations."""

    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        page.add_init_script(WATCH_CSP)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self.console.append(f"{page.url}: {msg.text}")
                if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
        return page

    def violations(self, page: Any) -> list[str]:
        return [*self.console, *page.evaluate("window.__csp || []")]


# ---- the hall through its API, from a scenario's thread ---------------------------------------

def api_login(http: httpx.Client, username: str) -> dict[str, str]:
    answer = http.post("/api/v1/auth/login", json={"username": username, "password": "demo"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def call_through_api(http: httpx.Client, cabin: int, service: str) -> str:
    auth = api_login(http, f"canbo{cabin:02d}")
    assert http.post("/api/v1/tickets", json={"service": service}, headers=KIOSK).status_code == 201
    http.post(f"/api/v1/cabins/{cabin}/open", headers=auth)  # 409 if already open: fine
    http.post(f"/api/v1/cabins/{cabin}/finish", headers=auth)  # free the cabin if it holds a ticket
    called = http.post(f"/api/v1/cabins/{cabin}/call-next", headers=auth)
    assert called.status_code == 200, called.text
    return called.json()["number"]


def open_paired_kiosk(page: Any, base: str, device: str = "kiosk-01", token: str = "demo-kiosk-01") -> None:
    """The kiosk page as a hall's kiosk PC runs it: paired once with its device token, which the
    browser keeps (displays/static/kiosk-device.js) — an unpaired page cannot issue tickets."""
    hall = base.split("/h/", 1)[1].strip("/") if "/h/" in base else ""
    key = f"hall.kiosk.token{'.h.' + hall if hall else ''}.{device}"
    page.add_init_script(f"localStorage.setItem({key!r}, {token!r})")
    page.goto(f"{base}/kiosk?device={device}")
