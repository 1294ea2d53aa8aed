"""Evaluation REST (evaluation/routes.py) on a synthetic live segment: rubric from a template, three observers
note and score, the host watches the aggregate; anonymous mode, closing, rubric versions."""

from __future__ import annotations

import json
import math
import time

from evaluation.rubrics import templates
from tests.support.api import Api
from tests.support.evaluation import (
    SEG,
    SHEETS,
    choose_general,
    connected,
    lesson,
    sheet_body,
)
from tests.support.server import RunningServer


async def test_templates_are_chinese_and_valid(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    status, listed = await api.call("GET", "/api/rubric-templates", token=les.observers[0].token)
    assert status == 200
    by_key = {t["key"]: t for t in listed}
    titles = [c["title"] for c in by_key["general"]["criteria"]]
    assert titles == ["教学目标", "教学内容", "教学方法", "师生互动", "学生参与", "教学效果", "教师素养"]
    assert "核心素养" in by_key["core_literacy"]["name"]
    assert all(c["descriptor"] for t in listed for c in t["criteria"])
    assert set(by_key) == set(templates())


async def test_live_segment(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    rubric = await choose_general(les)
    assert rubric["version"] == 1 and rubric["template"] == "general"
    assert rubric["criteria"][0]["title"] == "教学目标"  # type: ignore[index]

    async with connected(server, les.room_id, les.host, *les.observers, les.guest_editor) as socks:
        host_sock, o1, o2, o3, editor_sock = socks
        base = math.floor(time.time() / 60) * 60 - 600  # ten minutes ago, on a bucket boundary
        plan = [  # (observer socket, offset, kind, criterion, shared)
            (o1, 5, "positive", "interaction", True),
            (o2, 20, "question", "methods", True),
            (o3, 30, "suggestion", None, True),
            (o1, 65, "question", "methods", True),
            (o2, 70, None, None, True),
            (o3, 130, "positive", "effect", True),
            (o1, 140, "suggestion", "goals", False),  # a private draft
        ]
        acks = []
        for i, (sock, offset, kind, criterion, shared) in enumerate(plan):
            body = {"room_id": les.room_id, "client_id": f"c{i}", "text": f"第{i}条：学生小组讨论很投入",
                    "kind": kind, "criterion": criterion, "segment_id": SEG, "at": base + offset,
                    "venue_id": "venue-3", "shared": shared}  # fmt: skip
            ack = await sock.call("note:add", body)
            assert ack["ok"] and ack["created"], ack
            assert ack["note"]["at"] == base + offset and ack["note"]["venue_id"] == "venue-3"
            acks.append(ack["note"])
        # a retry (reconnect after a lost ack) returns the stored note, not a duplicate
        again = await o1.call(
            "note:add", {"room_id": les.room_id, "client_id": "c0", "text": "第0条：学生小组讨论很投入"}
        )
        assert again["ok"] and not again["created"] and again["note"]["id"] == acks[0]["id"]

        # shared notes reach everyone in the room live, drafts reach no one
        for sock in (host_sock, editor_sock, o2):
            await sock.wait_for("note:shared", lambda d: d["note"]["id"] == acks[5]["id"])
            seen = {d["note"]["id"] for d in sock.events["note:shared"]}
            assert seen == {n["id"] for n in acks[:6]}
        status, visible = await api.call(
            "GET", f"/api/rooms/{les.room_id}/notes", token=les.observers[1].token
        )
        assert status == 200 and acks[6]["id"] not in {n["id"] for n in visible} and len(visible) == 6
        status, own = await api.call("GET", f"/api/rooms/{les.room_id}/notes", token=les.observers[0].token)
        assert acks[6]["id"] in {n["id"] for n in own} and [n["at"] for n in own] == sorted(
            n["at"] for n in own
        )

        # the draft is shared later: it appears live then
        ack = await o1.call("note:share", {"room_id": les.room_id, "note_id": acks[6]["id"]})
        assert ack["ok"] and ack["note"]["shared"]
        await o3.wait_for("note:shared", lambda d: d["note"]["id"] == acks[6]["id"])

        for person, sheet in zip(les.observers, SHEETS, strict=True):
            status, out = await api.call(
                "PUT", f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation", token=person.token,
                json=sheet_body(sheet, str(rubric["id"]), comment=f"{person.name}总评"),
            )  # fmt: skip
            assert status == 200, out
            assert out["rubric_id"] == rubric["id"]
        pushed = await host_sock.wait_for("eval:aggregate", lambda d: d["aggregate"]["count"] == 3)
        assert "eval:aggregate" not in o1.events  # observers are not moderators

        status, _ = await api.call(
            "POST", f"/api/rooms/{les.room_id}/segments/{SEG}/close", token=les.host.token
        )
        assert status == 200
        closed = await o2.wait_for("eval:segment", lambda d: d["closed"])  # score forms lock everywhere
        assert closed["segment_id"] == SEG and closed["evaluations"] == 3
        await host_sock.wait_for("eval:aggregate", lambda d: d["closed"])
        status, _ = await api.call(
            "PATCH", f"/api/rooms/{les.room_id}/evaluation", token=les.host.token, json={"anonymous": True}
        )
        await host_sock.wait_for("eval:aggregate", lambda d: d["anonymous"])

    status, agg = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/aggregate", token=les.host.token
    )
    assert status == 200, agg
    assert {**pushed, "closed": True, "anonymous": True} == agg
    check_hand_computation(agg["aggregate"], base)


def check_hand_computation(agg: dict[str, object], base: float) -> None:
    """Numbers worked out by hand from SHEETS and the note plan above."""
    assert agg["count"] == 3
    crit = {c["key"]: c for c in agg["criteria"]}  # type: ignore[attr-defined]
    assert crit["goals"]["mean"] == 4.0
    assert math.isclose(crit["goals"]["stdev"], math.sqrt(2 / 3))  # 4,5,3 -> variance (0+1+1)/3
    assert crit["goals"]["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert math.isclose(crit["methods"]["mean"], 11 / 3)
    assert crit["participation"]["stdev"] == 0.0 and crit["participation"]["distribution"]["4"] == 3
    # (15 × (4 + 4 + 11/3 + 4 + 4 + 4) + 10 × 4) / 100 = (355 + 40) / 100
    assert math.isclose(agg["weighted_total"], 3.95)  # type: ignore[arg-type]
    assert math.isclose(agg["weighted_percent"], 79.0)  # type: ignore[arg-type]
    assert [round(t, 6) for t in agg["totals"]] == [3.6, 4.1, 4.15]  # type: ignore[attr-defined]
    line = agg["timeline"]
    assert [(m["offset"], m["count"]) for m in line] == [(0, 3), (60, 2), (120, 2)]  # type: ignore[attr-defined]
    assert line[0]["start"] == base and line[0]["kinds"] == {"positive": 1, "question": 1, "suggestion": 1}  # type: ignore[index]
    assert line[1]["criteria"] == {"methods": 1}  # type: ignore[index]
    assert agg["top_moments"][0]["start"] == base  # type: ignore[index]


async def test_anonymous_mode_and_closing(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    rubric = await choose_general(les)
    for person, sheet in zip(les.observers, SHEETS, strict=True):
        status, out = await api.call(
            "PUT", f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation", token=person.token,
            json=sheet_body(sheet, comment=f"{person.name}的总评"),
        )  # fmt: skip
        assert status == 200, out
    status, named = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/evaluations", token=les.host.token
    )
    assert status == 200 and {e["observer_name"] for e in named} == {p.name for p in les.observers}

    status, state = await api.call(
        "PATCH", f"/api/rooms/{les.room_id}/evaluation", token=les.host.token, json={"anonymous": True}
    )
    assert status == 200 and state["anonymous"] and state["rubric"]["id"] == rubric["id"]
    for path in (f"/segments/{SEG}/evaluations", f"/segments/{SEG}/aggregate", "/evaluation"):
        status, body = await api.call("GET", f"/api/rooms/{les.room_id}{path}", token=les.host.token)
        assert status == 200
        text = json.dumps(body, ensure_ascii=False)
        for p in les.observers:  # comments are kept, names and ids are not
            assert p.name not in text.replace(f"{p.name}的总评", "")
            assert f'"observer_id": {p.user_id}' not in text
    status, anon = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/evaluations", token=les.host.token
    )
    assert all(
        e["observer_id"] is None and e["observer_name"] is None and e["created_at"] is None for e in anon
    )
    assert sorted(e["comment"] for e in anon) == sorted(f"{p.name}的总评" for p in les.observers)
    assert sorted(s["score"] for e in anon for s in e["scores"] if s["criterion"] == "goals") == [3, 4, 5]

    # editable until closed: observer 3 raises 教学目标 from 3 to 5
    edited = {**SHEETS[2], "goals": 5}
    status, _ = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
        token=les.observers[2].token,
        json=sheet_body(edited),
    )
    assert status == 200
    status, agg = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/aggregate", token=les.host.token
    )
    assert agg["aggregate"]["count"] == 3
    assert math.isclose(agg["aggregate"]["criteria"][0]["mean"], 14 / 3)

    status, seg = await api.call(
        "POST", f"/api/rooms/{les.room_id}/segments/{SEG}/close", token=les.host.token
    )
    assert status == 200 and seg["closed"] and seg["evaluations"] == 3
    status, err = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
        token=les.observers[0].token,
        json=sheet_body(SHEETS[0]),
    )
    assert status == 409 and err["error"]["code"] == "evaluation_closed"
    status, _ = await api.call(
        "POST", f"/api/rooms/{les.room_id}/segments/{SEG}/reopen", token=les.host.token
    )
    assert status == 200
    status, _ = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
        token=les.observers[0].token,
        json=sheet_body(SHEETS[0]),
    )
    assert status == 200


