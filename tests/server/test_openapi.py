"""The OpenAPI document (server/openapi.py, served by server/health.py) describes every REST route."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.support.api import Api
from tests.support.server import RunningServer


async def test_openapi_describes_every_rest_route(api: Api, server: RunningServer) -> None:
    status, doc = await api.call("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for route in server.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method in ("HEAD", "*") or not path:
            continue
        if path.startswith(("/socket.io", "/collab/", "/{tail")):  # WebSocket and static, not REST
            continue
        assert (route.method, path) in documented, f"{route.method} {path} is missing from OpenAPI"


async def test_the_document_is_valid_openapi_with_typed_queries_and_specific_errors(api: Api) -> None:
    status, doc = await api.call("GET", "/api/openapi.json")
    assert status == 200
    validate(doc)  # raises, naming the path, on any violation of the OpenAPI 3.1 schema
    ops = {(m.upper(), p): op for p, methods in doc["paths"].items() for m, op in methods.items()}
    responses = [code for op in ops.values() for code in op["responses"]]
    assert "4XX" not in responses and "default" not in responses

    chat = ops[("GET", "/api/rooms/{room_id}/chat")]
    limit = next(p for p in chat["parameters"] if p["name"] == "limit")
    assert limit["in"] == "query" and limit["schema"]["type"] == "integer"
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["default"] == 50
    export = ops[("GET", "/api/docs/{doc_id}/export")]
    fmt = next(p for p in export["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["md", "html", "docx"]
    replay = ops[("GET", "/api/rooms/{room_id}/replay")]
    assert {p["name"]: p["schema"]["type"] for p in replay["parameters"] if p["in"] == "query"}[
        "origin"
    ] == "number"

    register = ops[("POST", "/api/auth/register")]["responses"]
    assert set(register) == {"201", "400", "409", "413", "422", "429", "503"}  # no token needed: no 401
    assert "`username_taken`" in register["409"]["description"]
    assert "`auth_rate`" in register["429"]["description"]
    room = ops[("GET", "/api/rooms/{room_id}")]["responses"]
    assert set(room) == {"200", "401", "403", "404", "503"}
    assert room["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert set(ops[("GET", "/healthz")]["responses"]) == {"200", "503"}
