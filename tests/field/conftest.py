"""One reproduced school network for the field tests: ``moke serve`` and coturn in the server namespace,
clients in the school namespace behind the router's NAT (see tests/support/netns.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.netns import SERVER_IP, SchoolNetwork, school_network
from tests.support.server import ServerProcess


@dataclass
class Deployment:
    net: SchoolNetwork
    url: str  # the server's origin as the school sees it
    directory: Path


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("school")
    with school_network() as net:
        server = ServerProcess(
            directory / "server",
            env={"MOKE_HOST": SERVER_IP, "MOKE_LOG_LEVEL": "INFO"},
            port=8080,
            prefix=net.server.argv(),
        )
        asyncio.run(server.start())
        try:
            yield Deployment(net, server.url, directory)
        finally:
            server.terminate()


@pytest.fixture
def school(deployment: Deployment) -> Iterator[Deployment]:
    """The deployment with the school's firewall open again after each test."""
    deployment.net.firewall("open")
    yield deployment
    deployment.net.firewall("open")
