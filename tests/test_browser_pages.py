"""Every page, in real Chromium: it works under the strict Content-Security-Policy, axe-core finds
no serious or critical accessibility issue on it, and its picture goes into docs/screens/.

The server sends `default-src 'self'` with no inline script or style allowed (api/page_headers.py).
A page that still had a `<script>` body, a `<style>`, a `style=` or an `onclick=` would be broken
by it — and Chromium reports each refusal as a `securitypolicyviolation` event and a console
message, which `Watched` records from before the page's own scripts run. Each page is then used
as a person would (the kiosk issues a ticket, the officer calls it, the phone follows it, the
lookup finds the dossier), so a page that lost its script fails here too.

Accessibility: axe-core (shipped as axe.min.js by the axe-playwright-python package, MPL-2.0) runs
on each page once it shows its data; any violation of impact "serious" or "critical" fails the
test with its rule, the elements and axe's help text.
"""

from __future__ import annotations

import re

import httpx
import pytest

from support.browser import DOC_SHOTS, WAIT_MS, Watched, api_login, in_browser, open_paired_kiosk
from support.clock import ManualClock, local
from support.servers import served_hall

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def accessibility_issues(name: str, page) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical violations on `page`, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{name}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
            for v in found if v["impact"] in ("serious", "critical")]


def check_headers(http: httpx.Client, path: str, headers: dict[str, str] | None = None) -> None:
    answer = http.get(path, headers=headers)
    assert answer.status_code == 200, (path, answer.text)
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in answer.headers  # plain HTTP: HSTS only over TLS
    assert not re.search(r"<script>|<style|\sstyle=|\son[a-z]+=", answer.text), path


