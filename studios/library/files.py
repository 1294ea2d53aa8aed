"""Library files on disk: what an upload really is (read from its bytes), and writing it under
``DATA_DIR/library`` durably, streamed, within the size limit."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from server.errors import StorageFull, TooLarge, UnsupportedMediaType, disk_full

log = logging.getLogger(__name__)

SNIFF_BYTES = 8192  # enough for every signature below; OOXML is told apart by its zip directory instead


@dataclass(frozen=True)
class FileType:
    """An accepted upload type: its MIME type, the extensions its name may have, the one stored."""

    mime: str
    extensions: tuple[str, ...]
    label: str

    @property
    def ext(self) -> str:
        return self.extensions[0]


PDF = FileType("application/pdf", ("pdf",), "PDF")
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",), "PPTX"
)
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "DOCX")
PNG = FileType("image/png", ("png",), "PNG")
JPEG = FileType("image/jpeg", ("jpg", "jpeg"), "JPEG")
GIF = FileType("image/gif", ("gif",), "GIF")
WEBP = FileType("image/webp", ("webp",), "WebP")
UPLOAD_TYPES = (PDF, PPTX, DOCX, PNG, JPEG, GIF, WEBP)
ACCEPTED = ", ".join(t.label for t in UPLOAD_TYPES)

# Which part of an OOXML package says what it is (the zip's main document part)
_OOXML_PARTS = {"ppt/presentation.xml": PPTX, "word/document.xml": DOCX}


def sniff(head: bytes, path: Path | None = None) -> FileType | None:
    """The type ``head`` (the file's first bytes) shows; for a zip, the package's parts decide (read from
    ``path``'s central directory: names only, nothing is decompressed). None: not an accepted type."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04") and path is not None:
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        for part, kind in _OOXML_PARTS.items():
            if part in names:
                return kind
    return None


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def check_type(filename: str, head: bytes, path: Path) -> FileType:
    """The upload's type from its content; 415 ``unsupported_type`` when it is none we accept, 415
    ``type_mismatch`` when its name's extension says something else (a renamed file)."""
    found = sniff(head, path)
    if found is None:
        raise UnsupportedMediaType(
            f"this file is not one the library accepts ({ACCEPTED}), whatever its name says",
            code="unsupported_type", details={"accepted": [t.label for t in UPLOAD_TYPES]},
        )  # fmt: skip
    ext = extension_of(filename)
    if ext not in found.extensions:
        raise UnsupportedMediaType(
            f"the file's content is {found.label} but its name ends in .{ext or '(nothing)'}",
            code="type_mismatch", details={"content": found.label, "extension": ext},
        )  # fmt: skip
    return found


def library_dir(data_dir: Path) -> Path:
    return data_dir / "library"


def new_stored_name(ext: str) -> str:
    return f"{secrets.token_hex(12)}.{ext}"


@dataclass
class Received:
    """An upload written to a ``.part`` file, not yet checked; ``commit`` names it, ``discard`` removes it."""

    part: Path
    size: int
    head: bytes

    async def commit(self, stored: str) -> None:
        await asyncio.to_thread(self.part.rename, self.part.parent / stored)

    async def discard(self) -> None:
        await asyncio.to_thread(self.part.unlink, missing_ok=True)


async def receive(request: web.Request, data_dir: Path, limit: int) -> Received:
    """Stream the request body to disk (fsynced), never holding it in memory; 413 ``too_large`` as soon as it
    passes ``limit`` bytes (or when ``Content-Length`` says it will), 507 when the disk is full."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"library files are at most {limit} bytes ({limit // (1024 * 1024)} MB)",
                       details={"limit": limit})  # fmt: skip
    folder = library_dir(data_dir)
    part = folder / f"{secrets.token_hex(12)}.part"
    size = 0
    head = bytearray()
    try:
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        fh = await asyncio.to_thread(open, part, "wb")
        try:
            async for chunk in request.content.iter_chunked(256 * 1024):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"library files are at most {limit} bytes ({limit // (1024 * 1024)} MB)",
                                   details={"limit": limit})  # fmt: skip
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                await asyncio.to_thread(fh.write, chunk)
            await asyncio.to_thread(_sync, fh)
        finally:
            fh.close()
    except OSError as exc:
        part.unlink(missing_ok=True)
        if disk_full(exc):
            log.error("library upload not saved: %s", exc)
            raise StorageFull("the server's disk is full: the file was not saved") from None
        raise
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return Received(part, size, bytes(head))


def _sync(fh: io.BufferedWriter) -> None:
    fh.flush()
    os.fsync(fh.fileno())


async def write_bytes(data_dir: Path, stored: str, data: bytes) -> None:
    """Write a generated file (an exported plan or report) durably under its stored name."""

    def write() -> None:
        folder = library_dir(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (stored + ".part")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                _sync(fh)
            tmp.rename(folder / stored)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if disk_full(exc):
                raise StorageFull("the server's disk is full: the file was not saved") from None
            raise

    await asyncio.to_thread(write)


async def link_in(data_dir: Path, source: Path, stored: str) -> None:
    """Put an existing file (a recording, a voice note) into the library: a hard link (no copy) when the data
    directory is one filesystem, else a copy; either way it survives the room deleting its own."""

    def link() -> None:
        folder = library_dir(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / stored
        try:
            os.link(source, target)
        except OSError:
            import shutil

            tmp = folder / (stored + ".part")
            try:
                shutil.copyfile(source, tmp)
                tmp.rename(target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                if disk_full(exc):
                    raise StorageFull("the server's disk is full: the file was not saved") from None
                raise

    await asyncio.to_thread(link)


async def remove(data_dir: Path, stored: str) -> None:
    await asyncio.to_thread((library_dir(data_dir) / stored).unlink, missing_ok=True)
