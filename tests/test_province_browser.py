"""A district hall of the sample province in real headless Chromium: its pages under /h/{id}/
talk to their own hall (API, sockets, tracking link, sign-in) and never to the first hall's."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import trio
from support.browser import SHOTS, WAIT_MS, in_browser, watch_errors, open_paired_kiosk

from api.server import ServeOptions, run_hall
from support.waits import WAIT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "province" / "province.toml"


async def test_a_district_halls_pages_serve_that_hall(nursery, tmp_path, chromium):
    options = ServeOptions(db=f"sqlite:///{tmp_path / 'p.db'}", port=0, province=str(SAMPLE))
    with trio.fail_after(WAIT):
        server = await nursery.start(lambda task_status: run_hall(options, shutdown_trigger=trio.sleep_forever, task_status=task_status))
    base = f"{server.url}/h/hoi-an"

    def scenario(browser) -> None:  # noqa: ANN001
        from playwright.sync_api import expect

        tv = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors = watch_errors(tv)
        tv.goto(f"{base}/display/hall")
        expect(tv.locator("#hall-name")).to_have_text(re.compile("Hội An"), timeout=WAIT_MS)
        centre = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors += watch_errors(centre)
        centre.goto(f"{server.url}/display/hall")
        expect(centre.locator("#hall-name")).to_have_text(re.compile("Quảng Nam"), timeout=WAIT_MS)

        kiosk = browser.new_page(viewport={"width": 1280, "height": 1024})
        errors += watch_errors(kiosk)
        open_paired_kiosk(kiosk, base)
        kiosk.locator('[data-agency="CA"]').click(timeout=WAIT_MS)
        kiosk.locator('[data-service="CA-TN"]').click()
        expect(kiosk.locator("#t-number")).to_have_text("D001", timeout=WAIT_MS)
        track_url = kiosk.locator("#t-track").inner_text()
        assert track_url.startswith(f"{base}/track/")

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        errors += watch_errors(phone)
        phone.goto(track_url)
        expect(phone.locator("#number")).to_have_text("D001", timeout=WAIT_MS)

        officer = browser.new_page(viewport={"width": 1280, "height": 900})
        errors += watch_errors(officer)
        officer.goto(f"{base}/officer")
        officer.fill("#username", "canbo05")
        officer.fill("#password", "demo")
        officer.click("#login-button")
        officer.locator('[data-action="open"]').click(timeout=WAIT_MS)
        expect(officer.locator("#cabin-state")).to_have_text("Đang mở", timeout=WAIT_MS)
        officer.locator("#call-next").click()
        expect(officer.locator("#current-number")).to_have_text("D001", timeout=WAIT_MS)
        expect(tv.locator("#latest")).to_have_attribute("data-number", "D001", timeout=WAIT_MS)
        expect(phone.locator("#called")).to_have_text("Số D001 đang được mời đến quầy 5", timeout=WAIT_MS)
        tv.screenshot(path=SHOTS / "province-hoi-an-hall-display.png")
        officer.screenshot(path=SHOTS / "province-hoi-an-officer.png")
        assert centre.locator('#recent tr[data-number="D001"]').count() == 0  # the centre's TV never saw it
        assert errors == []

    await in_browser(chromium, scenario)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        assert (await http.get("/api/v1/health")).json()["seq"] == server.halls["qnam"].durable_seq
    assert server.halls["qnam"].engine.state.tickets == {}  # the centre issued nothing
