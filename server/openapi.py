"""Builds the OpenAPI 3.1 document from every package's ``ApiRoutes``.

Query parameters get their declared types (:class:`server.api.Query`). A route's error responses are the
ones its declaration implies — 401 when it needs a token; 400, 413 and 422 when it reads a JSON body; 413
and 415 for an upload; 403 and 404 when the path names a resource; 503 ``db_unavailable`` when it needs a token
or a body (it uses the database) — plus those it lists in ``errors=``;
each status lists the ``code`` values it may carry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, TypeAdapter

from server.api import ApiRoutes, ErrorDoc, Query, RouteSpec
from server.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationError,
)

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
        }
    },
}


def build_openapi(tables: Iterable[ApiRoutes], *, version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    for table in tables:
        for spec in table:
            op: dict[str, Any] = {
                "summary": spec.summary,
                "tags": [spec.tag],
                "operationId": spec.handler.__name__,
            }
            params = [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in re.findall(r"{(\w+)(?::[^}]*)?}", spec.path)
            ]
            params += [_query_param(n, q) for n, q in spec.query.items()]
            if params:
                op["parameters"] = params
            if spec.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(spec.body)}},
                }
            elif spec.request_content_type:
                op["requestBody"] = {"required": True, "content": {spec.request_content_type: {"schema": {}}}}
            ok: dict[str, Any] = {"description": "OK"}
            if spec.response is not None:
                schema = ref(spec.response)
                if spec.response_list:
                    schema = {"type": "array", "items": schema}
                ok["content"] = {"application/json": {"schema": schema}}
            elif spec.content_type:
                ok["content"] = {spec.content_type: {"schema": {"type": "string", "format": "binary"}}}
            op["responses"] = {str(spec.status): ok, **_error_responses(spec)}
            if spec.auth:
                op["security"] = [{"bearer": []}]
            path = re.sub(r"{(\w+):[^}]*}", r"{\1}", spec.path)
            paths.setdefault(path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Moke API",
            "version": version,
            "description": "Moke (磨课) lesson-study server REST API.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _query_param(name: str, declared: str | Query) -> dict[str, Any]:
    q = declared if isinstance(declared, Query) else Query(declared)
    schema = TypeAdapter(q.type).json_schema()
    if q.choices:
        schema["enum"] = list(q.choices)
    if q.default is not None:
        schema["default"] = q.default
    if q.minimum is not None:
        schema["minimum"] = q.minimum
    if q.maximum is not None:
        schema["maximum"] = q.maximum
    return {
        "name": name,
        "in": "query",
        "required": q.required,
        "schema": schema,
        "description": q.description,
    }


_ID_IN_PATH = re.compile(r"{\w+_id(?::[^}]*)?}|{(?:code|key)(?::[^}]*)?}")


def implied_errors(spec: RouteSpec) -> list[ErrorDoc]:
    """The errors every route of this shape can answer (see the module docstring)."""
    errors: list[ErrorDoc] = []
    if spec.auth:
        errors.append(Unauthorized)
    if spec.body is not None:
        errors += [(BadRequest, "invalid_json"), TooLarge, ValidationError]
    if spec.request_content_type:
        errors += [TooLarge, UnsupportedMediaType]
    if _ID_IN_PATH.search(spec.path):
        if spec.auth:
            errors.append(Forbidden)
        errors.append(NotFound)
    if spec.auth or spec.body is not None:  # reads or writes the database (server.http answers its outage)
        errors.append((Unavailable, "db_unavailable"))
    return errors


def _error_responses(spec: RouteSpec) -> dict[str, Any]:
    codes: dict[int, list[str]] = {}
    for doc in [*implied_errors(spec), *spec.errors]:
        cls, code = doc if isinstance(doc, tuple) else (doc, doc.code)
        listed = codes.setdefault(cls.status, [])
        if code not in listed:
            listed.append(code)
    return {
        str(status): {
            "description": f"{HTTPStatus(status).phrase}: `code` is {' or '.join(f'`{c}`' for c in listed)}",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"},
                    "example": {"error": {"code": listed[0], "message": HTTPStatus(status).phrase}},
                }
            },
        }
        for status, listed in sorted(codes.items())
    }
