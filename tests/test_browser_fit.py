"""The TV pages fit their screens, in real Chromium, at the hall's real sizes.

`/display/hall`, `/display/cabin/{n}` and `/board` are rendered at 1920×1080 and 1366×768, with the
default hall (24 queues, 23 agencies) and with a hall of 40 queues (39 agencies). On each: the
page does not scroll, no text lies outside the screen or outside the frame that clips it, no cell
is cut short; the newest call is on screen all the time; and within one turn of the pages every
queue (hall display) and every agency (board) has been on screen. The turn is made fast with the
hall file's `display.rotate_seconds`; with the default setting the pages say how long a whole turn
takes (`data-pages` × `data-interval-ms`), which must be at most 30 s.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import httpx
import pytest
import tomlkit

from support.browser import DOC_SHOTS, SHOTS, WAIT_MS, api_login, in_browser, watch_errors
from support.clock import ManualClock, local
from support.servers import served_hall
from support.devices import KIOSK

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

SIZES = ((1920, 1080), (1366, 768))
FAST_TURN = 0.3  # seconds a page stays in the test's halls
FULL_TURN_MS = 30_000

# Every visible text box must lie inside the screen and inside each ancestor that clips
# (overflow other than visible); a cell whose text is wider than itself is cut short.
PROBLEMS = """() => {
  const problems = [];
  const W = innerWidth, H = innerHeight, root = document.scrollingElement;
  if (root.scrollHeight > H + 1 || root.scrollWidth > W + 1) problems.push(`page scrolls: ${root.scrollWidth}x${root.scrollHeight}`);
  for (const node of document.body.querySelectorAll("*")) {
    if (node.closest(".marquee, .conn, .sound, audio, script")) continue;
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || !node.getClientRects().length) continue;
    const r = node.getBoundingClientRect();
    const name = `${node.tagName.toLowerCase()}${node.id ? "#" + node.id : ""} "${node.textContent.trim().slice(0, 30)}"`;
    if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) problems.push(`off screen: ${name} ${JSON.stringify(r)}`);
    for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflow === "visible") continue;
      const box = up.getBoundingClientRect();
      if (r.top < box.top - 1 || r.bottom > box.bottom + 1 || r.left < box.left - 1 || r.right > box.right + 1) problems.push(`clipped: ${name}`);
    }
    if (node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflow !== "visible") problems.push(`cut short: ${name}`);
  }
  return problems;
}"""


def hall_file(folder: Path, extra_queues: int, rotate: float | None) -> Path:
    """The default hall with `extra_queues` more queues, each of a new agency with a long name."""
    doc = tomlkit.parse(resources.files("hall").joinpath("default_hall.toml").read_text("utf-8"))
    for i in range(1, extra_queues + 1):
        code = f"QH{i:02d}"
        doc["departments"].append({"code": code, "kind": "provincial",
                                   "name": f"Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp số {i}"})
        doc["services"].append({"code": f"{code}-TN", "department": code, "prefix": f"Q{chr(64 + i)}",
                                "name": f"Tiếp nhận hồ sơ – Ban Quản lý dự án số {i}",
                                "target_wait_minutes": 20, "mean_service_minutes": 10})
    if rotate is not None:
        doc.setdefault("display", {})["rotate_seconds"] = rotate
    path = folder / f"hall-{extra_queues}.toml"
    path.write_text(tomlkit.dumps(doc), "utf-8")
    return path


def busy_morning(http: httpx.Client, services: list[str]) -> str:
    """A ticket in every queue (so every row has a count), and calls at two cabins; the newest call's number."""
    for code in services:
        assert http.post("/api/v1/tickets", json={"service": code}, headers=KIOSK).status_code == 201
    newest = ""
    for cabin in (33, 2):
        auth = api_login(http, f"canbo{cabin:02d}")
        assert http.post(f"/api/v1/cabins/{cabin}/open", headers=auth).status_code == 200
        called = http.post(f"/api/v1/cabins/{cabin}/call-next", headers=auth)
        assert called.status_code == 200, called.text
        newest = called.json()["number"]
    return newest


def seen_within_a_turn(page, rows: str, attribute: str, expected: set[str], newest: str | None) -> set[str]:  # noqa: ANN001
    """What `rows` showed of `attribute` while the pages turned, checking the fit at every look."""
    seen: set[str] = set()
    pages = int(page.locator("[data-pages]").first.get_attribute("data-pages"))
    deadline = time.monotonic() + pages * FAST_TURN * 3 + 5
    while time.monotonic() < deadline and seen != expected:
        seen |= set(page.eval_on_selector_all(rows, f"(rows) => rows.map((r) => r.getAttribute('{attribute}'))"))
        assert page.evaluate(PROBLEMS) == []
        if newest is not None:
            assert page.locator("#latest").get_attribute("data-number") == newest
            assert page.locator("#latest").is_visible()
        page.wait_for_timeout(FAST_TURN * 1000 / 3)
    return seen


