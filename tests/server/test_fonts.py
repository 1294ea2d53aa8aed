"""The one CJK font lookup (server/fonts.py) that the slate and the report charts draw Chinese with."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from server import fonts

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def test_the_simplified_chinese_face_of_the_noto_collection_is_picked() -> None:
    if not Path(NOTO).is_file():
        pytest.skip("Debian's fonts-noto-cjk is not installed")
    face = fonts.cjk_font()
    assert face is not None and face.path == NOTO
    assert face.name == "Noto Sans CJK SC" and face.index > 0  # face 0 of the collection is the Japanese one
    font = fonts.truetype(24)
    assert isinstance(font, ImageFont.FreeTypeFont) and font.getname()[0] == "Noto Sans CJK SC"


def test_a_collection_is_searched_by_face_name(tmp_path: Path) -> None:
    faces = [fonts.FontFace("x.ttc", 0, "Noto Sans CJK JP"), fonts.FontFace("x.ttc", 2, "Noto Sans CJK SC")]
    assert fonts._simplified_first(faces) == faces[1]
    assert fonts._simplified_first(faces[:1]) == faces[0]  # no Simplified face: the first one still has hanzi
    assert fonts._simplified_first([]) is None
    assert fonts._faces(str(tmp_path / "missing.ttc")) == []


def test_chinese_renders_as_glyphs_not_boxes() -> None:
    """Two different hanzi give two different images: a font without them draws the same box for both."""
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")

    def ink(text: str) -> bytes:
        img = Image.new("L", (64, 64))
        ImageDraw.Draw(img).text((4, 4), text, font=fonts.truetype(48), fill=255)
        return img.tobytes()

    assert ink("中") != ink("国") and any(ink("中"))


def test_without_a_cjk_font_pillows_own_font_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    font = fonts.truetype(20)
    assert font.getbbox("slate")[2] > 0
