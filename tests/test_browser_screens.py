"""The screens in real headless Chromium against the real server.

Skipped with a reason when no Chromium is installed, unless HALL_REQUIRE_BROWSER=1 (set by
.ci/run), which turns a missing browser into a failure. Each test saves screenshots into
test-artifacts/screenshots/ for people to look at.

The browser runs in a worker thread (Playwright's sync API); the servers run in the test's trio
loop, and the thread reaches them with `trio.from_thread.run` when it needs a restart.
"""

from __future__ import annotations

import re

import httpx
import pytest
import trio

from api.server import ServeOptions, run_hall
from support.browser import SHOTS, WAIT_MS, api_login, call_through_api, in_browser, watch_errors, open_paired_kiosk
from support.waits import WAIT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


class RestartableHall:
    """A hall server that can be stopped and started again on the same port and SQLite file."""

    def __init__(self, nursery: trio.Nursery, db: str) -> None:
        self.nursery, self.db, self.port, self.url = nursery, db, 0, ""
        self._stop = trio.Event()
        self._stopped = trio.Event()

    async def start(self) -> None:
        self._stop, self._stopped = trio.Event(), trio.Event()

        async def serve(task_status: trio.TaskStatus) -> None:
            try:
                await run_hall(ServeOptions(db=self.db, port=self.port), shutdown_trigger=self._stop.wait, task_status=task_status)
            finally:
                self._stopped.set()

        with trio.fail_after(WAIT):
            server = await self.nursery.start(serve)
        self.url = server.url
        self.port = int(server.url.rsplit(":", 1)[1])

    async def stop(self) -> None:
        self._stop.set()
        with trio.fail_after(WAIT):  # graceful shutdown with the browser's sockets still open
            await self._stopped.wait()

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def hall(nursery: trio.Nursery, tmp_path) -> RestartableHall:
    server = RestartableHall(nursery, f"sqlite:///{tmp_path / 'hall.db'}")
    await server.start()
    yield server
    await server.stop()


async def test_a_call_made_through_the_api_appears_on_the_hall_and_cabin_displays(hall, chromium):
    def scenario(browser) -> None:  # noqa: ANN001
        from playwright.sync_api import expect

        with httpx.Client(base_url=hall.url, timeout=30) as http:
            tv = browser.new_page(viewport={"width": 1920, "height": 1080})
            tv_errors = watch_errors(tv)
            tv.goto(f"{hall.url}/display/hall")
            cabin = browser.new_page(viewport={"width": 1280, "height": 720})
            cabin_errors = watch_errors(cabin)
            cabin.goto(f"{hall.url}/display/cabin/33")
            expect(tv.locator("#hall-name")).to_have_text(re.compile("Quảng Nam"), timeout=WAIT_MS)
            expect(cabin.locator("#dept")).to_have_text("Công an tỉnh", timeout=WAIT_MS)

            number = call_through_api(http, 33, "CA-TN")
            expect(tv.locator("#latest")).to_have_attribute("data-number", number, timeout=WAIT_MS)
            expect(tv.locator("#latest .cabin")).to_have_text("33")
            expect(cabin.locator("#number")).to_have_text(number, timeout=WAIT_MS)
            expect(cabin.locator("#state")).to_have_attribute("data-state", "open")

            second = call_through_api(http, 2, "STP-TN")  # the newest moves up, the older one is kept
            expect(tv.locator("#latest")).to_have_attribute("data-number", second, timeout=WAIT_MS)
            expect(tv.locator(f'#recent tr[data-number="{number}"][data-cabin="33"]')).to_have_count(1, timeout=WAIT_MS)

            auth = api_login(http, "canbo33")
            http.post("/api/v1/cabins/33/finish", headers=auth)
            http.post("/api/v1/cabins/33/pause", headers=auth, json={"reason": "Nghỉ giải lao"})
            expect(cabin.locator("#state")).to_have_text("Tạm dừng: Nghỉ giải lao", timeout=WAIT_MS)
            tv.screenshot(path=SHOTS / "hall-display.png")
            cabin.screenshot(path=SHOTS / "cabin-display.png")
            assert tv_errors == [] and cabin_errors == []

    await in_browser(chromium, scenario)


