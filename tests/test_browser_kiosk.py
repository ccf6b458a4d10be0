"""The browser kiosk that prints, in headless Chromium against the real server and a simulated
ESC/POS printer listening on TCP: pairing with the device token (kept by the browser), tickets
taken over /ws/device in msgpack and printed by the server on the kiosk's network printer, the
number and QR code on the screen when printing fails; and the whole online journey — a booking
made on /book from a phone, checked in at this kiosk, printed, called, with signed webhook
notifications."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
import trio
import zxingcpp
from PIL import Image

from hall.credentials import hash_token
from simulators.server_process import ServerProcess
from support.clock import ManualClock
from support.halls import hall_file_with
from support.servers import login, served_hall
from support.waits import WAIT
from support.webhooks import Receiver
from support.browser import SHOTS, WAIT_MS, Watched, api_login, in_browser
from support.devices import KIOSK
from test_browser_online import PHONE, book_on_phone, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

TOKEN = "kiosk-web-token-0123456789"
SECRET = "webhook-secret-0123456789"
KIOSK_SCREEN = {"viewport": {"width": 1080, "height": 1920}, "has_touch": True}


def kiosk_hall(folder: Path, printer_port: int, hook_port: int | None = None) -> str:
    hook = "" if hook_port is None else f"""
[notify]
retry_base_seconds = 0.2

[[notify.webhooks]]
url = "http://127.0.0.1:{hook_port}/hook"
secret = "{SECRET}"
"""
    return hall_file_with(folder, hook + f"""
[[devices]]
id = "kiosk-web"
kind = "kiosk"
token_hash = "{hash_token(TOKEN)}"
printer = "printer-web"

