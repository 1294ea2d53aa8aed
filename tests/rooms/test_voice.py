"""Voice notes: upload (type, size, real duration checked with PyAV), shown in chat, played back."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import av

from tests.support.api import Api
from tests.support.rooms import Client, create_room, member
from tests.support.server import make_settings, running_server


def clip(seconds: float, fmt: str = "ogg", codec: str = "libopus") -> bytes:
    """A real encoded tone of ``seconds`` length."""
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        stream = out.add_stream(codec, rate=48000)
        stream.layout = "mono"  # type: ignore[union-attr]
        samples = int(48000 * seconds)
        for start in range(0, samples, 960):
            pcm = [int(8000 * math.sin(2 * math.pi * 440 * (start + i) / 48000)) for i in range(960)]
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(struct.pack(f"<{len(pcm)}h", *pcm))
            frame.sample_rate = 48000
            frame.pts = start
            for packet in stream.encode(frame):  # type: ignore[union-attr]
                out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    return buf.getvalue()


async def upload(api: Api, token: str, rid: str, data: bytes, ctype: str, client_id: str) -> tuple[int, dict]:
    return await api.call(
        "POST", f"/api/rooms/{rid}/voice?client_id={client_id}", token=token, data=data,
        headers={"Content-Type": ctype},
    )  # fmt: skip


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
            # replay later, with the token in the query as an <audio> element sends it
            async with api.http.get(
                f"{srv.url}/api/voice/{msg['voice_id']}?token={observer['token']}"
            ) as resp:
                assert resp.status == 200 and resp.content_type == "audio/ogg" and await resp.read() == data
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
            assert status == 422 and err["error"]["code"] == "unsupported_type"
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


def wav(seconds: float, rate: int = 8000) -> bytes:
    """Silence as 16-bit mono PCM WAV: 60 s at 8 kHz is 960,044 bytes."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(rate * seconds))
    return buf.getvalue()


async def trickle(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The body in pieces that arrive apart, as over a real network (chunked: no Content-Length)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0.005)


async def test_a_body_that_arrives_in_pieces_is_read_whole_up_to_the_limit(tmp_path: Path, api: Api) -> None:
    settings = make_settings(tmp_path / "v")  # defaults: 2 MiB, 120 s
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"], kind="live"))["id"]
        minute = wav(60.0)
        assert len(minute) == 960_044
        status, msg = await upload(api, host["token"], rid, trickle(minute), "audio/wav", "w1")  # type: ignore[arg-type]
        assert status == 201, msg
        assert 59.9 < msg["voice_duration"] < 60.1
        stored = settings.data_dir / "voice" / f"{msg['voice_id']}.wav"
        assert stored.read_bytes() == minute
        # 130 s fits in 2 MiB but is over 120 s: refused whole, not accepted truncated
        status, err = await upload(api, host["token"], rid, trickle(wav(130.0)), "audio/wav", "w2")  # type: ignore[arg-type]
        assert status == 422 and err["error"]["code"] == "too_long"
        status, err = await upload(api, host["token"], rid, trickle(wav(200.0)), "audio/wav", "w3")  # type: ignore[arg-type]
        assert status == 413 and err["error"]["code"] == "too_large"
        assert [f.name for f in (settings.data_dir / "voice").iterdir()] == [stored.name]
