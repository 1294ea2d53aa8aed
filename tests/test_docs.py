"""The README and docs/ name real files: a path in backticks or a relative link that no longer exists fails
here, so moving a module or a test without updating the documents that point at it is caught."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# `server/app.py`, `tests/support/rooms.py`, `deploy/` … (paths at the repository root, in backticks)
CODE_PATH = re.compile(
    r"`((?:server|rooms|collab|media|venues|evaluation|studios|tests|bench|web|deploy|docs)/[\w./-]*)`"
)
# Built, not checked in: the web client (`make web`) and its copy inside a wheel.
BUILT = {"web/dist", "server/web_dist"}
LINK = re.compile(r"\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)")


def test_named_files_exist() -> None:
    missing = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        for path in CODE_PATH.findall(text):
            if "*" in path or "{" in path or "<" in path or path.rstrip("/") in BUILT:
                continue
            if not (ROOT / path.rstrip("/")).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert not missing, f"documents name files that do not exist: {missing}"


def test_relative_links_resolve() -> None:
    broken = [
        f"{doc.relative_to(ROOT)}: {target}"
        for doc in DOCUMENTS
        for target in LINK.findall(doc.read_text(encoding="utf-8"))
        if not (doc.parent / target).exists()
    ]
    assert not broken, f"broken links: {broken}"
