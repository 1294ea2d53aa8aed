"""The observation charts are real pictures: the S-T curve ends where the counts say, the Rt–Ch point sits
at (Rt, Ch), and an event instrument gets a bar per code."""

from __future__ import annotations

import io

from PIL import Image

from evaluation.observation import chart
from evaluation.observation.analysis import analyse
from evaluation.observation.instruments import instrument
from evaluation.observation.samples import ObserverResult, RunAnalysis, RunOut


def _analysis(key: str, sequences: list[list[str]], combined: list[str]) -> RunAnalysis:
    spec = instrument(key)
    run = RunOut(id="r1", room_id="x", segment_id="s", instrument=key, interval_seconds=spec.interval_seconds,
                 started_at=0, server_now=0)  # fmt: skip
    observers = [
        ObserverResult(observer=f"观察者 {i}", result=analyse(spec, s)) for i, s in enumerate(sequences)
    ]
    return RunAnalysis(run=run, instrument=spec, observers=observers, combined=analyse(spec, combined),
                       agreement=90.0, anonymous=False)  # fmt: skip


def _image(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()
    return img.convert("RGB")


def test_st_curve_and_rt_ch_point() -> None:
    seq = list("TTTSSTTSSSTT")
    a = _analysis("st", [seq, list("TTSSSTTSSSTS")], seq)
    out = chart.render(a.instrument, a)
    assert set(out) == {"curve", "diagram"}
    diagram = _image(out["diagram"])
    assert diagram.size == (chart.SIZE, chart.SIZE)
    # the combined point (Rt 7/12, Ch 4/12) is drawn in the point colour at its place on the plot
    left, right = chart.MARGIN_LEFT, chart.SIZE - chart.MARGIN_RIGHT
    top, bottom = chart.MARGIN_TOP, chart.SIZE - chart.MARGIN_BOTTOM
    px = left + 7 / 12 * (right - left)
    py = bottom - 4 / 12 * (bottom - top)
    assert diagram.getpixel((round(px), round(py))) == chart.POINT
    # the combined S-T curve ends at (N_T, N_S) = (7, 5) on axes ticked to 8
    curve = _image(out["curve"])
    ex = left + 7 / 8 * (right - left)
    ey = bottom - 5 / 8 * (bottom - top)
    near = [curve.getpixel((round(ex) + dx, round(ey) + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    assert chart.STRONG in near


def test_event_instrument_gets_counts() -> None:
    codes = ["recall", "recall", "higher", "managing"]
    a = _analysis("questions", [codes], codes)
    out = chart.render(a.instrument, a)
    assert set(out) == {"counts"}
    img = _image(out["counts"])
    colors = {img.getpixel((x, y)) for x in range(0, img.width, 4) for y in range(0, img.height, 4)}
    assert (0x4C, 0x78, 0xA8) in colors and (0xF5, 0x85, 0x18) in colors  # 记忆性 and 高阶 bars
