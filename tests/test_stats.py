"""Statistics of a scripted day, through the real server, against figures computed by hand.

The day (Monday 1 March 2027, hall time), all times local:

  07:30  cabins 33, 34 (police, CA) and 43 (tax, CT) open
  07:40  W001  07:45 W002  07:50 W003 (CA-TN)   07:54 X001 (CT-TN)
  08:00  cabin 33 calls W001 (wait 20), starts 08:01, finishes 08:10 (service 9)
  08:00  cabin 34 calls W002 (wait 15), starts 08:02, receives a passport dossier, finishes 08:20 (18)
  08:05  cabin 43 calls X001 (wait 11), transfers it to CA-TN at 08:10
  08:10  cabin 33 calls W003 (wait 20), recalls it 3 times, no-show at 08:15
  08:20  cabin 33 calls X001 (its wait stays 11: the first call counts), starts 08:20, finishes 08:30
  08:20  cabin 34 pauses "Họp giao ban", resumes 08:50
  08:30  W004 taken, cancelled by the citizen at 08:35
  09:00  all three cabins close
  ratings: W001 at 33 result=rat_hai_long attitude=hai_long; W002 at 34 result=khong_hai_long attitude=hai_long

By hand:
  CA: issued 4 (W001–W004), served 3 (W001, W002, X001 after its transfer), no-show 1, cancelled 1,
      waits 20, 15, 20 -> mean 18.3, median 20, p90 20, max 20; within the 15-minute target 1 of 3 = 33.3 %
      ratings 1 / 2 / 1 -> satisfaction 3 of 4 answers = 75.0 %; dossiers received 1
  CT: issued 1, transferred 1, wait 11 -> 100 % within target
  hall: issued 5, served 3, waits 20, 15, 20, 11 -> mean 16.5
  rank: CT (score 100) 1st, CA (mean of 75.0 and 33.3 = 54.15) 2nd, agencies with no figures not ranked (issue 16)
  canbo33: open 90 min, busy 10 + 5 + 10 = 25 -> idle 65; served 2, service 9 and 10 -> mean 9.5
  canbo34: open 50 + 10 = 60, paused 30 ("Họp giao ban"), busy 20 -> idle 40
"""

from __future__ import annotations

import csv
import io

import pytest

from hall.ratings import RecordRating
from support.clock import ManualClock, local
from support.servers import login, served_hall
from support.devices import KIOSK


async def scripted_day(server, http, clock: ManualClock) -> dict[str, str]:
    def at(hhmm: str) -> None:
        clock.set(f"2027-03-01 {hhmm}")

    at("07:30")
    o33, o34, o43 = await login(http, "canbo33"), await login(http, "canbo34"), await login(http, "canbo43")

    async def act(auth, cabin, action, **body):
        answer = await http.post(f"/api/v1/cabins/{cabin}/{action}", headers=auth, json=body or None)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    async def take(service):
        return (await http.post("/api/v1/tickets", json={"service": service}, headers=KIOSK)).json()

    for auth, cabin in ((o33, 33), (o34, 34), (o43, 43)):
        await act(auth, cabin, "open")
    at("07:40"); w1 = await take("CA-TN")
    at("07:45"); w2 = await take("CA-TN")
    at("07:50"); w3 = await take("CA-TN")
    at("07:54"); x1 = await take("CT-TN")
    at("08:00")
    await act(o33, 33, "call", ticket=w1["id"])
    await act(o34, 34, "call", ticket=w2["id"])
    at("08:01"); await act(o33, 33, "start")
    at("08:02"); await act(o34, 34, "start")
    await act(o34, 34, "dossiers", procedure="CA-HC")
    at("08:05"); await act(o43, 43, "call", ticket=x1["id"])
    at("08:10")
    await act(o33, 33, "finish")
    await server.runtime.execute(RecordRating(w1["id"], 33, {"result": "rat_hai_long", "attitude": "hai_long"}))
    await act(o43, 43, "transfer", service="CA-TN")
    await act(o33, 33, "call", ticket=w3["id"])
    for _ in range(3):
        await act(o33, 33, "recall")
    at("08:15"); await act(o33, 33, "no-show")
    at("08:20")
    await act(o34, 34, "finish")
    await server.runtime.execute(RecordRating(w2["id"], 34, {"result": "khong_hai_long", "attitude": "hai_long"}))
    await act(o34, 34, "pause", reason="Họp giao ban")
    await act(o33, 33, "call", ticket=x1["id"])
    await act(o33, 33, "start")
    at("08:30")
    await act(o33, 33, "finish")
    w4 = await take("CA-TN")
    at("08:35"); assert (await http.post(f"/api/v1/tickets/{w4['id']}/cancel")).status_code == 200
    at("08:50"); await act(o34, 34, "resume")
    at("09:00")
    for auth, cabin in ((o33, 33), (o34, 34), (o43, 43)):
        await act(auth, cabin, "close")
    return {"manager": (await login(http, "quanly"))["Authorization"]}


def agency(board: dict, code: str) -> dict:
    return next(a for a in board["agencies"] if a["code"] == code)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(local("2027-03-01 07:00"))


