"""Structured observation over REST and Socket.IO on a real server: three observers code one S-T run, the
host sees every analysis, the consensus and the agreement; permissions and bad input."""

from __future__ import annotations

import io

import docx
import pytest
import socketio

from rooms.permissions import Role
from tests.support.api import Api
from tests.support.evaluation import SEG, choose_general, connected, fetch_report, lesson, person
from tests.support.server import RunningServer

# slot -> code, per observer (李老师, 张老师 over REST; 陈专家 over Socket.IO)
CODINGS = [
    "TTTSSTTSSSTT",
    "TTTSSTTSSSTT",
    "TTSSSTTSSSTS",
]


async def test_three_observers_code_one_st_run(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    base = f"/api/rooms/{les.room_id}/observations"
    status, listed = await api.call("GET", "/api/observation-instruments", token=les.observers[0].token)
    assert status == 200 and [i["key"] for i in listed] == ["st", "questions"]

    status, run = await api.call(
        "POST", base, token=les.observers[0].token, json={"segment_id": SEG, "instrument": "st"}
    )
    assert status == 201 and run["interval_seconds"] == 30, run
    status, again = await api.call("POST", base, token=les.observers[1].token,
                                   json={"segment_id": SEG, "instrument": "st", "interval_seconds": 10})  # fmt: skip
    assert (
        status == 200 and again["id"] == run["id"] and again["interval_seconds"] == 30
    )  # joined, not restarted
    samples = f"{base}/{run['id']}/samples"

    async with connected(server, les.room_id, les.host, les.observers[2]) as (host_sock, expert_sock):
        for who in (0, 1):
            for slot, code in enumerate(CODINGS[who]):
                status, out = await api.call("PUT", samples, token=les.observers[who].token,
                                             json={"slot": slot, "code": code})  # fmt: skip
                assert status == 200 and out["changed"], out
                assert out["sample"]["at"] == pytest.approx(run["started_at"] + 30 * slot)
        for slot, code in enumerate(CODINGS[2]):
            ack = await expert_sock.call(
                "obs:code", {"room_id": les.room_id, "run_id": run["id"], "slot": slot, "code": code}
            )
            assert ack["ok"], ack
        assert ack["result"]["n"] == 12 and ack["result"]["counts"] == {"T": 5, "S": 7}
        await host_sock.wait_for("obs:aggregate", lambda d: d["run_id"] == run["id"])

    # the same code again changes nothing; a different one corrects the slot
    status, out = await api.call("PUT", samples, token=les.observers[0].token, json={"slot": 0, "code": "T"})
    assert status == 200 and not out["changed"]
    status, mine = await api.call("GET", f"{base}/{run['id']}/mine", token=les.observers[0].token)
    assert status == 200 and len(mine["samples"]) == 12
    assert mine["result"]["metrics"]["Rt"] == pytest.approx(7 / 12)
    assert mine["result"]["metrics"]["Ch"] == pytest.approx(4 / 12)
    assert mine["result"]["type_title"] == "混合型"

    status, agg = await api.call("GET", f"{base}/{run['id']}/analysis", token=les.host.token)
    assert status == 200, agg
    assert [o["observer"] for o in agg["observers"]] == ["李老师", "张老师", "陈专家"]
    # majority per slot is the first coding; agreement: pairs 12/12, 10/12, 10/12 → 32/36
    assert agg["combined"]["counts"] == {"T": 7, "S": 5}
    assert agg["agreement"] == pytest.approx(100 * 32 / 36)
    assert agg["combined"]["curve"][-1] == [7, 5]

    # anonymous mode hides who coded what
    await api.call(
        "PATCH", f"/api/rooms/{les.room_id}/evaluation", token=les.host.token, json={"anonymous": True}
    )
    _, agg = await api.call("GET", f"{base}/{run['id']}/analysis", token=les.host.token)
    assert [o["observer"] for o in agg["observers"]] == ["观察者 1", "观察者 2", "观察者 3"]

    status, runs = await api.call("GET", f"{base}?segment_id={SEG}", token=les.guest_editor.token)
    assert status == 200 and [r["id"] for r in runs] == [run["id"]]


async def test_permissions_and_bad_input(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    base = f"/api/rooms/{les.room_id}/observations"
    me = les.observers[0].token
    _, run = await api.call("POST", base, token=me, json={"segment_id": SEG, "instrument": "st"})
    samples = f"{base}/{run['id']}/samples"
    cases = [
        ({"slot": 0, "code": "X"}, 422, "bad_code"),
        ({"code": "T"}, 422, "slot_required"),
        ({"slot": -1, "code": "T"}, 422, "validation"),
        ({"slot": 10**6, "code": "T"}, 422, "validation"),
    ]
    for body, want, code in cases:
        status, err = await api.call("PUT", samples, token=me, json=body)
        assert status == want and err["error"]["code"] == code, (body, err)
    status, err = await api.call("POST", base, token=me, json={"segment_id": SEG, "instrument": "flanders"})
    assert status == 404 and err["error"]["code"] == "instrument_not_found"

    # observers code but do not see the others' analysis; a stranger does neither
    status, _ = await api.call("GET", f"{base}/{run['id']}/analysis", token=me)
    assert status == 403
    stranger = await person(server, "路人", Role.OBSERVER)  # not a member of the room
    status, _ = await api.call("PUT", samples, token=stranger.token, json={"slot": 0, "code": "T"})
    assert status in (403, 404)
    sock = socketio.AsyncClient(reconnection=False)
    await sock.connect(server.url, auth={"token": stranger.token}, transports=["websocket"])
    try:
        body = {"room_id": les.room_id, "run_id": run["id"], "slot": 0, "code": "T"}
        ack = await sock.call("obs:code", body, timeout=10)
    finally:
        await sock.disconnect()
    assert not ack["ok"] and ack["error"]["code"] in ("forbidden", "not_member", "room_not_found"), ack

    # a run of another room is not found through this one
    other = await lesson(server, api)
    status, err = await api.call("PUT", f"/api/rooms/{other.room_id}/observations/{run['id']}/samples",
                                 token=other.observers[0].token, json={"slot": 0, "code": "T"})  # fmt: skip
    assert status == 404 and err["error"]["code"] == "observation_not_found"


async def test_event_instrument_is_idempotent_by_client_id(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    base = f"/api/rooms/{les.room_id}/observations"
    a, b = les.observers[0].token, les.observers[1].token
    _, run = await api.call("POST", base, token=a, json={"segment_id": SEG, "instrument": "questions"})
    assert run["interval_seconds"] is None
    samples = f"{base}/{run['id']}/samples"
    status, err = await api.call("PUT", samples, token=a, json={"code": "recall"})
    assert status == 422 and err["error"]["code"] == "client_id_required"
    for token, codes in ((a, ["recall", "recall", "higher", "apply"]), (b, ["recall", "higher", "apply"])):
        for i, code in enumerate(codes):
            status, out = await api.call(
                "PUT", samples, token=token, json={"client_id": f"q{i}", "code": code}
            )
            assert status == 200 and out["changed"]
    status, out = await api.call(
        "PUT", samples, token=a, json={"client_id": "q0", "code": "recall"}
    )  # a retry
    assert not out["changed"] and out["result"]["n"] == 4
    _, agg = await api.call("GET", f"{base}/{run['id']}/analysis", token=les.host.token)
    assert agg["combined"]["counts"]["recall"] == 3 and agg["combined"]["n"] == 7
    assert agg["combined"]["metrics"]["higher_share"] == pytest.approx(4 / 7)
    assert agg["agreement"] == pytest.approx(100 * 3 / 4)  # Σmin 1+1+1 of Σmax 2+1+1


async def test_report_and_replay_include_the_observation(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    await choose_general(les)
    base = f"/api/rooms/{les.room_id}/observations"
    _, run = await api.call(
        "POST", base, token=les.observers[0].token, json={"segment_id": SEG, "instrument": "st"}
    )
    for who, coding in enumerate(CODINGS):
        for slot, code in enumerate(coding):
            status, _ = await api.call("PUT", f"{base}/{run['id']}/samples", token=les.observers[who].token,
                                       json={"slot": slot, "code": code})  # fmt: skip
            assert status == 200

    status, body, _ = await fetch_report(les, "docx")
    assert status == 200
    document = docx.Document(io.BytesIO(body))
    headings = [p.text for p in document.paragraphs]
    assert "课堂观察量表" in headings and "S-T 课堂教学分析" in headings
    assert any("观察者一致率：88.9%" in p for p in headings)
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    combined = next(r for r in cells if r[0] == "综合（逐时刻多数）")
    assert combined[1:] == ["12", "7", "5", "0.583", "0.333", "5", "混合型"]
    # the rubric's means and distribution (no notes: no timeline), the S-T curve and the Rt–Ch diagram
    assert len(document.inline_shapes) == 2 + 2

    status, body, _ = await fetch_report(les, "html")
    html = body.decode("utf-8")
    assert status == 200 and "S-T 课堂教学分析" in html and html.count('class="half"') == 2

    _, replay = await api.call("GET", f"/api/rooms/{les.room_id}/replay?origin={run['started_at'] - 10}",
                               token=les.observers[0].token)  # fmt: skip
    assert "".join(c["code"] for c in replay["codes"]) == CODINGS[0]  # the majority of each moment
    assert [c["offset"] for c in replay["codes"]][:3] == pytest.approx([10, 40, 70])
    assert replay["codes"][0]["title"] == "教师行为"
