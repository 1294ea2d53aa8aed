"""Per-viewer temporal layers: which frames go out, and the layer a viewer's RTCP earns it."""

from __future__ import annotations

from media.layers import CLIMB_AFTER, MAX_CLIMB_AFTER, Adapter, LayerSelector

# one L1T3 group of four frames: TID pattern 0 2 1 2; the first layer-1 and layer-2 frames are syncs
L1T3 = [(0, False), (2, True), (1, True), (2, False), (0, False), (2, False), (1, False), (2, False)]


def sent(selector: LayerSelector, frames: list[tuple[int, bool]], keyframe_first: bool = False) -> list[int]:
    return [
        tid for i, (tid, sync) in enumerate(frames) if selector.admit(tid, keyframe_first and i == 0, sync)
    ]


def test_every_layer_by_default_and_only_layer_0_when_targeted() -> None:
    selector = LayerSelector()
    assert sent(selector, L1T3) == [0, 2, 1, 2, 0, 2, 1, 2]
    selector.set_target(0)  # down: at once, at the next frame
    assert sent(selector, L1T3) == [0, 0] and selector.switches == 1


def test_up_only_at_a_layer_sync_one_layer_at_a_time() -> None:
    selector = LayerSelector(target=0)
    selector.set_target(2)
    # the layer-2 sync comes before any layer 1: not yet; layer 1's sync opens it; later layer-2 frames are
    # not syncs, so layer 2 waits for the next group's sync
    assert sent(selector, L1T3) == [0, 1, 0, 1]
    assert selector.current == 1
    assert sent(selector, L1T3) == [0, 2, 1, 2, 0, 2, 1, 2] and selector.current == 2
    assert selector.switches == 2


def test_a_keyframe_takes_the_viewer_straight_to_its_target() -> None:
    selector = LayerSelector(target=0)
    selector.set_target(2)
    no_sync = [(tid, False) for tid, _ in L1T3]
    assert sent(selector, no_sync) == [0, 0]  # nowhere to switch up
    assert sent(selector, no_sync, keyframe_first=True) == [0, 2, 1, 2, 0, 2, 1, 2]


def test_frames_of_a_single_layer_source_always_pass() -> None:
    selector = LayerSelector(target=0)
    assert all(selector.admit(None, False, False) for _ in range(3))


def test_adapter_steps_down_on_loss_and_climbs_only_after_clean_seconds() -> None:
    adapter = Adapter(now=0.0)
    assert adapter.report(0.15, 0.05, 1.0) == 1
    assert adapter.report(0.2, 0.05, 2.0) == 0
    assert adapter.report(0.3, 0.05, 3.0) == 0 and adapter.steps_down == 2
    assert adapter.report(0.0, 0.05, 4.0) == 0
    assert adapter.report(0.05, 0.05, 4.0 + CLIMB_AFTER) == 0  # some loss: the clean time restarts
    assert adapter.report(0.0, 0.05, 4.0 + 2 * CLIMB_AFTER - 0.1) == 0
    assert adapter.report(0.0, 0.05, 4.0 + 2 * CLIMB_AFTER) == 1
    assert adapter.report(0.0, 0.05, 4.0 + 2.5 * CLIMB_AFTER) == 1  # each layer earns its own time
    assert adapter.report(0.0, 0.05, 4.0 + 3 * CLIMB_AFTER) == 2
    assert adapter.report(0.0, 0.05, 4.0 + 9 * CLIMB_AFTER) == 2 and adapter.steps_up == 2
    assert (adapter.loss, adapter.rtt) == (0.0, 0.05)


def test_a_climb_that_fails_at_once_doubles_the_wait_for_that_layer_until_one_holds() -> None:
    adapter = Adapter(now=0.0)
    adapter.report(0.3, None, 0.0)  # down to layer 1
    t = CLIMB_AFTER
    assert adapter.report(0.0, None, t) == 2  # climbs...
    assert adapter.report(0.2, None, t + 1) == 1  # ...and fails within CLIMB_AFTER
    assert adapter.climb_after == [CLIMB_AFTER, CLIMB_AFTER, 2 * CLIMB_AFTER]
    assert adapter.report(0.0, None, t + 1 + CLIMB_AFTER) == 1  # not yet: twice as long now
    t += 1 + 2 * CLIMB_AFTER
    assert adapter.report(0.0, None, t) == 2
    assert adapter.report(0.3, None, t + 2) == 1  # fails again: four times
    assert adapter.climb_after[2] == 4 * CLIMB_AFTER
    t += 2 + 4 * CLIMB_AFTER
    assert adapter.report(0.0, None, t) == 2
    assert adapter.report(0.0, None, t + CLIMB_AFTER) == 2  # this one holds: back to the short wait
    assert adapter.climb_after[2] == CLIMB_AFTER
    assert (
        adapter.report(0.3, None, t + 3 * CLIMB_AFTER) == 1
    )  # a later drop is congestion, not a failed climb
    assert adapter.climb_after[2] == CLIMB_AFTER
    for _ in range(10):
        adapter.report(0.0, None, t + 100)  # climbs
        adapter.report(0.3, None, t + 101)  # fails
        t += 200
    assert adapter.climb_after[2] == MAX_CLIMB_AFTER


def test_a_remb_is_kept_for_the_status_and_never_moves_the_layer() -> None:
    adapter = Adapter(now=0.0)
    adapter.receiver_estimate(1_800_000)
    adapter.receiver_estimate(100_000)  # Chromium's estimate behind this relay on an 800 kbit/s cap
    assert (adapter.layer, adapter.remb, adapter.steps_down) == (2, 100_000, 0)


def test_nacks_for_over_a_tenth_of_the_packets_sent_in_half_a_second_step_down() -> None:
    adapter = Adapter(now=0.0)
    assert adapter.nacks(3, 1000, 10.0) == 2  # the window starts
    assert adapter.nacks(4, 1040, 10.3) == 2  # 7 so far
    assert adapter.nacks(1, 1100, 10.5) == 2  # 7 of 100 sent: a few losses, repaired by retransmission
    assert adapter.nacks(20, 1150, 10.6) == 2
    assert adapter.nacks(2, 1200, 11.1) == 1  # 21 of 100: congestion
    assert adapter.clean_since == 11.1 and adapter.steps_down == 1
    assert adapter.nacks(1, 1500, 13.0) == 1  # a window of 2 NACKs over 300 packets: nothing
