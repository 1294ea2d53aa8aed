"""The lesson-study cycle (studios/cycle_routes.py, studios/cycles.py, studios/cycle_view.py): a studio of
1 + 3 + 20 runs 集体备课 → 第一次试讲 → 第二次试讲; the plan is carried forward, versions are numbered across
the cycle, and the cycle view shows the drafts with diffs, both recordings, per-criterion averages trial over
trial and the S-T results side by side."""

from __future__ import annotations

import time
import uuid

from media.models import Recording
from tests.support.api import Api
from tests.support.lessonplan import plan_clients
from tests.support.server import RunningServer
from tests.support.studios import code_st, evaluate, studio_of, teacher

GENERAL = ["goals", "content", "methods", "interaction", "participation", "effect", "literacy"]


async def _record(server: RunningServer, room_id: str, user_id: int, seconds: float) -> str:
    """A finished program recording of the room (making one on the wire is media's test)."""
    rec_id = uuid.uuid4().hex[:16]
    started = time.time() - seconds - 60
    async with server.ctx.db.transaction() as session:
        session.add(Recording(id=rec_id, room_id=room_id, source="program", venue_id=None, started_by=user_id,
                              started_at=started, origin=started, stopped_at=started + seconds, duration=seconds,
                              size=1000, frames=100, status="done", path=f"recordings/{rec_id}.webm",
                              content_type="video/webm"))  # fmt: skip
    return rec_id


async def _versions(api: Api, token: str, doc_id: str) -> list[tuple[int, str]]:
    status, listed = await api.call("GET", f"/api/docs/{doc_id}/versions", token=token)
    assert status == 200, listed
    return [(v["number"], v["name"]) for v in listed]


