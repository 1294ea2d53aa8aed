"""What clients see of the server's media sockets: the announced address (1:1 NAT) in the answers'
candidates, and every socket inside the configured UDP port range while real peers connect."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import socketio
from aiortc.sdp import SessionDescription

from rooms.permissions import Role
from tests.media.support import Person, make_venue, person, publish, room_with_host, wait_for, watch
from tests.support.api import Api
from tests.support.coturn import free_port
from tests.support.server import ServerProcess, make_settings, running_server


def candidates(sdp: str) -> list[tuple[str, int, str]]:
    """``(address, port, type)`` of every candidate in every media section."""
    return [(c.ip, c.port, c.type) for m in SessionDescription.parse(sdp).media for c in m.ice_candidates]


async def test_answers_carry_the_announced_address(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "var", media_ice_loopback=True, media_announced_address="203.0.113.10"
    )
    async with running_server(settings) as server, aiohttp.ClientSession() as http:
        api = Api(http, server.url)
        room_id, host = await room_with_host(server, api)
        venue = await make_venue(server, room_id, host.user_id)
        publication = await publish(host, room_id, venue_id=venue)
        observer = await person(server, api, room_id, Role.OBSERVER)
        viewer, reply = await watch(observer, room_id, f"venue:{venue}")
        for answer in (publication.reply["sdp"], reply["sdp"]):
            found = candidates(answer)
            assert found and {(a, t) for a, _, t in found} == {("203.0.113.10", "host")}, found
            assert "127.0.0.1" not in answer
        await viewer.close()
        await publication.pc.close()
        for p in (host, observer):
            await p.sio.disconnect()


async def test_server_media_sockets_bind_inside_the_port_range(tmp_path: Path) -> None:
    low = min(free_port(), 65535 - 15)
    ports = (low, low + 15)
    srv = ServerProcess(
        tmp_path / "var",
        env={"MOKE_MEDIA_ICE_LOOPBACK": "1", "MOKE_MEDIA_UDP_PORTS": f"{ports[0]}-{ports[1]}"},
    )
    await srv.start()
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(http, srv.url)
            reg = await api.register()
            token = reg["token"]
            status, room = await api.call(
                "POST", "/api/rooms", token=token, json={"title": "网络展示交流", "kind": "showcase"}
            )
            assert status == 201, room
            status, venue = await api.call(
                "POST",
                f"/api/rooms/{room['id']}/venues",
                token=token,
                json={"name": "三小", "presenter_id": reg["user"]["id"]},
            )
            assert status == 201, venue
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(srv.url, auth={"token": token}, transports=["websocket"])
            host = Person(reg["user"]["id"], token, client)
            publication = await publish(host, room["id"], venue_id=venue["id"])
            viewer, reply = await watch(host, room["id"], f"venue:{venue['id']}")
            await wait_for(lambda: len(viewer.counters) >= 10, timeout=30)  # media flows through them
            for answer in (publication.reply["sdp"], reply["sdp"]):
                found = candidates(answer)
                assert found and all(ports[0] <= port <= ports[1] for _, port, _ in found), (ports, found)
            await viewer.close()
            await publication.pc.close()
            await client.disconnect()
    except BaseException:
        srv.kill()  # a failure above may leave peers open: do not wait for them
        raise
    assert srv.terminate() == 0
