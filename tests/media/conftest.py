from __future__ import annotations

from collections.abc import Iterator

import pytest

from media import aiortc_hooks


@pytest.fixture(autouse=True)
def loopback_ice() -> Iterator[None]:
    """Every peer in these tests (server side and clients) uses 127.0.0.1 host candidates only."""
    aiortc_hooks.use_loopback_candidates(True)
    yield
    aiortc_hooks.use_loopback_candidates(False)
