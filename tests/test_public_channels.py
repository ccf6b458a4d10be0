"""No personal data and no ticket id on any anonymous channel, whatever the citizens are called.

A property test: citizens with generated names and phone numbers take tickets, are served and
leave dossiers; meanwhile a stranger listens on every public display socket and then reads every
public GET route of the app's own URL map (api/access.py entries without roles). None of those
bytes may hold a name, a phone number or the id of a ticket the stranger does not hold.
"""

from __future__ import annotations

import json

import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.routes import built_app, url_for
from support.servers import login, served_hall
from support.stores import sqlite_url
from support.waits import WAIT, next_message
from websockets.trio.client import connect

from api.access import entry_for

# Vietnamese letters with diacritics: a generated name cannot hide in the hall's own texts by chance.
NAMES = st.text(alphabet="ĂÂĐÊÔƠƯăâđêôơưắằẳẵặấầẩẫậếềểễệốồổỗộớờởỡợứừửữự ", min_size=8, max_size=30).map(str.strip).filter(lambda n: len(n) >= 8)
PHONES = st.from_regex(r"\A0[35789][0-9] [0-9]{3} [0-9]{3}\Z")
SOCKETS = ("hall", "board", "dashboard", "kiosk", "cabin/33")


def forms(text: str) -> set[str]:
    """A secret as it may appear in a body: as it is and JSON-escaped."""
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


async def drain(ws, until_seq: int | None) -> list[str]:
    """A display socket's frames up to `until_seq` (a tracking socket: whatever comes in 0.5 s)."""
    frames: list[str] = []
    if until_seq is None:
        with trio.move_on_after(0.5):
            while True:
                frames.append(await ws.recv())
        return frames
    with trio.fail_after(WAIT):
        while not frames or json.loads(frames[-1]).get("seq", 0) < until_seq:
            frames.append(await next_message(ws))
    return frames


async def stranger_hears(folder, citizens: list[tuple[str, str]]) -> tuple[str, list[str], str]:
    """Everything a stranger reads while `citizens` are served; the visits' ticket ids; the
    stranger's own ticket id (which it may see)."""
    async with served_hall(sqlite_url(folder)) as (server, http):
        base = server.url.replace("http://", "ws://") + "/ws/display/"
        own = (await http.post("/api/v1/tickets", json={"service": "CT-TN"})).json()["id"]
        auth = await login(http, "canbo33")
        await http.post("/api/v1/cabins/33/open", headers=auth)
        heard: list[str] = []
        visits, codes = [], []
        async with trio.open_nursery() as nursery:
            listening = [await nursery.start(_listen, base + kind) for kind in (*SOCKETS, f"track/{own}")]
            sockets = [ws for ws, _snapshot in listening]
            heard += [snapshot for _ws, snapshot in listening]
            for name, phone in citizens:
                visits.append((await http.post("/api/v1/tickets", json={"service": "CA-TN"})).json()["id"])
                assert (await http.post("/api/v1/cabins/33/call-next", headers=auth)).status_code == 200
                received = await http.post("/api/v1/cabins/33/dossiers", headers=auth,
                                           json={"procedure": "CA-HC", "citizen_name": name, "citizen_phone": phone})
                assert received.status_code == 201, received.text
                codes.append(received.json()["code"])
                await http.post("/api/v1/cabins/33/finish", headers=auth)
            seq = server.runtime.durable_seq
            for ws, kind in zip(sockets, (*SOCKETS, "track")):
                heard += await drain(ws, None if kind == "track" else seq)
            nursery.cancel_scope.cancel()
        for kind in SOCKETS:  # a fresh snapshot too
            async with connect(base + kind) as ws:
                heard.append(await next_message(ws))
        for rule in built_app(folder / "map").url_map.iter_rules():
            entry = entry_for(rule.endpoint)
            if rule.websocket or "GET" not in rule.methods or entry is None or not entry.public:
                continue
            for code in codes:
                answer = await http.get(url_for(rule, {"number": 33, "code": code, "ticket_id": own}))
                heard.append(answer.text)
        return "\n".join(heard), visits, own


async def _listen(url: str, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Hold a display socket open (its first frame, the snapshot, goes to the starter)."""
    async with connect(url) as ws:
        task_status.started((ws, await next_message(ws)))
        await trio.sleep_forever()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(citizens=st.lists(st.tuples(NAMES, PHONES), min_size=1, max_size=3, unique_by=lambda c: c[0]))
def test_no_personal_data_and_no_ticket_id_on_any_anonymous_channel(tmp_path_factory, citizens):
    folder = tmp_path_factory.mktemp("hall")
    (folder / "map").mkdir()
    text, visits, own = trio.run(stranger_hears, folder, citizens)
    assert own in text  # the stranger's own ticket: its tracking socket and GET /api/v1/tickets/{id}
    for name, phone in citizens:
        for secret in forms(name) | forms(phone) | {phone.replace(" ", "")}:
            assert secret not in text, f"{secret!r} reached an anonymous channel"
    for ticket_id in visits:
        assert ticket_id not in text, f"ticket id {ticket_id} reached an anonymous channel"
