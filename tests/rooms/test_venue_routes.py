"""Venue and agenda REST (rooms/venue_routes.py): 会场 CRUD, the run sheet replaced whole, ids kept."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.rooms import create_room, member


async def test_venues_and_agenda(api: Api) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"], kind="showcase"))["id"]
    presenter = await member(api, host["token"], rid, "presenter")
    status, centre = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"],
                                    json={"name": "教育中心", "school": "县教研室"})  # fmt: skip
    assert status == 201 and centre["position"] == 0
    status, s3 = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"],
                                json={"name": "三小", "school": "第三小学", "presenter_id": presenter["user"]["id"]})  # fmt: skip
    assert status == 201 and s3["position"] == 1 and s3["presenter_id"] == presenter["user"]["id"]
    status, _ = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"],
                                 json={"name": "x", "presenter_id": 999999})  # fmt: skip
    assert status == 422
    status, _ = await api.call(
        "POST", f"/api/rooms/{rid}/venues", token=presenter["token"], json={"name": "x"}
    )
    assert status == 403
    status, v = await api.call("PATCH", f"/api/venues/{s3['id']}", token=host["token"], json={"position": 0})
    assert status == 200 and v["position"] == 0
    segments = [
        {"title": "开场", "venue_id": centre["id"], "duration_minutes": 10},
        {"title": "第一课", "venue_id": s3["id"], "duration_minutes": 40, "notes": "《秋天的雨》"},
        {"title": "点评", "venue_id": centre["id"], "duration_minutes": 20},
    ]
    status, agenda = await api.call(
        "PUT", f"/api/rooms/{rid}/agenda", token=host["token"], json={"segments": segments}
    )
    assert status == 200 and [s["title"] for s in agenda["segments"]] == ["开场", "第一课", "点评"]
    first_id = agenda["segments"][1]["id"]
    # reorder keeping ids, drop one
    keep = [{**segments[1], "id": first_id}, segments[0]]
    status, agenda = await api.call(
        "PUT", f"/api/rooms/{rid}/agenda", token=host["token"], json={"segments": keep}
    )
    assert status == 200 and agenda["segments"][0]["id"] == first_id and len(agenda["segments"]) == 2
    status, _err = await api.call("PUT", f"/api/rooms/{rid}/agenda", token=host["token"],
                                 json={"segments": [{"title": "x", "venue_id": "nope"}]})  # fmt: skip
    assert status == 422
    status, _err = await api.call(
        "PUT", f"/api/rooms/{rid}/agenda", token=presenter["token"], json={"segments": []}
    )
    assert status == 403
    status, _ = await api.call("DELETE", f"/api/venues/{s3['id']}", token=host["token"])
    assert status == 204
    status, agenda = await api.call("GET", f"/api/rooms/{rid}/agenda", token=presenter["token"])
    assert agenda["segments"][0]["venue_id"] is None
    status, venues = await api.call("GET", f"/api/rooms/{rid}/venues", token=presenter["token"])
    assert [v["name"] for v in venues] == ["教育中心"]
