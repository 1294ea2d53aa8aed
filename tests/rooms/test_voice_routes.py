"""Voice notes over REST: upload (declared type, size, real duration), shown in chat, played back; floods
and hostile bodies refused without holding anything the rest of the server needs."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from rooms.api import VOICE_CHECKER
from tests.support.api import Api
from tests.support.audio import SDP, clip, ffconcat, trickle, upload, wav
from tests.support.disk import fill, small_disk
from tests.support.rooms import Client, create_room, member
from tests.support.server import make_settings, running_server


async def test_voice_note_round_trip_and_checks(tmp_path: Path, api: Api) -> None:
    settings = make_settings(tmp_path / "v", rooms_voice_max_seconds=3.0, rooms_voice_max_bytes=200_000)
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"], kind="live"))["id"]
        observer = await member(api, host["token"], rid, "observer")
        listener = await Client(srv.url, observer["token"]).connect()
        try:
            await listener.join(rid)
            data = clip(1.5)
            status, msg = await upload(api, host["token"], rid, data, "audio/ogg", "v1")
            assert status == 201 and msg["kind"] == "voice" and 1.3 < msg["voice_duration"] < 1.7
            heard = await listener.wait_for("chat:message", lambda m: m["kind"] == "voice")
            assert heard["voice_id"] == msg["voice_id"]
            status, again = await upload(api, host["token"], rid, data, "audio/ogg", "v1")
            assert status == 200 and again["id"] == msg["id"]  # a retried upload is not a second note
            # replay later as an <audio> element does: a short-lived URL token for this one path in ?t=
            path = f"/api/voice/{msg['voice_id']}"
            status, url = await api.call(
                "POST", "/api/url-token", token=observer["token"], json={"path": path}
            )
            assert status == 200 and 60 <= url["expires_in"] <= 300, url
            async with api.http.get(f"{srv.url}{path}?t={url['token']}") as resp:
                assert resp.status == 200 and resp.content_type == "audio/ogg" and await resp.read() == data
            # the session token itself is refused in the URL, and the URL token opens nothing else
            async with api.http.get(f"{srv.url}{path}?token={observer['token']}") as resp:
                assert resp.status == 401 and (await resp.json())["error"]["code"] == "token_in_url"
            status, err = await api.call("GET", "/api/auth/me", token=url["token"])
            assert status == 401 and err["error"]["code"] == "url_token_scope"
            async with api.http.get(f"{srv.url}/api/auth/me?t={url['token']}") as resp:
                assert resp.status == 401 and (await resp.json())["error"]["code"] == "url_token_scope"
            status, err = await api.call("POST", "/api/url-token", token=observer["token"],
                                         json={"path": f"/api/rooms/{rid}"})  # fmt: skip
            assert status == 422 and err["error"]["code"] == "validation", err
            async with api.http.get(f"{srv.url}/api/voice/{msg['voice_id']}",
                                    headers={"Range": "bytes=0-9", "Authorization": f"Bearer {host['token']}"}) as resp:  # fmt: skip
                assert resp.status == 206 and len(await resp.read()) == 10
            stranger = await api.register()
            status, _ = await api.call("GET", f"/api/voice/{msg['voice_id']}", token=stranger["token"])
            assert status == 403
            status, page = await api.call("GET", f"/api/rooms/{rid}/chat", token=observer["token"])
            assert page["messages"][-1]["voice_duration"] == msg["voice_duration"]
            # too long (measured from the packets), wrong type, not audio, too big
            status, err = await upload(api, host["token"], rid, clip(4.0), "audio/ogg", "v2")
            assert status == 422 and err["error"]["code"] == "too_long"
            status, err = await upload(api, host["token"], rid, data, "image/png", "v3")
            assert status == 415 and err["error"]["code"] == "unsupported_type"
            status, err = await upload(api, host["token"], rid, b"OggS" + b"\0" * 5000, "audio/ogg", "v4")
            assert status == 422 and err["error"]["code"] == "not_audio"
            status, err = await upload(api, host["token"], rid, b"\0" * 300_000, "audio/ogg", "v5")
            assert status == 413
            status, err = await upload(api, host["token"], rid, data, "audio/ogg", "")
            assert status == 422
            files = list((settings.data_dir / "voice").iterdir())
            assert [f.name for f in files] == [msg["voice_id"] + ".ogg"]  # rejected uploads left nothing
        finally:
            await listener.close()


async def test_a_body_that_arrives_in_pieces_is_read_whole_up_to_the_limit(tmp_path: Path, api: Api) -> None:
    settings = make_settings(tmp_path / "v")  # defaults: 2 MiB, 120 s
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"], kind="live"))["id"]
        minute = wav(60.0)
        assert len(minute) == 960_044
        status, msg = await upload(api, host["token"], rid, trickle(minute), "audio/wav", "w1")
        assert status == 201, msg
        assert 59.9 < msg["voice_duration"] < 60.1
        stored = settings.data_dir / "voice" / f"{msg['voice_id']}.wav"
        assert stored.read_bytes() == minute
        # 130 s fits in 2 MiB but is over 120 s: refused whole, not accepted truncated
        status, err = await upload(api, host["token"], rid, trickle(wav(130.0)), "audio/wav", "w2")
        assert status == 422 and err["error"]["code"] == "too_long"
        status, err = await upload(api, host["token"], rid, trickle(wav(200.0)), "audio/wav", "w3")
        assert status == 413 and err["error"]["code"] == "too_large"
        assert [f.name for f in (settings.data_dir / "voice").iterdir()] == [stored.name]


async def test_a_body_is_opened_only_as_the_container_its_type_declares(tmp_path: Path, api: Api) -> None:
    settings = make_settings(tmp_path / "v")
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"], kind="live"))["id"]
        guest = await member(api, host["token"], rid, "observer", as_guest=True)
        # probed, SDP held a thread for 20 s waiting for RTP; read as the MP3 it claims to be, it is no audio
        status, err = await upload(api, guest["token"], rid, SDP, "audio/mpeg", "sdp")
        assert status == 422 and err["error"]["code"] == "not_audio" and "mp3" in err["error"]["message"]
        status, err = await upload(api, guest["token"], rid, ffconcat("README.md"), "audio/ogg", "concat")
        assert status == 422 and err["error"]["code"] == "not_audio" and "ogg" in err["error"]["message"]
        for ctype in ("application/sdp", "application/octet-stream", "audio/x-mpegurl", "text/plain"):
            status, err = await upload(api, guest["token"], rid, SDP, ctype, ctype.replace("/", "-"))
            assert status == 415 and err["error"]["code"] == "unsupported_type", (ctype, err)
        # a browser's MediaRecorder type carries codecs; the note is stored and served under its base type
        status, msg = await upload(api, guest["token"], rid, clip(1.0, "webm"), "audio/webm;codecs=opus", "w")
        assert status == 201, msg
        path = f"/api/voice/{msg['voice_id']}"
        status, url = await api.call("POST", "/api/url-token", token=guest["token"], json={"path": path})
        async with api.http.get(f"{srv.url}{path}?t={url['token']}") as resp:
            assert resp.status == 200 and resp.content_type == "audio/webm"


async def test_the_chat_rate_is_checked_before_the_body_is_read(tmp_path: Path, api: Api) -> None:
    settings = make_settings(tmp_path / "v", rooms_chat_rate=2, rooms_voice_max_bytes=100_000)
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"], kind="live"))["id"]
        guest = await member(api, host["token"], rid, "observer", as_guest=True)
        for n in range(2):
            status, _ = await upload(api, guest["token"], rid, b"not audio", "audio/ogg", f"g{n}")
            assert status == 422
        # over the rate: refused as such, whatever the body holds (never read, never decoded)
        for body, name in ((b"not audio", "bad"), (b"\0" * 200_000, "big"), (clip(0.5), "good")):
            status, err = await upload(api, guest["token"], rid, body, "audio/ogg", name)
            assert status == 429 and err["error"]["code"] == "chat_rate", (name, err)
        assert srv.app[VOICE_CHECKER].pool.admitted == 0


async def test_a_flood_of_uploads_fills_only_the_voice_pool_and_is_refused(tmp_path: Path, api: Api) -> None:
    """24 uploads from one guest while every voice thread is busy: each is answered 429 ``voice_busy`` at
    once (none waits for a thread), and chat history, text chat and the default executor serve meanwhile."""
    settings = make_settings(tmp_path / "v", rooms_voice_workers=1, rooms_voice_queue=1, rooms_chat_rate=100)
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"], kind="live"))["id"]
        guest = await member(api, host["token"], rid, "observer", as_guest=True)
        pool = srv.app[VOICE_CHECKER].pool
        release = threading.Event()
        holders = [asyncio.ensure_future(pool.run(release.wait)) for _ in range(pool.limit)]
        try:
            while pool.admitted < pool.limit:
                await asyncio.sleep(0.01)
            flood = [upload(api, guest["token"], rid, SDP, "audio/mpeg", f"f{n}") for n in range(24)]
            # the holders are never released before all answers are in: an upload that waited would hang
            answers = await asyncio.wait_for(asyncio.gather(*flood), 60)
            assert {(status, err["error"]["code"]) for status, err in answers} == {(429, "voice_busy")}
            async with api.http.post(f"{srv.url}/api/rooms/{rid}/voice?client_id=h", data=SDP, headers={
                    "Content-Type": "audio/mpeg", "Authorization": f"Bearer {guest['token']}"}) as resp:  # fmt: skip
                assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
            status, _ = await api.call("GET", f"/api/rooms/{rid}/chat", token=guest["token"])
            assert status == 200
            assert await asyncio.to_thread(lambda: "default executor free") == "default executor free"
            chatter = await Client(srv.url, guest["token"]).connect()
            try:
                await chatter.join(rid)
                reply = await chatter.call("chat:send", {"room_id": rid, "client_id": "t1", "text": "还在吗"})
                assert reply["ok"], reply
            finally:
                await chatter.close()
            assert pool.admitted == pool.limit  # nothing the flood sent got in
        finally:
            release.set()
            await asyncio.gather(*holders)
        assert pool.admitted == 0
        status, msg = await upload(api, guest["token"], rid, clip(0.5), "audio/ogg", "after")
        assert status == 201, msg


async def test_a_full_disk_refuses_the_note_clearly_and_leaves_nothing(tmp_path: Path, api: Api) -> None:
    """The data directory fills up: the upload gets 507 ``disk_full``, no part file or chat entry is left,
    text chat goes on, and once space is back the same note is accepted."""
    with small_disk(tmp_path / "data", size_mib=4) as data_dir:
        # the database lives elsewhere (as PostgreSQL would); the data directory holds the voice notes
        settings = make_settings(data_dir, database_url=f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}")
        async with running_server(settings) as srv:
            api.base = srv.url
            host = await api.register()
            rid = (await create_room(api, host["token"], kind="live"))["id"]
            note = wav(10.0)  # 160 kB
            status, first = await upload(api, host["token"], rid, note, "audio/wav", "before")
            assert status == 201, first
            filler = fill(data_dir)
            status, err = await upload(api, host["token"], rid, note, "audio/wav", "full")
            assert status == 507 and err["error"]["code"] == "disk_full", err
            assert sorted(p.name for p in (data_dir / "voice").iterdir()) == [f"{first['voice_id']}.wav"]
            chatter = await Client(srv.url, host["token"]).connect()
            try:
                await chatter.join(rid)
                reply = await chatter.call(
                    "chat:send", {"room_id": rid, "client_id": "t", "text": "磁盘满了吗"}
                )
                assert reply["ok"], reply
            finally:
                await chatter.close()
            status, page = await api.call("GET", f"/api/rooms/{rid}/chat", token=host["token"])
            assert [(m["kind"], m.get("voice_id")) for m in page["messages"]] == [
                ("voice", first["voice_id"]), ("text", None)
            ]  # fmt: skip
            filler.unlink()
            status, again = await upload(api, host["token"], rid, note, "audio/wav", "full")
            assert status == 201, again
            assert (data_dir / "voice" / f"{again['voice_id']}.wav").read_bytes() == note