async def test_the_board_of_a_scripted_day_matches_the_figures_by_hand(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (server, http):
        await scripted_day(server, http, clock)
        board = (await http.get("/api/v1/stats/today")).json()
        assert board["day"] == "2027-03-01" and board["frozen"] is False
        ca, ct = agency(board, "CA"), agency(board, "CT")
        assert ca == {
            "code": "CA", "name": "Công an tỉnh", "tickets_issued": 4, "served": 3, "no_show": 1, "cancelled": 1,
            "transferred": 0, "avg_wait_minutes": 18.3, "within_target_pct": 33.3, "dossiers_received": 1,
            "returned_early": 0, "returned_on_time": 0, "returned_late": 0, "overdue_pending": 0,
            "ratings": {"rat_hai_long": 1, "hai_long": 2, "khong_hai_long": 1}, "satisfaction_pct": 75.0, "rank": 2,
        }
        assert (ct["tickets_issued"], ct["served"], ct["transferred"], ct["avg_wait_minutes"], ct["within_target_pct"], ct["rank"]) == (1, 0, 1, 11.0, 100.0, 1)
        assert agency(board, "SNV")["rank"] is None and agency(board, "SNV")["satisfaction_pct"] is None
        hall = board["hall"]
        assert (hall["tickets_issued"], hall["served"], hall["no_show"], hall["avg_wait_minutes"], hall["satisfaction_pct"]) == (5, 3, 1, 16.5, 75.0)
        hourly = (await http.get("/api/v1/stats/hourly", params={"day": "2027-03-01"})).json()
        assert hourly == {"day": "2027-03-01", "hours": [
            {"hour": 7, "arrivals": 4, "served": 0, "avg_wait_minutes": 16.5},
            {"hour": 8, "arrivals": 1, "served": 3, "avg_wait_minutes": None},
        ]}


async def test_breakdowns_by_officer_show_service_idle_and_paused_time(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (server, http):
        manager = {"Authorization": (await scripted_day(server, http, clock))["manager"]}
        officers = (await http.get("/api/v1/stats/summary", params={"from": "2027-03-01", "by": "officer"}, headers=manager)).json()
        rows = {r["key"]: r for r in officers["rows"]}
        c33, c34 = rows["canbo33"], rows["canbo34"]
        assert (c33["served"], c33["no_show"], c33["avg_service_minutes"]) == (2, 1, 9.5)
        assert (c33["open_minutes"], c33["busy_minutes"], c33["idle_minutes"], c33["paused_minutes"]) == (90.0, 25.0, 65.0, 0.0)
        assert (c34["open_minutes"], c34["idle_minutes"], c34["paused_minutes"]) == (60.0, 40.0, 30.0)
        assert c34["paused_by_reason"] == {"Họp giao ban": 30.0}
        assert c34["dossiers_received"] == 1 and c34["satisfaction_pct"] == 50.0
        agencies = {r["key"]: r for r in (await http.get("/api/v1/stats/summary", params={"from": "2027-03-01", "by": "agency"}, headers=manager)).json()["rows"]}
        assert (agencies["CA"]["median_wait_minutes"], agencies["CA"]["p90_wait_minutes"], agencies["CA"]["max_wait_minutes"]) == (20.0, 20.0, 20.0)
        services = {r["key"]: r for r in (await http.get("/api/v1/stats/summary", params={"from": "2027-03-01", "by": "service"}, headers=manager)).json()["rows"]}
        assert services["CT-TN"]["transferred"] == 1 and services["CA-TN"]["served"] == 3
        assert (await http.get("/api/v1/stats/summary", params={"from": "2027-03-01"})).status_code == 401


async def test_a_closed_day_is_frozen_and_stays_on_the_board(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (server, http):
        manager = {"Authorization": (await scripted_day(server, http, clock))["manager"]}
        live = (await http.get("/api/v1/stats/today")).json()
        clock.set("2027-03-01 17:30")
        closed = await http.post("/api/v1/day/close", headers=manager)
        assert closed.status_code == 200, closed.text
        frozen = (await http.get("/api/v1/stats/today", params={"day": "2027-03-01"})).json()
        assert frozen["frozen"] is True
        assert frozen["agencies"] == sorted(live["agencies"], key=lambda a: a["code"]) and frozen["hall"] == live["hall"]
        clock.set("2027-03-02 08:00")
        assert (await http.get("/api/v1/stats/today")).json()["hall"]["tickets_issued"] == 0
        assert (await http.get("/api/v1/stats/today", params={"day": "2027-03-01"})).json() == frozen
        assert (await http.get("/api/v1/stats/hourly", params={"day": "2027-03-01"})).json()["hours"][0]["arrivals"] == 4
        # the passport dossier (due 11 March) is overdue once 11 March has ended
        clock.set("2027-03-12 08:00")
        assert agency((await http.get("/api/v1/stats/today")).json(), "CA")["overdue_pending"] == 1


async def test_every_table_exports_as_csv_and_the_report_prints(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (server, http):
        manager = {"Authorization": (await scripted_day(server, http, clock))["manager"]}
        tables = (await http.get("/api/v1/stats/tables")).json()["tables"]
        assert {t["name"] for t in tables} == {"tickets", "segments", "cabin_time", "ratings", "dossiers", "day_summary", "day_ratings"}
        for table in tables:
            answer = await http.get(table["csv"], headers=manager)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
            if table["name"] == "tickets":
                assert sorted(r["number"] for r in rows) == ["W001", "W002", "W003", "W004", "X001"]
            if table["name"] == "dossiers":
                assert len(rows) == 1 and "citizen" not in ",".join(rows[0])
        report = (await http.get("/api/v1/stats/report", params={"period": "2027-Q1"}, headers=manager)).json()
        assert report["from"] == "2027-01-01" and report["to"] == "2027-03-31"
        assert [a["code"] for a in report["agencies"]] == ["CT", "CA"]
        assert report["agencies"][1]["satisfaction"]["hai_long"] == {"count": 2, "pct": 50.0}
        page = await http.get("/api/v1/stats/report", params={"period": "2027-03", "format": "html"}, headers=manager)
        assert "Báo cáo đánh giá" in page.text and "Công an tỉnh" in page.text
        assert (await http.get("/api/v1/stats/report", params={"period": "March"}, headers=manager)).status_code == 422
