"""EncodedSource / Subscription: fan-out, bounded queues, keyframe throttling, republish rebase."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import pytest

from media.source import EncodedSource, SubscriptionClosed, make_packet

TB = Fraction(1, 90000)


def frame(pts: int) -> bytes:
    return bytes([pts % 256]) * 10


async def test_subscribers_share_frames_and_video_starts_at_a_keyframe() -> None:
    src = EncodedSource("video", keyframe_interval=10)
    asked: list[int] = []

    async def requester() -> None:
        asked.append(1)

    src.attach("video/VP8", requester)
    sub = src.subscribe()
    await asyncio.sleep(0)
    assert asked == [1]  # a new video subscriber asks for a keyframe
    src.push(make_packet(b"delta", 0, TB), keyframe=False)
    src.push(make_packet(b"key", 3000, TB), keyframe=True)
    src.push(make_packet(b"delta2", 6000, TB), keyframe=False)
    got = [await sub.get(), await sub.get()]
    assert [bytes(f.packet) for f in got] == [b"key", b"delta2"]
    assert got[0].keyframe and got[0].packet.time_base == TB and got[0].packet.pts == 3000
    assert sub.dropped == 1


async def test_keyframe_requests_are_throttled_and_coalesced() -> None:
    src = EncodedSource("video", keyframe_interval=0.2)
    sent: list[float] = []
    loop = asyncio.get_running_loop()

    async def requester() -> None:
        sent.append(loop.time())

    src.attach("video/VP8", requester)
    for _ in range(10):
        src.request_keyframe()
    await asyncio.sleep(0.05)
    assert len(sent) == 1  # one at once, the other nine coalesced into one pending request
    await asyncio.sleep(0.3)
    assert len(sent) == 2
    assert sent[1] - sent[0] >= 0.19
    assert src.keyframe_requests == 2
    src.close()


async def test_overflow_drops_until_next_keyframe_and_asks_for_one() -> None:
    src = EncodedSource("video", keyframe_interval=0)
    asked: list[int] = []

    async def requester() -> None:
        asked.append(1)

    src.attach("video/VP8", requester)
    slow = src.subscribe(maxsize=3)
    fast = src.subscribe(maxsize=100)
    src.push(make_packet(b"k", 0, TB), keyframe=True)
    for i in range(1, 6):
        src.push(make_packet(frame(i), i * 3000, TB), keyframe=False)
    await asyncio.sleep(0)
    assert len(asked) == 3  # two subscribers joined, one overflow
    assert len(slow.frames) == 0 and slow.waiting_keyframe
    assert len(fast.frames) == 6  # the other subscriber is not affected
    src.push(make_packet(b"k2", 18000, TB), keyframe=True)
    assert bytes((await slow.get()).packet) == b"k2"


async def test_republish_rebases_timestamps_and_close_ends_readers() -> None:
    src = EncodedSource("audio")
    sub = src.subscribe()
    src.attach("audio/opus", None)
    src.push(make_packet(b"a", 0, Fraction(1, 48000)), True)
    src.push(make_packet(b"b", 960, Fraction(1, 48000)), True)
    src.detach()
    src.attach("audio/opus", None)  # a new publisher starts its clock at 0 again
    src.push(make_packet(b"c", 0, Fraction(1, 48000)), True)
    pts = [(await sub.get()).packet.pts for _ in range(3)]
    assert pts == [0, 960, 1920]
    waiter = asyncio.ensure_future(sub.get())
    await asyncio.sleep(0)
    src.close()
    with pytest.raises(SubscriptionClosed):
        await waiter
    assert src.subscribers == set()


def test_kind_is_checked() -> None:
    with pytest.raises(ValueError):
        EncodedSource("data")