async def test_scores_stay_with_their_rubric_version(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    v1 = await choose_general(les)
    for person, sheet in zip(les.observers, SHEETS, strict=True):
        status, _ = await api.call(
            "PUT",
            f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
            token=person.token,
            json=sheet_body(sheet),
        )
        assert status == 200
    edited = {k: v for k, v in v1.items() if k in ("name", "description", "criteria")}
    edited["criteria"] = [c for c in v1["criteria"] if c["key"] != "literacy"]  # type: ignore[attr-defined]
    edited["scale"] = {"min": 0, "max": 10, "step": 0.5}
    status, v2 = await api.call(
        "POST",
        f"/api/rooms/{les.room_id}/rubrics",
        token=les.host.token,
        json={"template": "general", "rubric": edited},
    )
    assert status == 201 and v2["version"] == 2 and len(v2["criteria"]) == 6

    status, agg = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/aggregate", token=les.host.token
    )
    assert (
        agg["rubric_version"] == 2
        and agg["aggregate"]["count"] == 0
        and agg["other_versions"] == {v1["id"]: 3}
    )
    status, old = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/aggregate?rubric_id={v1['id']}", token=les.host.token
    )
    assert old["aggregate"]["count"] == 3 and math.isclose(old["aggregate"]["weighted_total"], 3.95)

    # a new submission against v2 uses v2's scale (9.5 is fine there, out of range in v1)
    sheet = {c["key"]: 9.5 for c in v2["criteria"]}
    status, out = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
        token=les.observers[0].token,
        json=sheet_body(sheet),
    )
    assert status == 200 and out["rubric_id"] == v2["id"]
    status, err = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
        token=les.observers[1].token,
        json=sheet_body(sheet, v1["id"]),
    )
    assert (
        status == 422
        and err["error"]["code"] == "score_out_of_range"
        and "教学目标" in err["error"]["message"]
    )
    status, versions = await api.call(
        "GET", f"/api/rooms/{les.room_id}/rubrics", token=les.observers[0].token
    )
    assert [v["version"] for v in versions] == [1, 2]
