"""The online pages in headless Chromium at a phone's viewport, against the real server: booking a
slot on /book, and the tracking page following people ahead live and notifying when near."""

from __future__ import annotations

import re

import pytest
import trio

from support.clock import ManualClock
from support.servers import login, served_hall
from support.browser import SHOTS, WAIT_MS, Watched, in_browser

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Headless Chromium has no notification centre to look at: the page's calls to the Notification
# API are recorded instead (the permission is granted, as a citizen tapping "allow" would).
RECORD_NOTIFICATIONS = """
window.__shown = [];
window.Notification = class { constructor(title, options) { window.__shown.push(title + " | " + options.body); }
  static get permission() { return "granted"; } static requestPermission() { return Promise.resolve("granted"); } };
"""


def wait_until(page, expression: str) -> None:  # noqa: ANN001
    """Until `expression` is true in the page (polled through the devtools protocol: the pages'
    Content-Security-Policy forbids the eval that Playwright's wait_for_function would need)."""
    for _ in range(WAIT_MS // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {WAIT_MS} ms: {expression}")


def book_on_phone(page, url: str, day: str, slot: str, name: str, phone: str) -> str:  # noqa: ANN001
    """Book a CA-TN slot on /book the way a citizen taps through it; the booking's code."""
    from playwright.sync_api import expect

    page.goto(f"{url}/book")
    page.locator('[data-agency="CA"]').tap()
    page.locator('[data-service="CA-TN"]').tap()
    expect(page.locator('[data-day="2027-03-06"]')).to_have_count(0, timeout=WAIT_MS)  # a Saturday: not offered
    page.locator(f'[data-day="{day}"]').tap()
    page.locator(f'[data-slot="{slot}"]').tap()
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.locator("#confirm").tap()
    expect(page.locator("#code")).to_have_text(re.compile(r"^[A-Z0-9]{10}$"), timeout=WAIT_MS)
    return page.locator("#code").inner_text()


async def test_a_citizen_books_a_slot_from_a_phone(chromium, tmp_path):
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", ManualClock()) as (server, http):
        found: dict[str, str] = {}

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            page = browser.new_context(**PHONE).new_page()
            watched = Watched()
            watched.watch(page)
            book_on_phone(page, server.url, "2027-03-02", "07:50", "Nguyễn Thị Hoa", "0912 345 678")
            expect(page.locator("#when")).to_contain_text("02/03/2027 · 07:50–08:10")
            wait_until(page, "document.getElementById('qr').naturalWidth > 0")
            assert page.url.endswith("/book/" + page.locator("#code").inner_text())
            page.screenshot(path=str(SHOTS / "book-phone.png"), full_page=True)
            found["code"] = page.locator("#code").inner_text()
            page.goto(f"{server.url}/book")  # the same slot again, by another citizen: one place fewer
            page.locator('[data-agency="CA"]').tap()
            page.locator('[data-service="CA-TN"]').tap()
            page.locator('[data-day="2027-03-02"]').tap()
            expect(page.locator('[data-slot="07:50"] small')).to_have_text("còn 4 chỗ", timeout=WAIT_MS)
            page.goto(f"{server.url}/book?lang=en")  # the same page in English, from the English catalogue
            expect(page.locator("#title")).to_have_text("Book a time", timeout=WAIT_MS)
            page.locator('[data-agency="CA"]').tap()
            page.locator('[data-service="CA-TN"]').tap()
            page.locator('[data-day="2027-03-02"]').tap()
            expect(page.locator('[data-slot="07:50"] small')).to_have_text("4 places left", timeout=WAIT_MS)
            assert not watched.errors and not watched.violations(page), (watched.errors, watched.violations(page))

        await in_browser(chromium, scenario)
        booked = (await http.get(f"/api/v1/appointments/{found['code']}")).json()
        assert booked["state"] == "booked" and booked["start"] == "07:50" and booked["phone"].endswith("678")


async def test_the_tracking_page_follows_people_ahead_and_notifies_when_near(chromium, tmp_path):
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", ManualClock()) as (server, http):
        ids = []
        for i in range(6):
            answer = await http.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "web", "phone": f"09000000{i:02d}"})
            ids.append(answer.json())
        mine = ids[4]  # four ahead: not near yet (near is 3 for CA-TN)
        officer = await login(http, "canbo33")
        await http.post("/api/v1/cabins/33/open", headers=officer)
        portal = trio.lowlevel.current_trio_token()

        def act(path: str) -> None:
            async def call() -> None:
                await http.post(path, headers=officer)
            trio.from_thread.run(call, trio_token=portal)

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            context = browser.new_context(**PHONE)
            context.add_init_script(RECORD_NOTIFICATIONS)
            page = context.new_page()
            watched = Watched()
            watched.watch(page)
            page.goto(f"{server.url}/track/{mine['id']}")
            expect(page.locator("#ahead")).to_have_text("4", timeout=WAIT_MS)
            page.locator("#near-notify").tap()
            expect(page.locator("#near-note")).to_have_text("Sẽ báo khi sắp đến lượt.", timeout=WAIT_MS)
            assert page.evaluate("window.__shown") == []
            act("/api/v1/cabins/33/call-next")
            expect(page.locator("#ahead")).to_have_text("3", timeout=WAIT_MS)
            wait_until(page, "window.__shown.length === 1")
            assert page.evaluate("window.__shown")[0].startswith(f"Số {mine['number']} sắp đến lượt")
            for _ in range(4):
                act("/api/v1/cabins/33/finish")
                act("/api/v1/cabins/33/call-next")
            expect(page.locator("#called")).to_contain_text("quầy 33", timeout=WAIT_MS)
            wait_until(page, "window.__shown.length === 2")
            assert page.evaluate("window.__shown")[1] == f"Mời số {mine['number']} | Mời đến quầy 33."
            page.screenshot(path=str(SHOTS / "track-phone-called.png"), full_page=True)
            assert not watched.errors and not watched.violations(page), (watched.errors, watched.violations(page))

        await in_browser(chromium, scenario)