[[devices]]
id = "printer-web"
kind = "printer"
token_hash = "{hash_token('printer-web-token-0123')}"
address = "127.0.0.1:{printer_port}"
""")


async def printed_number(http, receipt) -> str:  # noqa: ANN001
    """The number of the ticket a receipt is for, read back through its QR code (the tracking
    address: the hall's public URL and the ticket's id), read from the paper's image the way a
    phone reads it — the whole ticket is printed as a raster image."""
    [payload] = [r.text for r in zxingcpp.read_barcodes(Image.open(receipt.png_path).convert("L"))]
    assert payload.startswith("http://127.0.0.1:8080/track/"), payload
    return (await http.get(f"/api/v1/tickets/{payload.rsplit('/', 1)[1]}")).json()["number"]


def pair(page, url: str) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page.goto(f"{url}/kiosk?device=kiosk-web")
    expect(page.locator("#step-pair")).to_be_visible(timeout=WAIT_MS)
    page.fill("#pair-token", TOKEN)
    page.locator("#pair").click()
    wait_until(page, "document.body.dataset.paired === '1'")


async def test_the_paired_browser_kiosk_prints_on_its_network_printer_and_shows_the_qr_when_it_cannot(chromium, printer, tmp_path):
    config = kiosk_hall(tmp_path, printer.port)
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", ManualClock(), config=config) as (server, http):

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            context = browser.new_context(**KIOSK_SCREEN)
            page = context.new_page()
            watched = Watched()
            watched.watch(page)
            page.goto(f"{server.url}/kiosk?device=kiosk-web")  # a wrong token is refused and forgotten
            page.fill("#pair-token", "not-the-token")
            page.locator("#pair").click()
            expect(page.locator("#pair-error")).to_contain_text("token", timeout=WAIT_MS)
            assert page.evaluate("localStorage.getItem('hall.kiosk.token.kiosk-web')") is None
            pair(page, server.url)
            page.reload()  # the browser keeps the token: no pairing form again
            wait_until(page, "document.body.dataset.paired === '1'")
            assert page.locator("#step-pair").is_hidden()
            page.locator('[data-agency="STP"]').click()
            page.locator('[data-service="STP-TN"]').click()
            expect(page.locator("#t-number")).to_have_text("B001", timeout=WAIT_MS)
            expect(page.locator("#t-print")).to_have_text("Mời nhận phiếu in bên dưới.", timeout=WAIT_MS)
            assert page.locator("#t-qr").is_hidden()
            printer.sim.set_paper("out")
            page.locator("#done").click()
            page.locator('[data-agency="STP"]').click()
            page.locator('[data-service="STP-TN"]').click()
            expect(page.locator("#t-number")).to_have_text("B002", timeout=WAIT_MS)
            expect(page.locator("#t-print")).to_contain_text("Máy in đang gặp sự cố", timeout=WAIT_MS)
            wait_until(page, "document.getElementById('t-qr').naturalWidth > 0")
            page.screenshot(path=str(SHOTS / "kiosk-print-failed.png"))
            with httpx.Client(base_url=server.url) as floor:
                listing = floor.get("/api/v1/devices", headers=api_login(floor, "quanly")).json()["devices"]
            faults = {d["id"]: d["faults"] for d in listing}
            assert "paper_out" in faults["printer-web"]  # reported as for every printer
            printer.sim.set_paper("ok")
            page.goto(f"{server.url}/kiosk?device=kiosk-web&lang=en")  # the English kiosk
            expect(page.locator("#checkin-open")).to_have_text("I have a booking", timeout=WAIT_MS)
            page.locator('[data-agency="STP"]').click()
            page.locator('[data-service="STP-TN"]').click()
            expect(page.locator("#t-print")).to_have_text("Please take your printed ticket below.", timeout=WAIT_MS)
            assert not watched.errors and not watched.violations(page), (watched.errors, watched.violations(page))

        await in_browser(chromium, scenario)
        assert [await printed_number(http, r) for r in printer.sim.receipts] == ["B001", "B003"]  # B002 found no paper
        manager = await login(http, "quanly")
        devices = {d["id"]: d for d in (await http.get("/api/v1/devices", headers=manager)).json()["devices"]}
        assert (devices["printer-web"]["jobs_printed"], devices["printer-web"]["jobs_failed"]) == (2, 1)
        assert devices["kiosk-web"]["last_seen"] is not None  # it was connected (the browser has closed since)


async def test_booked_on_a_phone_checked_in_at_the_kiosk_printed_and_called(chromium, printer, tmp_path, nursery):
    receiver = Receiver()
    hook_port = await nursery.start(receiver.serve)
    clock = ManualClock()  # Monday 2027-03-01 08:00
    config = kiosk_hall(tmp_path, printer.port, hook_port)
    async with served_hall(f"sqlite:///{tmp_path / 'hall.db'}", clock, config=config) as (server, http):
        found: dict[str, str] = {}

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            phone = browser.new_context(**PHONE).new_page()
            code = book_on_phone(phone, server.url, "2027-03-01", "09:10", "Lê Văn Cường", "0987 111 222")
            check_in_url = f"{server.url}/book/{code}"
            clock.set("2027-03-01 08:50")  # inside the check-in window (30 minutes before)
            kiosk = browser.new_context(**KIOSK_SCREEN).new_page()
            watched = Watched()
            watched.watch(kiosk)
            pair(kiosk, server.url)
            kiosk.locator("#checkin-open").click()
            kiosk.fill("#checkin-code", check_in_url)  # what a QR scanner types: the check-in address
            kiosk.press("#checkin-code", "Enter")
            expect(kiosk.locator("#t-number")).to_have_text("W001", timeout=WAIT_MS)
            expect(kiosk.locator("#t-print")).to_have_text("Mời nhận phiếu in bên dưới.", timeout=WAIT_MS)
            kiosk.screenshot(path=str(SHOTS / "kiosk-check-in.png"))
            found["number"] = kiosk.locator("#t-number").inner_text()
            assert not watched.errors and not watched.violations(kiosk), (watched.errors, watched.violations(kiosk))

        await in_browser(chromium, scenario)
        assert [await printed_number(http, r) for r in printer.sim.receipts] == [found["number"]]
        clock.set("2027-03-01 09:10")
        officer = await login(http, "canbo33")
        await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)  # a walk-in after: the appointment goes first
        await http.post("/api/v1/cabins/33/open", headers=officer)
        called = (await http.post("/api/v1/cabins/33/call-next", headers=officer)).json()["ticket"]
        assert called["number"] == found["number"] and called["channel"] == "appointment"
        await receiver.wait_for(2, WAIT, "/hook")
        got = sorted((r.json["event"], r.json["number"], r.json["phone"]) for r in receiver.deliveries("/hook").values())
        assert got == [("ticket.called", "W001", "0987111222"), ("ticket.near", "W001", "0987111222")]
        assert all(r.signed_with(SECRET) for r in receiver.deliveries("/hook").values())
        with trio.move_on_after(0.3):
            await receiver.next_request()
        assert len(receiver.deliveries("/hook")) == 2


async def test_the_browser_kiosk_reconnects_by_itself_when_the_server_restarts(chromium, printer, tmp_path):
    """A take the frozen server never answers, then SIGKILL of `hall serve` and a restart on the
    same port: the page goes offline and comes back without a reload (the device socket
    reconnects, says hello, takes the new welcome), sends the unanswered take again with its id
    and shows its ticket; numbering goes on without a gap."""
    config = kiosk_hall(tmp_path, printer.port)
    server = ServerProcess.hall(tmp_path, extra=["--config", config])
    restarted = ServerProcess.hall(tmp_path, extra=["--config", config], port=server.port)
    try:
        await server.astart()

        def scenario(browser) -> None:  # noqa: ANN001
            from playwright.sync_api import expect

            page = browser.new_context(**KIOSK_SCREEN).new_page()
            watched = Watched()
            watched.watch(page)
            pair(page, server.url)
            page.evaluate("window.loaded = true")  # gone if the page ever reloads
            page.locator('[data-agency="STP"]').click()
            page.locator('[data-service="STP-TN"]').click()
            expect(page.locator("#t-number")).to_have_text("B001", timeout=WAIT_MS)
            page.locator("#done").click()
            server.proc.send_signal(signal.SIGSTOP)  # the next take goes unanswered …
            page.locator('[data-agency="STP"]').click()
            page.locator('[data-service="STP-TN"]').click()
            server.kill()  # … and is lost with the server
            wait_until(page, "document.body.dataset.paired === '0'")
            restarted.start()
            wait_until(page, "document.body.dataset.paired === '1'")  # no reload: the socket came back
            expect(page.locator("#t-number")).to_have_text("B002", timeout=WAIT_MS)  # the take, sent again
            assert page.locator("#error").is_hidden()
            page.locator("#done").click()
            page.locator('[data-agency="STP"]').click()
            page.locator('[data-service="STP-TN"]').click()
            expect(page.locator("#t-number")).to_have_text("B003", timeout=WAIT_MS)
            assert page.evaluate("window.loaded === true"), "the page reloaded"
            assert not watched.errors, watched.errors

        await in_browser(chromium, scenario)
        with trio.fail_after(WAIT):  # the server prints after answering: before and after the restart
            while len(printer.sim.receipts) < 3:
                await trio.sleep(0.05)
    finally:
        for process in (server, restarted):
            await trio.to_thread.run_sync(process.terminate)
