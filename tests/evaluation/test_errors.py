"""Permissions on every path and clear refusals of bad input (REST and Socket.IO)."""

from __future__ import annotations

from rooms.permissions import Role
from tests.support.api import Api
from tests.support.evaluation import SEG, SHEETS, choose_general, connected, lesson, person, sheet_body
from tests.support.server import RunningServer


async def test_permissions(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    observer = les.observers[0]
    room = f"/api/rooms/{les.room_id}"
    # only the host configures
    for method, path, body in [
        ("POST", "/rubrics", {"template": "general"}),
        ("PATCH", "/evaluation", {"anonymous": True}),
    ]:
        for who in (observer, les.lead):
            status, err = await api.call(method, room + path, token=who.token, json=body)
            assert status == 403 and err["error"]["code"] == "forbidden", (path, err)
    await choose_general(les)
    # observers cannot manage evaluation or read others' scores
    for method, path in [
        ("POST", f"/segments/{SEG}/close"),
        ("GET", f"/segments/{SEG}/evaluations"),
        ("GET", f"/segments/{SEG}/aggregate"),
    ]:
        status, err = await api.call(method, room + path, token=observer.token)
        assert status == 403 and err["error"]["details"]["action"] == "evaluation.manage"
    # someone outside the room can do nothing in it, over REST or Socket.IO
    stranger = await person(server, "路人", Role.OBSERVER)
    status, err = await api.call(
        "PUT", room + f"/segments/{SEG}/evaluation", token=stranger.token, json=sheet_body(SHEETS[0])
    )
    assert status == 403 and err["error"]["code"] == "not_member"
    status, err = await api.call("GET", room + "/notes", token=stranger.token)
    assert status == 403
    status, err = await api.call("GET", "/api/rooms/nosuchroom/notes", token=stranger.token)
    assert status == 404
    status, _ = await api.call("GET", room + "/notes")
    assert status == 401
    async with connected(server, les.room_id, les.observers[1]) as (sock,):
        ack = await sock.call("note:add", {"room_id": les.room_id, "client_id": "x", "text": "hi"})
        assert ack["ok"]
        # another author's note cannot be shared by someone else
        ack2 = await sock.call("note:add", {"room_id": les.room_id, "client_id": "y", "text": "草稿"})
    async with connected(server, les.room_id, observer) as (sock,):
        bad = await sock.call("note:share", {"room_id": les.room_id, "note_id": ack2["note"]["id"]})
        assert bad == {
            "ok": False,
            "error": {
                "code": "not_author",
                "message": "only its author may change a note",
                "event": "note:share",
            },
        }
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server.url, auth={"token": stranger.token}, transports=["websocket"])
    try:
        ack = await client.call(
            "note:add", {"room_id": les.room_id, "client_id": "z", "text": "hi"}, timeout=10
        )
        assert ack["ok"] is False and ack["error"]["code"] == "not_member"
    finally:
        await client.disconnect()


async def test_bad_input(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    observer = les.observers[0]
    url = f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation"
    status, err = await api.call("PUT", url, token=observer.token, json=sheet_body(SHEETS[0]))
    assert status == 409 and err["error"]["code"] == "no_rubric"
    await choose_general(les)
    cases = [
        ({**SHEETS[0], "goals": 6}, "score_out_of_range", "教学目标"),
        ({**SHEETS[0], "goals": 3.5}, "score_out_of_range", "step 1"),
        ({k: v for k, v in SHEETS[0].items() if k != "effect"}, "missing_score", "教学效果"),
        ({**SHEETS[0], "charisma": 5}, "bad_criterion", "charisma"),
    ]
    for sheet, code, words in cases:
        status, err = await api.call("PUT", url, token=observer.token, json=sheet_body(sheet))
        assert status == 422 and err["error"]["code"] == code and words in err["error"]["message"], err
    status, err = await api.call("PUT", url, token=observer.token, json={"scores": "lots"})
    assert status == 422 and err["error"]["code"] == "validation"
    status, err = await api.call(
        "PUT", url, token=observer.token, json=sheet_body(SHEETS[0], comment="长" * 2001)
    )
    assert status == 422 and err["error"]["code"] == "comment_too_long"
    status, err = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/bad%20id/evaluation",
        token=observer.token,
        json=sheet_body(SHEETS[0]),
    )
    assert status == 422 and err["error"]["code"] == "bad_segment"
    status, err = await api.call("POST", f"/api/rooms/{les.room_id}/rubrics", token=les.host.token,
                                 json={"rubric": {"name": "x", "scale": {"min": 5, "max": 1}, "criteria": [{"key": "a", "title": "甲", "weight": 1}]}})  # fmt: skip
    assert status == 422 and "scale.max" in err["error"]["message"]
    status, err = await api.call(
        "POST", f"/api/rooms/{les.room_id}/rubrics", token=les.host.token, json={"template": "nope"}
    )
    assert status == 404 and err["error"]["code"] == "template_not_found"
    status, err = await api.call("POST", f"/api/rooms/{les.room_id}/rubrics", token=les.host.token, json={})
    assert status == 422 and err["error"]["code"] == "rubric_missing"

    async with connected(server, les.room_id, observer) as (sock,):
        ack = await sock.call("note:add", {"room_id": les.room_id, "client_id": "long", "text": "长" * 2001})
        assert (
            ack["ok"] is False
            and ack["error"]["code"] == "note_too_long"
            and "2000" in ack["error"]["message"]
        )
        ack = await sock.call(
            "note:add", {"room_id": les.room_id, "client_id": "k", "text": "好", "kind": "praise"}
        )
        assert (
            ack["ok"] is False
            and ack["error"]["code"] == "validation"
            and ack["error"]["message"].startswith("kind")
        )
        ack = await sock.call(
            "note:add", {"room_id": les.room_id, "client_id": "c", "text": "好", "criterion": "charisma"}
        )
        assert ack["ok"] is False and ack["error"]["code"] == "bad_criterion"
        ack = await sock.call("note:add", "not an object")
        assert ack["ok"] is False and ack["error"]["code"] == "validation"
        ack = await sock.call(
            "note:add", {"room_id": les.room_id, "client_id": "ok", "text": "  课堂节奏紧凑  "}
        )
        assert ack["ok"] and ack["note"]["text"] == "课堂节奏紧凑"  # the connection survived the bad events
    status, err = await api.call(
        "PATCH",
        f"/api/rooms/{les.room_id}/notes/{ack['note']['id']}",
        token=observer.token,
        json={"shared": False},
    )
    assert status == 422 and err["error"]["code"] == "cannot_unshare"
