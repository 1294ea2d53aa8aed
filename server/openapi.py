"""Builds the OpenAPI 3.1 document from every package's ``ApiRoutes``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from server.api import ApiRoutes

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
            params += [
                {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
                for n, d in spec.query.items()
            ]
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
            err = {
                "description": "Error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            op["responses"] = {str(spec.status): ok, "4XX": err}
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