async def test_a_two_trial_cycle_carries_the_plan_and_compares_the_trials(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api, server = studio_api, studio_server
    studio = await studio_of(server, api, core=3, participants=20)
    host, lead, participants = studio.host, studio.core[0], studio.participants
    status, cycle = await api.call("POST", f"/api/studios/{studio.id}/cycles", token=host.token,
                                   json={"title": "秋天的雨"})  # fmt: skip
    assert status == 201 and cycle["steps"] == [], cycle
    cid = cycle["id"]
    status, prep = await api.call(
        "POST", f"/api/cycles/{cid}/steps", token=lead.token, json={"stage": "prep"}
    )
    assert status == 201, prep
    assert prep["room"]["title"] == "《秋天的雨》集体备课" and prep["position"] == 1 and prep["doc_id"]
    prep_doc = prep["doc_id"]

    # 集体备课: core members edit the plan live (default role editor); a participant watches it (observer)
    async with plan_clients(server.ws_url + "/collab") as js:
        editor = await js.open_doc(prep_doc, studio.core[1].token)
        watcher = await js.open_doc(prep_doc, participants[0].token)
        await js.call("insert", client=editor, path=[0, 0], index=2, text="：秋天的雨")
        await js.call("wait_plain", client=watcher, contains="课题：秋天的雨")
        status, v1 = await api.call("POST", f"/api/docs/{prep_doc}/versions", token=lead.token)
        assert status == 201 and v1["name"] == "第一稿"
        await js.call("insert", client=editor, path=[9, 0], index=5, text="感受秋天的美")
        await js.call("wait_plain", client=watcher, contains="感受秋天的美")
    # a participant may not run the cycle
    status, err = await api.call("POST", f"/api/cycles/{cid}/steps", token=participants[0].token,
                                 json={"stage": "trial"})  # fmt: skip
    assert status == 403 and err["error"]["details"]["action"] == "studio.activity_manage", err

    # 第一次试讲 opens with the preparation's final version (the unsaved edit saved as 第二稿)
    status, trial1 = await api.call(
        "POST", f"/api/cycles/{cid}/steps", token=lead.token, json={"stage": "trial"}
    )
    assert status == 201 and trial1["room"]["title"] == "《秋天的雨》第一次试讲", trial1
    t1_room, t1_doc = trial1["room"]["id"], trial1["doc_id"]
    assert await _versions(api, participants[5].token, prep_doc) == [(1, "第一稿"), (2, "第二稿")]
    assert await _versions(api, participants[5].token, t1_doc) == [(1, "第一稿"), (2, "第二稿")]
    async with plan_clients(server.ws_url + "/collab") as js:
        reader = await js.open_doc(t1_doc, participants[7].token)
        opened = await js.plain(reader)
        assert "课题：秋天的雨" in opened and "感受秋天的美" in opened
        # the trial teacher revises after the lesson; the next save is numbered on from the cycle
        await api.call("PATCH", f"/api/rooms/{t1_room}/members/{studio.core[2].user_id}", token=lead.token,
                       json={"role": "presenter"})  # fmt: skip
        writer = await js.open_doc(t1_doc, studio.core[2].token)
        await js.call("insert", client=writer, path=[20, 0], index=0, text="增加朗读指导")
        await js.call("wait_plain", client=reader, contains="增加朗读指导")
    # members score and code the lesson without any per-room invite; the rubric is chosen once
    status, _ = await api.call(
        "POST", f"/api/rooms/{t1_room}/rubrics", token=lead.token, json={"template": "general"}
    )
    assert status == 201
    await evaluate(api, t1_room, participants[:4], [dict.fromkeys(GENERAL, s) for s in (3, 3, 4, 2)])
    await code_st(api, t1_room, participants[:2], "TTTTSTTTST")
    rec1 = await _record(server, t1_room, host.user_id, 2400)

    # 第二次试讲: opens with the first trial's final plan; the rubric came along
    status, trial2 = await api.call(
        "POST", f"/api/cycles/{cid}/steps", token=host.token, json={"stage": "trial"}
    )
    assert status == 201 and trial2["room"]["title"] == "《秋天的雨》第二次试讲"
    t2_room, t2_doc = trial2["room"]["id"], trial2["doc_id"]
    assert (await _versions(api, lead.token, t2_doc))[-1] == (3, "第三稿")
    _, content = await api.call("GET", f"/api/docs/{t2_doc}/versions", token=lead.token)
    status, third = await api.call(
        "GET", f"/api/docs/{t2_doc}/versions/{content[-1]['id']}", token=lead.token
    )
    assert "增加朗读指导" in third["text"]
    status, rubrics = await api.call("GET", f"/api/rooms/{t2_room}/rubrics", token=lead.token)
    assert status == 200 and [[c["key"] for c in r["criteria"]] for r in rubrics] == [GENERAL], rubrics
    await evaluate(api, t2_room, participants[4:8], [dict.fromkeys(GENERAL, s) for s in (4, 5, 4, 5)])
    await code_st(api, t2_room, participants[4:6], "TSSTSSTSST")
    rec2 = await _record(server, t2_room, host.user_id, 2520)

    # the cycle view, as any participant sees it
    status, view = await api.call("GET", f"/api/cycles/{cid}", token=participants[19].token)
    assert status == 200, view
    assert [s["room"]["id"] for s in view["cycle"]["steps"]] == [prep["room"]["id"], t1_room, t2_room]
    assert [s["room"]["my_role"] for s in view["cycle"]["steps"]] == ["observer"] * 3
    assert [(d["number"], d["name"], d["room_id"]) for d in view["drafts"]] == [
        (2, "第二稿", prep["room"]["id"]), (3, "第三稿", t1_room),
    ]  # fmt: skip
    diff = view["diffs"][0]
    assert (diff["from"], diff["to"]) == ("第二稿", "第三稿") and "增加朗读指导" in diff["text"]
    trials = {t["room_id"]: t for t in view["trials"]}
    assert [r["id"] for r in trials[t1_room]["recordings"]] == [rec1]
    assert [r["id"] for r in trials[t2_room]["recordings"]] == [rec2]
    assert trials[t1_room]["recordings"][0]["url"] == f"/api/recordings/{rec1}/file"
    means = {c["key"]: c["means"] for c in view["criteria"]}
    assert list(means) == GENERAL and means["goals"] == [None, 3.0, 4.5]
    st1, st2 = (trials[r]["observation"][0] for r in (t1_room, t2_room))
    assert st1["instrument"] == "st" and st1["observers"] == 2
    assert st1["result"]["metrics"]["Rt"] == 0.8 and st2["result"]["metrics"]["Rt"] == 0.4, (st1, st2)
    # the recording is reachable by a participant through the media path, without a room invite
    status, listed = await api.call("GET", f"/api/rooms/{t2_room}/recordings", token=participants[19].token)
    assert status == 200 and [r["id"] for r in listed] == [rec2]

    # a participant who leaves loses the cycle and its rooms
    status, _ = await api.call("POST", f"/api/studios/{studio.id}/leave", token=participants[19].token)
    assert status == 204
    status, err = await api.call("GET", f"/api/cycles/{cid}", token=participants[19].token)
    assert status == 403 and err["error"]["code"] == "not_studio_member"
    status, err = await api.call("GET", f"/api/rooms/{t2_room}/recordings", token=participants[19].token)
    assert status == 403 and err["error"]["code"] == "not_member"


async def test_cycle_rules_and_errors(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=1)
    host = studio.host
    status, cycle = await api.call(
        "POST", f"/api/studios/{studio.id}/cycles", token=host.token, json={"title": "圆"}
    )
    cid = cycle["id"]
    status, err = await api.call(
        "POST", f"/api/cycles/{cid}/steps", token=host.token, json={"stage": "review"}
    )
    assert status == 422 and err["error"]["details"][0]["field"] == "stage"
    assert (await api.call("POST", f"/api/cycles/{cid}/steps", token=host.token, json={"stage": "prep"}))[
        0
    ] == 201
    status, err = await api.call("POST", f"/api/cycles/{cid}/steps", token=host.token, json={"stage": "prep"})
    assert status == 422 and err["error"]["code"] == "stage_order"
    status, show = await api.call(
        "POST", f"/api/cycles/{cid}/steps", token=host.token, json={"stage": "showcase"}
    )
    assert status == 201 and show["room"]["kind"] == "showcase" and show["room"]["title"] == "《圆》展示"
    status, err = await api.call(
        "POST", f"/api/cycles/{cid}/steps", token=host.token, json={"stage": "trial"}
    )
    assert status == 409 and err["error"]["code"] == "cycle_closed"
    status, err = await api.call("GET", "/api/cycles/nope", token=host.token)
    assert status == 404 and err["error"]["code"] == "cycle_not_found"
    stranger = await teacher(studio_server, "陌生人")
    status, err = await api.call("GET", f"/api/cycles/{cid}", token=stranger.token)
    assert status == 403 and err["error"]["code"] == "not_studio_member"
    status, err = await api.call("POST", f"/api/studios/{studio.id}/cycles", token=studio.participants[0].token,
                                 json={"title": "x"})  # fmt: skip
    assert status == 403 and err["error"]["details"]["action"] == "studio.activity_manage"
    status, listed = await api.call(
        "GET", f"/api/studios/{studio.id}/cycles", token=studio.participants[0].token
    )
    assert status == 200 and [len(c["steps"]) for c in listed] == [2]
    # a cycle's room is not detached on its own
    status, err = await api.call(
        "DELETE", f"/api/studios/{studio.id}/rooms/{show['room']['id']}", token=host.token
    )
    assert status == 409 and err["error"]["code"] == "cycle_step"