async def test_every_page_works_under_the_content_security_policy(tmp_path, chromium):
    clock = ManualClock(local("2027-03-01 09:00"))
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", clock) as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            watched = Watched()
            seen: list = []
            issues: list[str] = []

            def page(path: str, width: int = 1280, height: int = 900, auth: dict[str, str] | None = None, shot: str = ""):  # noqa: ANN202
                context = browser.new_context(viewport={"width": width, "height": height}, extra_http_headers=auth or {})
                opened = watched.watch(context.new_page())
                if path == "/kiosk":
                    open_paired_kiosk(opened, url)  # a kiosk PC is paired: an unpaired page issues nothing
                else:
                    opened.goto(f"{url}{path}")
                seen.append((shot or path, opened))
                return opened

            with httpx.Client(base_url=url, timeout=30) as http:
                kiosk = page("/kiosk", 1280, 1024, shot="kiosk")
                expect(kiosk.locator('[data-agency="CA"]')).to_be_visible(timeout=WAIT_MS)
                issues += accessibility_issues("kiosk agencies", kiosk)
                kiosk.locator('[data-agency="CA"]').click()
                kiosk.locator("[data-priority]").last.click()
                expect(kiosk.locator("[data-priority]").last).to_have_attribute("aria-checked", "true")
                issues += accessibility_issues("kiosk services", kiosk)
                kiosk.screenshot(path=DOC_SHOTS / "kiosk-services.png")
                kiosk.locator('[data-service="CA-TN"]').click()
                expect(kiosk.locator("#t-number")).to_have_text(re.compile(r"^W\d+$"), timeout=WAIT_MS)
                number = kiosk.locator("#t-number").inner_text()
                phone = page(kiosk.locator("#t-track").inner_text().removeprefix(url), 390, 844, shot="track")
                expect(phone.locator("#number")).to_have_text(number, timeout=WAIT_MS)

                officer = page("/officer")
                expect(officer.locator("#username")).to_be_focused(timeout=WAIT_MS)
                issues += accessibility_issues("officer login", officer)
                officer.fill("#username", "canbo33")
                officer.fill("#password", "demo")
                officer.click("#login-button")
                officer.locator('[data-action="open"]').click(timeout=WAIT_MS)
                officer.locator("#call-next").click()
                expect(officer.locator("#current-number")).to_have_text(number, timeout=WAIT_MS)
                expect(phone.locator("#called")).to_contain_text("quầy 33", timeout=WAIT_MS)

                hall = page("/display/hall", 1920, 1080)
                expect(hall.locator("#latest")).to_have_attribute("data-number", number, timeout=WAIT_MS)
                cabin = page("/display/cabin/33", 1280, 720)
                expect(cabin.locator("#number")).to_have_text(number, timeout=WAIT_MS)
                board = page("/board", 1920, 1080)
                expect(board.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
                dashboard = page("/dashboard", 1920, 1080, shot="dashboard")
                expect(dashboard.locator("body")).to_have_attribute("data-stats", "ok", timeout=WAIT_MS)
                expect(page("/", shot="index").locator("a")).not_to_have_count(0)

                # A dossier received at cabin 33, looked up by its code, with an apology letter.
                auth = api_login(http, "canbo33")
                received = http.post("/api/v1/cabins/33/dossiers", headers=auth, json={"procedure": "CA-HC", "citizen_name": "Lê Văn Cường"})
                assert received.status_code == 201, received.text
                code = received.json()["code"]
                lookup = page("/dossier", 1024, 700, shot="dossier")
                lookup.fill("#code", code)
                lookup.press("#code", "Enter")
                expect(lookup.locator("#result")).to_contain_text("Đã tiếp nhận", timeout=WAIT_MS)
                apology = http.post(f"/api/v1/dossiers/{code}/apology", headers=auth,
                                    json={"new_due": "2027-03-31", "reason": "Chờ xác minh"})
                assert apology.status_code == 200, apology.text
                letter = page(f"/api/v1/dossiers/{code}/apology", 1024, 1100, auth=auth, shot="apology-letter")
                expect(letter.locator("h1")).to_contain_text("PHIẾU XIN LỖI", timeout=WAIT_MS)
                manager = api_login(http, "quanly")
                report = page("/api/v1/stats/report?period=2027-03&format=html", 1400, 900, auth=manager, shot="evaluation-report")
                expect(report.locator("table").first).to_be_visible(timeout=WAIT_MS)

                for path in ("/", "/kiosk", "/officer", "/display/hall", "/display/cabin/33", "/board", "/dashboard",
                             "/dossier", f"/dossier/{code}", "/track/x"):
                    check_headers(http, path)
                check_headers(http, f"/api/v1/dossiers/{code}/apology", auth)
                check_headers(http, "/api/v1/stats/report?period=2027-03&format=html", manager)
                assert http.get("/static/live.js").headers["X-Content-Type-Options"] == "nosniff"

            kiosk.wait_for_timeout(500)  # a violation is reported asynchronously, after the load
            assert watched.errors == []
            assert [v for _, p in seen for v in watched.violations(p)] == []
            issues += [issue for name, p in seen for issue in accessibility_issues(name, p)]
            assert issues == [], "\n".join(issues)
            for name, p in seen:
                if not name.startswith("/"):
                    p.screenshot(path=DOC_SHOTS / f"{name}.png", full_page=True)

        await in_browser(chromium, scenario)


async def test_hsts_is_sent_only_when_the_request_came_over_tls(tmp_path):
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", trusted_proxies=("127.0.0.1",)) as (_server, http):
        plain = await http.get("/kiosk")
        secure = await http.get("/kiosk", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"})
        assert "Strict-Transport-Security" not in plain.headers
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
        assert secure.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]


async def test_pages_keep_still_when_the_system_asks_for_less_motion(tmp_path, chromium):
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}") as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            animations = "() => [...document.querySelectorAll('*')].map((n) => getComputedStyle(n).animationName).filter((a) => a !== 'none')"
            for motion, moving in (("no-preference", True), ("reduce", False)):
                tv = browser.new_context(viewport={"width": 1920, "height": 1080}, reduced_motion=motion).new_page()
                tv.goto(f"{url}/display/hall?audio=0")
                expect(tv.locator("#notices")).not_to_be_empty(timeout=WAIT_MS)
                assert bool(tv.evaluate(animations)) is moving
                notices = tv.locator("#notices").inner_text()
                # Still: one notice at a time, whole; moving: all of them, scrolling by.
                assert ("•" in notices) is moving

        await in_browser(chromium, scenario)


RAW_KEY = re.compile(r"\b(citizen|officer|kiosk|hall|board|dashboard|dossier|track|cabin|time|ticket|timeliness|notice|fault|date|screen)\.[a-z_.-]+\b")


async def test_a_page_speaks_the_language_asked_and_never_shows_a_message_key(tmp_path, chromium):
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}") as (server, _http):
        url = server.url

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            for path, vietnamese, english in (("/kiosk", "Mời Ông/Bà chọn cơ quan cần liên hệ", "Please choose the agency you need"),
                                              ("/display/hall?audio=0", "Số đang mời", "Now calling"),
                                              ("/dashboard", "Trạng thái quầy", "Counters"),
                                              ("/officer", "Tên đăng nhập", "Username"),
                                              ("/dossier", "Tra cứu hồ sơ", "Find a dossier")):
                for lang, words in (("vi", vietnamese), ("en", english)):
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.goto(f"{url}{path}{'&' if '?' in path else '?'}lang={lang}")
                    expect(page.locator("body")).to_contain_text(words, timeout=WAIT_MS)
                    assert page.evaluate("document.documentElement.lang") == lang
                    assert not RAW_KEY.search(page.locator("body").inner_text()), (path, lang)
                    page.close()

        await in_browser(chromium, scenario)
