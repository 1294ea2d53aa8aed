"""The one CJK font lookup: the program slate (``media/slate.py``) and the report charts
(``evaluation/charts.py``) draw Chinese with the face found here.

Debian's ``fonts-noto-cjk`` ships Noto Sans CJK as a font *collection* (``.ttc``) whose first face is the
Japanese one; Simplified Chinese glyph shapes differ (骨, 门, 直), so the face named ``… SC`` is picked out
of the collection by name. Without any CJK font the callers fall back (logged): the slate uses Pillow's
own font and the charts label criteria by key, so no glyph is drawn as a box.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported by the first drawing (a chart, the slate), not at start-up
    from PIL import ImageFont

log = logging.getLogger(__name__)

# Debian's packages, most preferred first: fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei.
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
MAX_FACES = 32  # a collection holds a handful of faces; stop probing well before anything odd


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: ``index`` is its position in a ``.ttc`` collection (0 for a single font)."""

    path: str
    index: int
    name: str


def _faces(path: str) -> list[FontFace]:
    from PIL import ImageFont

    faces = []
    for index in range(MAX_FACES):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:  # past the last face of the collection, or not a font
            break
        faces.append(FontFace(path, index, family))
    return faces


def _simplified_first(faces: list[FontFace]) -> FontFace | None:
    for face in faces:
        words = face.name.split()
        if "SC" in words or "CN" in words:
            return face
    return faces[0] if faces else None


def _installed() -> Iterator[str]:
    """Candidate paths that exist, then (only if those fail) any ``*CJK*`` font under the system font folders."""
    yield from (p for p in CANDIDATES if Path(p).is_file())
    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            yield from sorted(
                str(p) for p in Path(folder).rglob("*CJK*") if p.suffix.lower() in (".ttc", ".otf", ".ttf")
            )


@cache
def cjk_font() -> FontFace | None:
    """The installed face Moke draws Chinese with, Simplified Chinese preferred; ``None`` (logged) if none."""
    for path in _installed():
        face = _simplified_first(_faces(path))
        if face is not None:
            log.info("CJK font: %s (%s, face %d)", face.name, face.path, face.index)
            return face
    log.warning("no CJK font found (install fonts-noto-cjk): the slate and report charts cannot draw Chinese")
    return None


def truetype(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The CJK face at ``size`` pixels, or Pillow's built-in font when none is installed."""
    from PIL import ImageFont

    face = cjk_font()
    if face is None:
        return ImageFont.load_default(size)
    # A new font object per call: FreeType faces are not shared between the threads that draw charts.
    return ImageFont.truetype(face.path, size, index=face.index)
