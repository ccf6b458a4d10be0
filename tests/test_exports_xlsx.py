"""The statistics tables and the evaluation report as Excel workbooks, read back with openpyxl:
Vietnamese headers, numbers as numbers, times as the hall's date-times, formula-looking text as
text; for the floor only."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from support.clock import ManualClock, local
from support.servers import login, served_hall
from support.devices import KIOSK

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = '=HYPERLINK("http://example.invalid","bấm vào đây")'


def workbook(answer) -> openpyxl.Workbook:  # noqa: ANN001
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(answer.content))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(local("2027-03-01 09:00"))


async def a_morning(http, clock: ManualClock) -> dict[str, str]:  # noqa: ANN001
    """A ticket taken at 09:00, called at 09:12 and served; then a pause with a formula-looking reason."""
    officer = await login(http, "canbo33")
    issued = await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    assert issued.status_code == 201
    await http.post("/api/v1/cabins/33/open", headers=officer)
    clock.advance(12)
    assert (await http.post("/api/v1/cabins/33/call-next", headers=officer)).status_code == 200
    assert (await http.post("/api/v1/cabins/33/finish", headers=officer)).status_code == 200
    paused = await http.post("/api/v1/cabins/33/pause", headers=officer, json={"reason": FORMULA})
    assert paused.status_code == 200, paused.text
    return officer


async def test_a_table_exports_as_a_typed_workbook_with_vietnamese_headers(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        officer = await a_morning(http, clock)
        manager = await login(http, "quanly")
        tickets = workbook(await http.get("/api/v1/stats/export/tickets.xlsx", headers=manager)).active
        head = [c.value for c in tickets[1]]
        assert {"Số thứ tự", "Lấy số lúc", "Thời gian chờ (giây)", "Ngày", "Lĩnh vực"} <= set(head)
        row = {h: c for h, c in zip(head, tickets[2], strict=True)}
        assert row["Số thứ tự"].value == "W001" and row["Số thứ tự"].data_type == "s"
        assert row["Lấy số lúc"].value == dt.datetime(2027, 3, 1, 9, 0) and row["Lấy số lúc"].is_date
        assert row["Gọi lần đầu lúc"].value == dt.datetime(2027, 3, 1, 9, 12)
        assert row["Thời gian chờ (giây)"].value == 720 and row["Thời gian chờ (giây)"].data_type == "n"
        assert row["Ngày"].value == dt.datetime(2027, 3, 1) and row["Ngày"].is_date
        assert tickets.max_row == 2

        # A pause reason that looks like a formula stays the text the officer typed.
        pauses = workbook(await http.get("/api/v1/stats/export/cabin_time.xlsx", headers=manager)).active
        head = [c.value for c in pauses[1]]
        reasons = [r[head.index("Lý do")] for r in pauses.iter_rows(min_row=2)]
        typed = [c for c in reasons if c.value and "HYPERLINK" in c.value]
        assert len(typed) == 1 and typed[0].data_type == "s" and typed[0].value.startswith("=")

        listed = (await http.get("/api/v1/stats/tables")).json()["tables"]
        assert {"name": "tickets", "csv": "/api/v1/stats/export/tickets.csv", "xlsx": "/api/v1/stats/export/tickets.xlsx"} in listed
        assert (await http.get("/api/v1/stats/export/tickets.xlsx", headers=officer)).status_code == 403
        assert (await http.get("/api/v1/stats/export/tickets.xlsx")).status_code == 401
        missing = await http.get("/api/v1/stats/export/nothing.xlsx", headers=manager)
        assert missing.status_code == 404 and "tickets" in missing.json()["error"]["message"]


async def test_the_evaluation_report_exports_as_a_workbook(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        await a_morning(http, clock)
        manager = await login(http, "quanly")
        book = workbook(await http.get("/api/v1/stats/report", params={"period": "2027-03", "format": "xlsx"}, headers=manager))
        assert book.sheetnames == ["Cơ quan", "Cán bộ"]
        agencies = book["Cơ quan"]
        assert "2027-03" in agencies["A1"].value
        head = [c.value for c in agencies[2]]
        assert head[:4] == ["Xếp hạng", "Tên", "Số lượt lấy số", "Đã phục vụ"] and "Rất hài lòng" in head
        police = next(r for r in agencies.iter_rows(min_row=3) if r[1].value == "Công an tỉnh")
        assert police[0].value == 1 and police[2].value == 1 and police[3].value == 1 and police[3].data_type == "n"
        officers = book["Cán bộ"]
        rows = {r[1].value: r for r in officers.iter_rows(min_row=2)}
        assert rows["canbo33"][3].value == 1  # served
