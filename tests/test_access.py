"""Who may use each route: the access table covers every endpoint and the server enforces it.

The table is api/access.py `ACCESS`; these tests walk the application's own URL map, so a route
added without an entry fails here (and is refused at run time: deny by default).
"""

from __future__ import annotations

import pytest
from support.routes import built_app, url_for
from support.servers import login

from api.access import ACCESS, FLOOR, entry_for
from hall.config import load_hall


@pytest.mark.parametrize("per_hall", [False, True], ids=["root", "per-hall"])
def test_every_route_and_socket_has_an_access_entry(tmp_path, per_hall):
    app = built_app(tmp_path, per_hall=per_hall)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(e for e in endpoints if entry_for(e) is None)
    assert not missing, f"add these endpoints to api/access.py ACCESS: {missing}"
    stale = sorted(set(ACCESS) - {".".join(e.rsplit(".", 2)[-2:]) for e in endpoints})
    assert not stale, f"ACCESS names endpoints that no longer exist: {stale}"
    assert "devices.socket" in endpoints and ACCESS["devices.socket"].devices  # the device socket is by kind


async def test_a_route_without_an_entry_is_refused(tmp_path):
    app = built_app(tmp_path)

    @app.get("/api/v1/forgotten")
    async def forgotten() -> str:
        return "secret"

    answer = await app.test_client().get("/api/v1/forgotten")
    assert answer.status_code == 403
    assert "no entry in the access table" in (await answer.get_json())["error"]["message"]


async def test_every_staff_route_refuses_the_anonymous_and_floor_routes_refuse_officers(client, tmp_path):
    """Walks the table over real HTTP: each entry with roles answers 401 without a token and, if it
    is for the floor only, 403 to an officer; public routes never ask anyone to sign in."""
    app = built_app(tmp_path)
    officer = await login(client, "canbo01")
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.websocket:
            continue
        method = "POST" if "POST" in rule.methods else "GET"
        entry, url = ACCESS[rule.endpoint], url_for(rule)
        anonymous = await client.request(method, url)
        if entry.roles:
            assert anonymous.status_code == 401, (rule.endpoint, anonymous.text)
        else:
            assert anonymous.status_code != 401, (rule.endpoint, anonymous.text)
        if entry.roles and entry.roles <= FLOOR:
            as_officer = await client.request(method, url, headers=officer)
            assert as_officer.status_code == 403, (rule.endpoint, as_officer.text)
            assert as_officer.json()["error"]["message"] == entry.refusal
        checked += 1
    assert checked >= 40


async def test_the_same_routes_serve_a_hall_under_its_prefix(tmp_path):
    """The seam for several halls in one process: the blueprints registered again under
    /h/<hall>/ reach the hall named in the URL, with the same access rules."""
    app = built_app(tmp_path, per_hall=True)
    http = app.test_client()
    hall_id = load_hall().id
    health = await http.get(f"/h/{hall_id}/api/v1/health")
    assert health.status_code == 200 and (await health.get_json())["hall"] == hall_id
    assert (await http.get("/api/v1/health")).status_code == 200  # the unprefixed routes: the first hall
    unknown = await http.get("/h/elsewhere/api/v1/health")
    assert unknown.status_code == 404 and (await unknown.get_json())["error"]["message"] == "no hall 'elsewhere'"
    assert (await http.post(f"/h/{hall_id}/api/v1/cabins/1/open")).status_code == 401
    assert (await http.post(f"/h/{hall_id}/api/v1/cabins/1/dance")).status_code == 404
