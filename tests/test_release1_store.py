"""A store written by the first release (git 936c4c0) opens under this one with nothing lost.

tests/fixtures/release1.db was written by the first release's own code running a scripted day
(tests/fixtures/make_release1_store.py says how); release1.json is what that release said about
it: its engine state, its components' state, every read-model row and its HTTP answers. This
release must replay the same journal to the same hall and read the same statistics.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.assembly import build_runtime
from hall.clock import Clock
from hall.config import load_hall
from hall.dossiers import DossierBook
from hall.backup import restore
from hall.events import to_wire
from hall.journal import open_store
from hall.ratings import RatingBook
from hall.schema import PersonalRow
from hall.stats import TABLES
from hall.upgrades import revisions, store_version
from support.clock import ManualClock, local
from support.release1 import EXPECTED, release1_store
from support.servers import served_hall
from support.stores import BACKENDS, new_schema

RECORDED_AT = "2027-03-09 08:00"  # the clock when the first release answered
UPGRADES_SINCE_RELEASE1 = revisions()[1:]  # every migration after the baseline, in order


def plain(value: Any) -> Any:
    """The same JSON-ready shape the fixture script wrote (enums are their strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def without_leaked_service_seconds(summary: dict[str, Any]) -> dict[str, Any]:
    """The first release let its internal `service_seconds` sum into a summary row that served
    nobody (it was removed only when dividing by the count served); this release never shows it."""
    rows = [{k: v for k, v in row.items() if not (k == "service_seconds" and row["served"] == 0)} for row in summary["rows"]]
    return {**summary, "rows": rows}


ADDED_TO_THE_TICKET = {"near"}  # keys the ticket's answer gained since (added, never renamed)


def as_first_release_knew_it(state: dict[str, Any]) -> dict[str, Any]:
    """This release's state in the first release's shape: what it added is left out (the issue
    order of tickets, the phone of web tickets), and a queue is its waiting ids in joining order,
    as it was then."""
    for ticket in state["tickets"].values():
        ticket.pop("issued_seq")
        ticket.pop("estimate_calibration")
        assert ticket.pop("phone") is None
    # the officers' learned pace replaced the first release's smoothed minutes per service
    state.pop("rates")
    state.pop("latest_at")
    for name in ("waiting", "targeted"):
        state[name] = {key: {ticket_id: None for ticket_id in queue["ids"]} for key, queue in state[name].items()}
    return state


def open_dossiers_as_first_release_knew_them(book: DossierBook) -> dict[str, Any]:
    """The open dossiers without what this release added: who wrote the apology letter (its signer)."""
    dossiers = json.loads(json.dumps(plain(book.open)))
    for dossier in dossiers.values():
        dossier.pop("apologised_by")
    return dossiers


@pytest.fixture(params=BACKENDS)
def release1_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return release1_store(request.param, request, tmp_path)


def test_the_first_release_store_replays_to_the_same_hall(release1_db: str, caplog: pytest.LogCaptureFixture) -> None:
    clock: Clock = ManualClock(local(RECORDED_AT))
    with caplog.at_level(logging.INFO, logger="hall.store"):
        runtime = build_runtime(load_hall(), release1_db, clock)
    assert runtime.journal.upgrades == UPGRADES_SINCE_RELEASE1 and "0003" in UPGRADES_SINCE_RELEASE1
    for revision in UPGRADES_SINCE_RELEASE1:
        assert f"store upgraded to schema {revision} (" in caplog.text
    assert store_version(runtime.journal.engine) == UPGRADES_SINCE_RELEASE1[-1]
    engine = runtime.engine
    assert runtime.replayed == EXPECTED["seq"] == engine.state.seq
    expected_state = {k: v for k, v in EXPECTED["state"].items() if k != "service_minutes"}
    assert as_first_release_knew_it(json.loads(json.dumps(plain(engine.state)))) == expected_state
    ratings = engine.component(RatingBook).rated
    assert {ticket: to_wire(rating) for ticket, rating in ratings.items()} == EXPECTED["ratings"]
    dossiers = engine.component(DossierBook)
    assert open_dossiers_as_first_release_knew_them(dossiers) == EXPECTED["dossiers"]["open"]
    assert plain(dossiers.closed) == EXPECTED["dossiers"]["closed"]
    assert {"|".join(k): v for k, v in dossiers.counters.items()} == EXPECTED["dossiers"]["counters"]
    with runtime.journal.engine.connect() as conn:
        for name, table in TABLES.items():
            rows = [plain(dict(row)) for row in conn.execute(table.select().order_by(*table.primary_key.columns)).mappings()]
            # stat_day_ratings came after the first release: its frozen day has none (the board
            # below reads that day's counts from the old columns of stat_day_summary)
            assert rows == EXPECTED["tables"].get(name, []), name
    runtime.journal.close()


async def test_the_first_release_store_answers_as_it_did(release1_db: str) -> None:
    async with served_hall(release1_db, ManualClock(local(RECORDED_AT))) as (_server, http):
        for name, ticket_id in EXPECTED["script"]["tickets"].items():
            answer, expected = (await http.get(f"/api/v1/tickets/{ticket_id}")).json(), EXPECTED["answers"]["tickets"][name]
            assert set(answer) - set(expected) <= ADDED_TO_THE_TICKET, name
            assert {key: answer[key] for key in expected} == expected, name
        for name, code in EXPECTED["script"]["dossiers"].items():
            answer = (await http.get(f"/api/v1/dossiers/{code}")).json()
            expected = EXPECTED["answers"]["dossiers"][name]
            # the public lookup now shows status and dates only (docs/security.md): the same values
            assert {k: v for k, v in answer.items() if k in expected} == {k: v for k, v in expected.items() if k in answer}, name
            assert {"code", "status", "received_at", "due", "outcome"} <= set(answer) and "department" not in answer, name
        board = await http.get("/api/v1/stats/today", params={"day": "2027-03-01"})
        assert board.json() == EXPECTED["answers"]["board_2027_03_01"]
        token = (await http.post("/api/v1/auth/login", json={"username": "quanly", "password": "demo"})).json()["token"]
        summary = await http.get("/api/v1/stats/summary", params={"from": "2027-03-01", "to": "2027-03-09", "by": "officer"},
                                 headers={"Authorization": f"Bearer {token}"})
        assert summary.json() == without_leaked_service_seconds(EXPECTED["answers"]["summary_by_officer"])


def test_a_first_release_backup_restores_into_postgresql_and_is_upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """`hall restore` of a first-release SQLite backup into PostgreSQL (how a hall moves there):
    the rows come as that release wrote them, then every upgrade runs, data migrations too."""
    url = new_schema(request.getfixturevalue("postgres_url"))
    assert restore(Path(__file__).parent / "fixtures" / "release1.db", url) == EXPECTED["seq"]
    store = open_store(url)
    try:
        assert store_version(store) == revisions()[-1]
        with store.connect() as conn:
            names = {json.loads(data).get("citizen_name") for data in conn.execute(PersonalRow.__table__.select().with_only_columns(PersonalRow.data)).scalars()}
            inline = conn.execute(text("SELECT count(*) FROM events WHERE data LIKE '%citizen_name%'")).scalar_one()
    finally:
        store.dispose()
    assert "Nguyễn Thị Hồng" in names and inline == 0
    runtime = build_runtime(load_hall(), url, ManualClock(local(RECORDED_AT)))
    assert runtime.engine.state.seq == EXPECTED["seq"]
    assert open_dossiers_as_first_release_knew_them(runtime.engine.component(DossierBook)) == EXPECTED["dossiers"]["open"]
    runtime.journal.close()
