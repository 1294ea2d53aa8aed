"""studios.library.files: an upload's type comes from its bytes, and its name must agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import UnsupportedMediaType
from studios.library.files import DOCX, PDF, PNG, PPTX, check_type, sniff
from tests.support.library import ooxml_bytes, pdf_bytes, plain_zip, png_bytes


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    return path


def test_types_are_read_from_the_bytes(tmp_path: Path) -> None:
    assert sniff(pdf_bytes()) is PDF
    assert sniff(png_bytes()) is PNG
    pptx = ooxml_bytes("ppt/presentation.xml")
    assert sniff(pptx, _file(tmp_path, pptx)) is PPTX
    docx = ooxml_bytes("word/document.xml")
    assert sniff(docx, _file(tmp_path, docx)) is DOCX
    zipped = plain_zip()
    assert sniff(zipped, _file(tmp_path, zipped)) is None
    broken = b"PK\x03\x04" + b"\x00" * 100
    assert sniff(broken, _file(tmp_path, broken)) is None
    assert sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None


def test_the_name_must_agree_with_the_content(tmp_path: Path) -> None:
    data = png_bytes()
    path = _file(tmp_path, data)
    assert check_type("板书.PNG", data, path) is PNG
    with pytest.raises(UnsupportedMediaType) as mismatch:
        check_type("板书.jpg", data, path)
    assert mismatch.value.code == "type_mismatch" and "PNG" in mismatch.value.message
    with pytest.raises(UnsupportedMediaType) as unknown:
        check_type("a.pdf", b"hello", _file(tmp_path, b"hello"))
    assert unknown.value.code == "unsupported_type"
