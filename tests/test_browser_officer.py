"""The officer console with the keyboard only, in real Chromium.

The hall file moves "call next" to Alt+N (the other actions keep their default F-keys), so the
test also shows the shortcuts are the hall's: the buttons show the keys, a key acts like its
button, Enter submits "call a number" and the transfer, focus never falls back to the page, and
every refusal is explained in the page in Vietnamese — no alert(), no English from the server.
"""

from __future__ import annotations

import re

import httpx
import pytest

from support.browser import DOC_SHOTS, SHOTS, WAIT_MS, in_browser, watch_errors
from support.clock import ManualClock, local
from support.halls import hall_file_with
from support.servers import served_hall
from support.devices import KIOSK

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ENGLISH = re.compile(r"\b(the|is|not|cannot|ticket|cabin|no such|error|field|must)\b", re.IGNORECASE)
FOCUS_LOST = "document.activeElement === document.body || document.activeElement === null"


async def test_the_officer_works_the_cabin_from_the_keyboard(tmp_path, chromium):
    clock = ManualClock(local("2027-03-01 09:00"))
    config = hall_file_with(tmp_path, '[display.shortcuts]\ncall_next = "Alt+N"\n')
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", clock, config=config) as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            with httpx.Client(base_url=url, timeout=30) as http:
                numbers = [http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK).json()["number"] for _ in range(3)]
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = watch_errors(page)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{url}/officer")

            # A wrong password is said in the page, not in an alert().
            page.fill("#username", "canbo33")
            page.fill("#password", "wrong")
            page.press("#password", "Enter")
            expect(page.locator("#login-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.", timeout=WAIT_MS)
            page.fill("#password", "demo")
            page.press("#password", "Enter")
            expect(page.locator('[data-action="open"]')).to_be_focused(timeout=WAIT_MS)  # the first thing to press

            # The keys are on the buttons.
            expect(page.locator('[data-action="call-next"] kbd')).to_have_text("Alt+N")
            expect(page.locator('[data-action="finish"] kbd')).to_have_text("F6")
            expect(page.locator('[data-action="call-next"]')).to_have_attribute("aria-keyshortcuts", "Alt+N")

            page.keyboard.press("Enter")  # the focused "open" button
            expect(page.locator("#cabin-state")).to_have_text("Đang mở", timeout=WAIT_MS)
            page.keyboard.press("F2")  # not "call next" in this hall: nothing happens
            page.keyboard.press("Alt+N")
            expect(page.locator("#current-number")).to_have_text(numbers[0], timeout=WAIT_MS)
            assert not page.evaluate(FOCUS_LOST)
            page.keyboard.press("F3")  # recall
            expect(page.locator("#current-state")).to_contain_text("đã gọi lại 1 lần", timeout=WAIT_MS)
            page.keyboard.press("F4")  # start
            expect(page.locator("#current-state")).to_have_text(re.compile("^Đang phục vụ"), timeout=WAIT_MS)
            page.screenshot(path=SHOTS / "officer-keyboard.png")
            page.screenshot(path=DOC_SHOTS / "officer.png")
            page.keyboard.press("F6")  # finish
            expect(page.locator("#current-number")).to_have_text("—", timeout=WAIT_MS)
            assert not page.evaluate(FOCUS_LOST)

            # Enter in "call a number" calls it; focus stays in the field for the next one.
            page.fill("#specific", numbers[2].lower())
            page.press("#specific", "Enter")
            expect(page.locator("#current-number")).to_have_text(numbers[2], timeout=WAIT_MS)
            assert page.evaluate("document.activeElement.id") == "specific"

            # Enter in the transfer fields transfers it (to cabin 34, of the same agency).
            page.fill("#transfer-cabin", "34")
            page.press("#transfer-cabin", "Enter")
            expect(page.locator("#current-number")).to_have_text("—", timeout=WAIT_MS)
            assert not page.evaluate(FOCUS_LOST)

            # A refusal: a number that does not exist. Vietnamese, in the page, no English.
            page.fill("#specific", "Z999")
            page.press("#specific", "Enter")
            expect(page.locator("#error")).to_have_text("Không tìm thấy số thứ tự này.", timeout=WAIT_MS)
            page.keyboard.press("F7")  # no-show: nothing called, the button is disabled, nothing happens
            page.keyboard.press("F8")  # pause, with the reason chosen
            expect(page.locator("#cabin-state")).to_have_text("Tạm dừng: Nghỉ giải lao", timeout=WAIT_MS)
            assert not page.evaluate(FOCUS_LOST)
            body = page.locator("body").inner_text()
            assert not ENGLISH.search(body), ENGLISH.search(body)
            assert dialogs == [] and errors == []

        await in_browser(chromium, scenario)
