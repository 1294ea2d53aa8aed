"""Declarative REST route tables that also feed the OpenAPI document.

Each package keeps one module-level ``ApiRoutes`` (like aiohttp's ``RouteTableDef``); ``server.app``
installs them all and ``server.openapi`` describes them all, so no route goes undocumented.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from server.errors import BadRequest, MokeError, ValidationError

HandlerFn = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Query:
    """A documented query parameter: what it means and its type (any type pydantic can describe, so
    ``int``, ``bool``, ``Literal["0", "1"]``), e.g. ``query={"limit": Query("page size", int, default=50)}``;
    ``choices`` gives the values of a string the handler checks against its own table (``FORMATS``), so the
    document cannot drift from it. A plain string in ``query=`` is a string parameter with that description."""

    description: str
    type: Any = str
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None


ErrorDoc = type[MokeError] | tuple[type[MokeError], str]
"""An error a route may answer: the exception class, or the class and the specific ``code`` it carries."""


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: HandlerFn
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    response_list: bool = False
    status: int = 200
    auth: bool = True
    query: dict[str, str | Query] = field(default_factory=dict)  # name -> description or Query
    content_type: str | None = None  # for non-JSON responses (exports, media)
    request_content_type: str | None = None  # for non-JSON bodies (uploads)
    # Errors beyond those the declaration implies (401 with auth, 400/413/422 with a body, 403/404 with
    # ids in the path; see server.openapi): conflicts, rate limits, unavailable dependencies...
    errors: tuple[ErrorDoc, ...] = ()


class ApiRoutes:
    """A table of documented routes for one package."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        response_list: bool = False,
        status: int = 200,
        auth: bool = True,
        query: dict[str, str | Query] | None = None,
        content_type: str | None = None,
        request_content_type: str | None = None,
        errors: Sequence[ErrorDoc] = (),
    ) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            self.specs.append(
                RouteSpec(
                    method.upper(),
                    path,
                    fn,
                    summary,
                    self.tag,
                    body,
                    response,
                    response_list,
                    status,
                    auth,
                    query or {},
                    content_type,
                    request_content_type,
                    tuple(errors),
                )  # fmt: skip
            )
            return fn

        return deco

    def __iter__(self) -> Iterator[RouteSpec]:
        return iter(self.specs)

    def install(self, app: web.Application) -> None:
        for spec in self.specs:
            app.router.add_route(spec.method, spec.path, spec.handler)


async def read_json(request: web.Request, model: type[M]) -> M:
    """Parse and validate a JSON body; 400 for non-JSON, 422 with field errors for bad shapes."""
    try:
        raw = await request.json()
    except ValueError:
        raise BadRequest("request body must be JSON", code="invalid_json") from None
    except RecursionError:  # the stdlib parser recurses once per nesting level
        raise BadRequest("request body is nested too deeply", code="invalid_json") from None
    return validate(model, raw)


def validate(model: type[M], raw: Any) -> M:
    try:
        return model.model_validate(raw)
    except PydanticValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid"}
        raise ValidationError(f"{first['field'] or 'body'}: {first['message']}", details=errors) from None


def json_response(
    data: BaseModel | list[BaseModel] | dict[str, Any] | list[Any], status: int = 200
) -> web.Response:
    if isinstance(data, BaseModel):
        body: Any = data.model_dump(mode="json")
    elif isinstance(data, list):
        body = [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in data]
    else:
        body = data
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