@pytest.mark.parametrize("extra_queues", [0, 16], ids=["24-queues", "40-queues"])
async def test_every_tv_page_fits_its_screen_and_shows_everything_within_a_turn(tmp_path, chromium, extra_queues):
    clock = ManualClock(local("2027-03-01 09:00"))
    config = hall_file(tmp_path, extra_queues, FAST_TURN)
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", clock, config=str(config)) as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            with httpx.Client(base_url=url, timeout=30) as http:
                services = [s["code"] for s in http.get("/api/v1/services").json()["services"]]
                assert len(services) == 24 + extra_queues
                agencies = {s["department"] for s in http.get("/api/v1/services").json()["services"]}
                newest = busy_morning(http, services)
            for width, height in SIZES:
                shot = f"{width}x{height}-{24 + extra_queues}q"
                tv = browser.new_page(viewport={"width": width, "height": height})
                errors = watch_errors(tv)
                tv.goto(f"{url}/display/hall?audio=0")
                expect(tv.locator("#latest")).to_have_attribute("data-number", newest, timeout=WAIT_MS)
                expect(tv.locator("#waiting tr").first).to_be_visible(timeout=WAIT_MS)
                assert seen_within_a_turn(tv, "#waiting tr", "data-service", set(services), newest) == set(services)
                tv.screenshot(path=SHOTS / f"hall-{shot}.png")

                board = browser.new_page(viewport={"width": width, "height": height})
                errors += watch_errors(board)
                board.goto(f"{url}/board")
                expect(board.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
                assert seen_within_a_turn(board, "#rows tr", "data-agency", agencies, None) == agencies
                board.screenshot(path=SHOTS / f"board-{shot}.png")

                cabin = browser.new_page(viewport={"width": width, "height": height})
                errors += watch_errors(cabin)
                cabin.goto(f"{url}/display/cabin/33")
                expect(cabin.locator("#number")).not_to_have_text("—", timeout=WAIT_MS)
                assert cabin.evaluate(PROBLEMS) == []
                cabin.screenshot(path=SHOTS / f"cabin-{shot}.png")
                longest = browser.new_page(viewport={"width": width, "height": height})  # the longest agency name
                longest.goto(f"{url}/display/cabin/32")
                expect(longest.locator("#dept")).to_have_text("Ban Quản lý các Khu kinh tế và Khu công nghiệp", timeout=WAIT_MS)
                assert longest.evaluate(PROBLEMS) == []
                if extra_queues == 0 and width == 1920:
                    for name, page in (("hall-display", tv), ("board", board), ("cabin-display", cabin)):
                        page.screenshot(path=DOC_SHOTS / f"{name}.png")
                assert errors == []

        await in_browser(chromium, scenario, limit=200)


async def test_with_the_default_turn_every_queue_is_on_screen_within_30_seconds(tmp_path, chromium):
    config = hall_file(tmp_path, 16, None)  # 40 queues, rotate_seconds as shipped
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", config=str(config)) as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            tv = browser.new_page(viewport={"width": 1366, "height": 768})
            tv.goto(f"{url}/display/hall?audio=0")
            expect(tv.locator("#waiting tr").first).to_be_visible(timeout=WAIT_MS)
            frame = tv.locator("#waiting-frame")
            pages, interval = int(frame.get_attribute("data-pages")), float(frame.get_attribute("data-interval-ms"))
            assert pages >= 2  # 40 queues do not fit one page of a 1366×768 TV
            assert pages * interval <= FULL_TURN_MS
            expect(tv.locator("#waiting-page")).to_have_text(f"Trang 1/{pages}")
            # The page turns by itself, and the turn goes on: page 2 within one interval (and a margin).
            expect(frame).to_have_attribute("data-page", "2", timeout=interval + 5_000)

            board = browser.new_page(viewport={"width": 1366, "height": 768})
            board.goto(f"{url}/board")
            expect(board.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
            frame = board.locator("#board-frame")
            pages, interval = int(frame.get_attribute("data-pages")), float(frame.get_attribute("data-interval-ms"))
            assert pages >= 2 and pages * interval <= FULL_TURN_MS  # 39 agencies with long names

        await in_browser(chromium, scenario)


async def test_the_board_ranks_only_agencies_with_work_and_shows_ties(tmp_path, chromium):
    clock = ManualClock(local("2027-03-01 09:00"))
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", clock) as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            with httpx.Client(base_url=url, timeout=30) as http:
                board = browser.new_page(viewport={"width": 1920, "height": 1080})
                board.goto(f"{url}/board")
                expect(board.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
                # An empty morning: nobody ranked.
                assert set(board.eval_on_selector_all("#rows td.rank", "(cells) => cells.map((c) => c.textContent)")) == {"—"}
                # Two agencies served one citizen each within target: both first, tied; the rest unranked.
                for cabin, service in ((33, "CA-TN"), (2, "STP-TN")):
                    auth = api_login(http, f"canbo{cabin:02d}")
                    assert http.post("/api/v1/tickets", json={"service": service}, headers=KIOSK).status_code == 201
                    http.post(f"/api/v1/cabins/{cabin}/open", headers=auth)
                    assert http.post(f"/api/v1/cabins/{cabin}/call-next", headers=auth).status_code == 200
                    assert http.post(f"/api/v1/cabins/{cabin}/finish", headers=auth).status_code == 200
                ranked = http.get("/api/v1/stats/today").json()["agencies"]
                assert sorted((a["code"], a["rank"]) for a in ranked if a["rank"] is not None) == [("CA", 1), ("STP", 1)]
                expect(board.locator('#rows tr[data-agency="CA"] td.rank')).to_have_text("1đồng hạng", timeout=WAIT_MS)
                expect(board.locator('#rows tr[data-agency="STP"] td.rank')).to_have_text("1đồng hạng")
                expect(board.locator('#rows tr[data-agency="SNV"] td.rank')).to_have_text("—")
                assert board.locator("#rows tr").first.get_attribute("data-rank") == "1"

        await in_browser(chromium, scenario)
