"""server.api: route tables, body validation with field errors, JSON responses (pure and one real app)."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, Field

from server.api import ApiRoutes, json_response, read_json, validate
from server.errors import MokeError, ValidationError, error_body
from server.openapi import build_openapi
from tests.support.server import serving


class LessonIn(BaseModel):
    title: str = Field(min_length=1)
    minutes: int = Field(gt=0)


class LessonOut(BaseModel):
    title: str
    minutes: int


def test_validate_names_every_bad_field() -> None:
    assert validate(LessonIn, {"title": "秋天的雨", "minutes": 40}) == LessonIn(title="秋天的雨", minutes=40)
    with pytest.raises(ValidationError) as caught:
        validate(LessonIn, {"title": "", "minutes": "x"})
    err = caught.value
    assert (err.status, err.code) == (422, "validation")
    assert [d["field"] for d in err.details] == ["title", "minutes"]
    assert err.message.startswith("title: ")
    with pytest.raises(ValidationError, match=r"^body: "):
        validate(LessonIn, ["not", "an", "object"])


def test_json_responses_keep_chinese_readable_and_dump_models() -> None:
    one = json_response(LessonOut(title="秋天的雨", minutes=40), status=201)
    assert one.status == 201 and one.text == '{"title":"秋天的雨","minutes":40}'
    many = json_response([LessonOut(title="甲", minutes=1), {"raw": True}])
    assert json.loads(many.text or "") == [{"title": "甲", "minutes": 1}, {"raw": True}]


def test_a_table_collects_documented_routes() -> None:
    routes = ApiRoutes("lessons")

    @routes.route("post", "/api/lessons/{room_id}", summary="Add a lesson", body=LessonIn, response=LessonOut,
                  status=201, query={"dry": "only check"})  # fmt: skip
    async def add(request: web.Request) -> web.Response:
        raise NotImplementedError

    (spec,) = list(routes)
    assert (spec.method, spec.path, spec.tag, spec.status, spec.auth) == (
        "POST",
        "/api/lessons/{room_id}",
        "lessons",
        201,
        True,
    )
    assert spec.handler is add and spec.query == {"dry": "only check"}
    op = build_openapi([routes], version="t")["paths"]["/api/lessons/{room_id}"]["post"]
    assert op["operationId"] == "add" and op["security"] == [{"bearer": []}]
    assert [p["name"] for p in op["parameters"]] == ["room_id", "dry"]


async def test_installed_routes_read_and_answer_json_on_a_real_server() -> None:
    routes = ApiRoutes("lessons")

    @routes.route("POST", "/lessons", summary="Echo a lesson", body=LessonIn, response=LessonOut, auth=False)
    async def echo(request: web.Request) -> web.Response:
        try:
            lesson = await read_json(request, LessonIn)
        except MokeError as exc:
            return web.json_response(error_body(exc.code, exc.message, exc.details), status=exc.status)
        return json_response(LessonOut(title=lesson.title, minutes=lesson.minutes))

    app = web.Application()
    routes.install(app)
    async with serving(app) as address:
        async with aiohttp.ClientSession(f"http://{address}") as http:
            async with http.post("/lessons", json={"title": "秋天的雨", "minutes": 40}) as ok:
                assert ok.status == 200 and await ok.json() == {"title": "秋天的雨", "minutes": 40}
            async with http.post(
                "/lessons", data=b"{not json", headers={"Content-Type": "application/json"}
            ) as bad:
                assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_json"
            async with http.post("/lessons", json={"title": "x"}) as missing:
                body = await missing.json()
                assert missing.status == 422 and body["error"]["details"][0]["field"] == "minutes"
