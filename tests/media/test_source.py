"""EncodedSource / FrameReader: fan-out, bounded queues, keyframe throttling, republish rebase."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import pytest

from media.source import REASK_MARGIN, EncodedSource, ReaderClosed, make_packet

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


class FakeClock:
    """The event loop's ``time``/``call_later`` with time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], object]) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for timer in [t for t in self.timers if t.when <= self.now and not t.cancelled]:
            self.timers.remove(timer)
            timer.callback()

    @property
    def pending(self) -> list[FakeTimer]:
        return [t for t in self.timers if not t.cancelled]


@dataclass
class FakeTimer:
    when: float
    callback: Callable[[], object]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


def throttled_source() -> tuple[EncodedSource, FakeClock]:
    clock = FakeClock()
    src = EncodedSource("video", keyframe_interval=0.3, clock=clock)
    src.attach("video/VP8", _no_request)
    return src, clock


async def _no_request() -> None:
    return None


async def test_requests_while_one_is_outstanding_are_coalesced_and_sent_when_the_interval_ends() -> None:
    src, clock = throttled_source()
    src.request_keyframe()
    assert src.keyframe_requests == 1  # the first goes out at once
    clock.advance(0.1)
    for _ in range(10):
        src.request_keyframe()  # a cut, a cue, new viewers: no keyframe yet
    assert src.keyframe_requests == 1
    assert [t.when for t in clock.pending] == [pytest.approx(0.3)]  # one, at the end of the interval
    clock.advance(0.2)
    assert src.keyframe_requests == 2  # not lost
    assert clock.pending == []
    src.close()


async def test_a_keyframe_answers_waiting_requests_and_lets_the_next_one_through_at_once() -> None:
    src, clock = throttled_source()
    src.request_keyframe()  # a new viewer of the venue asks...
    clock.advance(0.05)
    src.request_keyframe()  # ...and another, while the first is outstanding
    assert len(clock.pending) == 1
    clock.advance(0.03)
    src.push(make_packet(b"key", 0, TB), keyframe=True)  # the answer: the waiting request is not needed
    assert clock.pending == []
    clock.advance(0.02)  # 100 ms after the last request, well inside the interval
    src.request_keyframe()  # the cut: the last request was answered, so this one is sent now
    assert src.keyframe_requests == 2
    src.push(make_packet(b"delta", 3000, TB), keyframe=False)  # a delta frame answers nothing
    src.request_keyframe()
    assert src.keyframe_requests == 2 and len(clock.pending) == 1
    clock.advance(10)
    assert src.keyframe_requests == 3
    src.close()


async def test_a_request_inside_the_publishers_window_is_asked_again_when_the_window_closes() -> None:
    """libwebrtc ignores a request within 300 ms of the last one it acted on: re-ask from that one."""
    src, clock = throttled_source()
    src.request_keyframe()  # the cue: the publisher acts on it...
    clock.advance(0.04)
    src.push(make_packet(b"key", 0, TB), keyframe=True)  # ...its keyframe answers it
    clock.advance(0.06)
    src.request_keyframe()  # the take, 100 ms after the answered request: sent, but probably ignored
    assert src.keyframe_requests == 2 and src.keyframe_reasks == 0 and src.keyframes_in == 1
    # the re-ask is due when the window of the *answered* request closes (0.3 + margin), not 0.3 after
    # the ignored one (0.4)
    assert [t.when for t in clock.pending] == [pytest.approx(0.3 + REASK_MARGIN)]
    clock.advance(0.1)
    src.request_keyframe()  # a new viewer meanwhile: coalesced into the re-ask
    assert src.keyframe_requests == 2 and len(clock.pending) == 1
    clock.advance(0.2)
    assert (src.keyframe_requests, src.keyframe_reasks) == (3, 1)
    assert clock.pending == []  # the re-ask is outside the window: no further re-ask is planned
    src.push(make_packet(b"key2", 3000, TB), keyframe=True)
    clock.advance(0.1)
    src.request_keyframe()  # 100 ms after the answered re-ask: the window now runs from the re-ask
    assert [t.when for t in clock.pending] == [pytest.approx(clock.now - 0.1 + 0.3 + REASK_MARGIN)]
    src.close()


async def test_a_publisher_that_answers_at_once_cancels_the_re_ask() -> None:
    src, clock = throttled_source()
    src.request_keyframe()
    src.push(make_packet(b"key", 0, TB), keyframe=True)
    clock.advance(0.1)
    src.request_keyframe()  # inside the window...
    assert len(clock.pending) == 1
    src.push(make_packet(b"key2", 3000, TB), keyframe=True)  # ...but answered (aiortc does not throttle)
    assert clock.pending == []
    clock.advance(1)
    assert (src.keyframe_requests, src.keyframe_reasks) == (2, 0)
    src.attach("video/VP8", _no_request)  # a new publisher has acted on none of our requests
    clock.advance(0.01)
    src.request_keyframe()
    src.push(make_packet(b"key3", 6000, TB), keyframe=True)
    src.request_keyframe()
    assert len(clock.pending) == 1  # its own answered request opened a window
    src.attach("video/VP8", _no_request)
    src.request_keyframe()
    assert clock.pending == []  # the next publisher owes nothing: no re-ask
    src.close()


async def test_a_throttled_request_is_dropped_when_the_publisher_goes_away() -> None:
    src, clock = throttled_source()
    src.request_keyframe()
    src.request_keyframe()
    assert len(clock.pending) == 1
    src.detach()
    assert clock.pending == []
    clock.advance(1)
    assert src.keyframe_requests == 1


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
    with pytest.raises(ReaderClosed):
        await waiter
    assert src.subscribers == set()


def test_kind_is_checked() -> None:
    with pytest.raises(ValueError):
        EncodedSource("data")
