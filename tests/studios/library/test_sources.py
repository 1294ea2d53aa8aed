"""Items from what a studio room produced: a voice note and a recording join the library as hard links (the
room deleting its copy leaves the item whole), an evaluation report is rendered and its notes are searchable;
each needs the room permission its own route asks for (a report: managing the room's evaluation)."""

from __future__ import annotations

import os
import time

from media.models import Recording
from server.db import now
from tests.support.api import Api
from tests.support.audio import upload as upload_voice
from tests.support.audio import wav
from tests.support.evaluation import SEG, lesson, populate
from tests.support.library import add_studio_room, make_studio
from tests.support.server import RunningServer


async def _add(api: Api, token: str, studio_id: str, **body: object) -> tuple[int, dict[str, object]]:
    status, out = await api.call("POST", f"/api/studios/{studio_id}/library/items", token=token, json=body)
    return status, out


async def test_voice_notes_and_recordings_are_kept_as_links(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    db, data_dir = server.ctx.db, server.ctx.settings.data_dir
    studio_id = await make_studio(db, les.host.user_id, {les.observers[0].user_id: "participant"})
    await add_studio_room(db, studio_id, les.room_id, les.host.user_id)

    status, msg = await upload_voice(api, les.observers[0].token, les.room_id, wav(1.0), "audio/wav", "v1")
    assert status == 201, msg
    status, item = await _add(api, les.observers[0].token, studio_id, kind="voice", room_id=les.room_id,
                              voice_id=msg["voice_id"], tags=["朗读示范"])  # fmt: skip
    assert status == 201, item
    assert (item["kind"], item["content_type"], item["source_id"]) == ("voice", "audio/wav", msg["voice_id"])
    library_files = list((data_dir / "library").iterdir())
    assert len(library_files) == 1 and library_files[0].stat().st_nlink == 2  # one file, two names
    for voice in (data_dir / "voice").iterdir():
        voice.unlink()  # the room's copy goes; the library's stays
    status, body = await api.call("GET", str(item["file_url"]), token=les.observers[0].token)
    assert status == 200 and body[:4] == b"RIFF"

    # a recording: a finished one joins, a running one does not
    rec_dir = data_dir / "recordings" / les.room_id
    rec_dir.mkdir(parents=True)
    (rec_dir / "r1.webm").write_bytes(b"\x1aE\xdf\xa3" + os.urandom(4096))
    async with db.transaction() as session:
        for rec_id, status_ in (("r1", "done"), ("r2", "recording")):
            session.add(Recording(id=rec_id, room_id=les.room_id, source="program", started_at=now(), status=status_,
                                  path=f"recordings/{les.room_id}/r1.webm", content_type="video/webm"))  # fmt: skip
    status, body = await _add(
        api, les.host.token, studio_id, kind="recording", room_id=les.room_id, recording_id="r2"
    )
    assert (status, body["error"]["code"]) == (409, "recording_running")  # type: ignore[index]
    status, rec = await _add(
        api, les.host.token, studio_id, kind="recording", room_id=les.room_id, recording_id="r1"
    )
    assert status == 201 and rec["title"] == "课堂实录：《秋天的雨》试讲研讨" and rec["size"] == 4100, rec
    status, part = await api.call(
        "GET", str(rec["file_url"]), token=les.host.token, headers={"Range": "bytes=0-3"}
    )
    assert status == 206 and part == b"\x1aE\xdf\xa3"


async def test_an_evaluation_report_is_rendered_and_searchable(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    db = server.ctx.db
    studio_id = await make_studio(db, les.host.user_id, {les.observers[0].user_id: "participant"})
    await add_studio_room(db, studio_id, les.room_id, les.host.user_id)
    await populate(les, time.time() - 600)
    status, body = await _add(api, les.observers[0].token, studio_id, kind="report", room_id=les.room_id,
                              segment_id=SEG)  # fmt: skip
    assert status == 403, body  # an observer does not export reports in the room
    status, item = await _add(
        api, les.host.token, studio_id, kind="report", room_id=les.room_id, segment_id=SEG
    )
    assert status == 201, item
    assert item["kind"] == "report" and str(item["content_type"]).endswith("wordprocessingml.document")
    status, page = await api.call("GET", f"/api/studios/{studio_id}/library", token=les.observers[0].token,
                                  params={"q": "朗读指导"})  # fmt: skip
    assert status == 200 and [i["id"] for i in page["items"]] == [item["id"]]
