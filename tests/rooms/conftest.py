from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Settings
from tests.support.server import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A short presence TTL keeps the ghost-removal tests quick; test_chat checks the chat rate on its own server.
    return make_settings(tmp_path / "var", cluster_node_ttl=1.5, rooms_chat_rate=100)
