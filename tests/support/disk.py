"""A small disk of its own for fault tests: a tmpfs mounted over a directory, and a file that fills it."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(path: Path, size_mib: int) -> Iterator[Path]:
    """``path`` becomes a ``size_mib`` MiB filesystem for the block (needs root: ``mount -t tmpfs``)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(path)], check=True
    )
    try:
        yield path
    finally:
        # lazily: a file a failed test left open must not leave the mount (and the test's tmp dir) behind
        subprocess.run(["umount", "--lazy", str(path)], check=False)


def fill(folder: Path, name: str = "filler") -> Path:
    """Write ``folder/name`` until the filesystem has no space left; delete the file to give it back."""
    path = folder / name
    block = b"\0" * (256 * 1024)
    with open(path, "wb", buffering=0) as fh:
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        # the last partial blocks: whatever fits of a smaller write
        for size in (4096, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return path