async def test_the_hall_display_keeps_working_across_a_server_restart(hall, chromium):
    def scenario(browser) -> None:  # noqa: ANN001
        from playwright.sync_api import expect

        tv = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors = watch_errors(tv)
        tv.goto(f"{hall.url}/display/hall")
        tv.evaluate("window.__sameDocument = true")  # disappears if the page ever reloads
        with httpx.Client(base_url=hall.url, timeout=30) as http:
            first = call_through_api(http, 33, "CA-TN")
        expect(tv.locator("#latest")).to_have_attribute("data-number", first, timeout=WAIT_MS)

        trio.from_thread.run(hall.stop)
        expect(tv.locator("body")).to_have_attribute("data-online", "0", timeout=WAIT_MS)
        expect(tv.locator(".conn")).to_have_text(re.compile("Mất kết nối"))
        tv.screenshot(path=SHOTS / "hall-display-offline.png")
        trio.from_thread.run(hall.start)  # same port, same SQLite file: the journal is replayed

        with httpx.Client(base_url=hall.url, timeout=30) as http:
            second = call_through_api(http, 2, "STP-TN")
        expect(tv.locator("#latest")).to_have_attribute("data-number", second, timeout=WAIT_MS)
        expect(tv.locator(f'#recent tr[data-number="{first}"]')).to_have_count(1)
        assert tv.evaluate("window.__sameDocument") is True
        expect(tv.locator("body")).to_have_attribute("data-online", "1")
        assert errors == []

    await in_browser(chromium, scenario)


async def test_every_page_renders_and_is_saved_as_a_screenshot(hall, chromium):
    def scenario(browser) -> None:  # noqa: ANN001
        from playwright.sync_api import expect

        # The kiosk: a citizen takes a number with the touch screen.
        kiosk = browser.new_page(viewport={"width": 1280, "height": 1024})
        errors = watch_errors(kiosk)
        open_paired_kiosk(kiosk, hall.url)  # the kiosk proves it is one
        kiosk.locator('[data-agency="CA"]').click(timeout=WAIT_MS)
        kiosk.screenshot(path=SHOTS / "kiosk-services.png")
        kiosk.locator('[data-service="CA-TN"]').click()
        expect(kiosk.locator("#t-number")).to_have_text(re.compile(r"^W\d+$"), timeout=WAIT_MS)
        number = kiosk.locator("#t-number").inner_text()
        track_url = kiosk.locator("#t-track").inner_text()
        kiosk.screenshot(path=SHOTS / "kiosk-ticket.png")

        # The citizen's phone follows the ticket.
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        errors += watch_errors(phone)
        phone.goto(track_url)
        expect(phone.locator("#number")).to_have_text(number, timeout=WAIT_MS)
        expect(phone.locator("#ahead")).to_have_text("0")
        phone.screenshot(path=SHOTS / "track-waiting.png")

        # The officer logs in, opens the cabin and calls: the phone says where to go.
        officer = browser.new_page(viewport={"width": 1280, "height": 900})
        errors += watch_errors(officer)
        officer.goto(f"{hall.url}/officer")
        officer.fill("#username", "canbo33")
        officer.fill("#password", "demo")
        officer.click("#login-button")
        officer.locator('[data-action="open"]').click(timeout=WAIT_MS)
        expect(officer.locator("#cabin-state")).to_have_text("Đang mở", timeout=WAIT_MS)
        expect(officer.locator(f'#queue tr[data-number="{number}"]')).to_have_count(1, timeout=WAIT_MS)
        officer.screenshot(path=SHOTS / "officer-queue.png")
        officer.locator("#call-next").click()
        expect(officer.locator("#current-number")).to_have_text(number, timeout=WAIT_MS)
        expect(phone.locator("#called")).to_have_text(f"Số {number} đang được mời đến quầy 33", timeout=WAIT_MS)
        phone.screenshot(path=SHOTS / "track-called.png")
        officer.locator('[data-action="start"]').click()
        expect(officer.locator("#current-state")).to_have_text("Đang phục vụ", timeout=WAIT_MS)
        officer.screenshot(path=SHOTS / "officer-serving.png")

        # The public board and the leaders' dashboard: live queue, statistics from the API.
        board = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors += watch_errors(board)
        board.goto(f"{hall.url}/board")
        expect(board.locator('#rows tr[data-agency="CA"]')).to_have_count(1, timeout=WAIT_MS)
        # Statistics come from /api/v1/stats/today: the board must have read them.
        expect(board.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
        board.screenshot(path=SHOTS / "board.png")

        dashboard = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors += watch_errors(dashboard)
        dashboard.goto(f"{hall.url}/dashboard")
        expect(dashboard.locator('#cabins [data-cabin="33"]')).to_have_class("open", timeout=WAIT_MS)
        expect(dashboard.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
        dashboard.screenshot(path=SHOTS / "dashboard.png", full_page=True)

        tv = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors += watch_errors(tv)
        tv.goto(f"{hall.url}/display/hall")
        expect(tv.locator("#latest")).to_have_attribute("data-number", number, timeout=WAIT_MS)
        cabin = browser.new_page(viewport={"width": 1280, "height": 720})
        cabin.goto(f"{hall.url}/display/cabin/33")
        expect(cabin.locator("#label")).to_have_text("Đang phục vụ số", timeout=WAIT_MS)
        cabin.screenshot(path=SHOTS / "cabin-serving.png")
        assert errors == []
        for name in ("kiosk-ticket", "track-called", "officer-serving", "board", "dashboard", "cabin-serving"):
            assert (SHOTS / f"{name}.png").stat().st_size > 10_000

    await in_browser(chromium, scenario)
