"""OpenAPI 3.1 from the route table, and the interactive docs page.

The document is built from what the routes already know (the same plans that validate
requests), so it cannot drift from behaviour: path converters, query/header/cookie
parameters with their constraints, JSON and form bodies, response models, tags, the
problem+json errors every operation can answer, and security schemes declared by
dependencies (an ``openapi_security = (name, scheme)`` attribute, see ``orionis.security``).
"""

from __future__ import annotations

import inspect
import os
import re
import typing
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from orionis import _hot
from orionis.dependencies import Input, Plan, unwrap_optional
from orionis.handlers import Handler, return_annotation
from orionis.paths import parse_path
from orionis.responses import FileResponse, HTMLResponse, Response, json_dumps

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from orionis.foundation.application import Application
    from orionis.routing import RouteTable

__all__ = [
    "SWAGGER_CSS",
    "SWAGGER_CSS_INTEGRITY",
    "SWAGGER_JS",
    "SWAGGER_JS_INTEGRITY",
    "SWAGGER_UI_VERSION",
    "ApiDocs",
    "docs_page",
    "docs_policy",
    "openapi_document",
]

# Swagger UI from the CDN, pinned to one release with subresource-integrity hashes (sha384 of
# the files in the swagger-ui-dist npm package): a changed file is refused by the browser.
SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_JS = (
    f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}/swagger-ui-bundle.js"
)
SWAGGER_CSS = f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}/swagger-ui.css"
SWAGGER_JS_INTEGRITY = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
SWAGGER_CSS_INTEGRITY = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"

REF = "#/components/schemas/{model}"

_matcher = _hot.matcher

# What each path converter accepts, keyed by the matcher's converter kinds.
_PATH_SCHEMAS: dict[int, dict[str, Any]] = {
    _matcher.STR: {"type": "string"},
    _matcher.INT: {"type": "integer", "minimum": 0},
    _matcher.FLOAT: {"type": "number", "minimum": 0},
    _matcher.UUID: {"type": "string", "format": "uuid"},
    _matcher.PATH: {"type": "string"},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}

VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "allOf": [
        {"$ref": REF.format(model="Problem")},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "type": {"type": "string"},
                            "msg": {"type": "string"},
                            "ctx": {"type": "object"},
                        },
                        "required": ["loc", "type", "msg"],
                    },
                }
            },
            "required": ["errors"],
        },
    ],
}


def _problem(description: str, schema: str = "Problem") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model=schema)}}},
    }


def _openapi_path(segments: list[Any]) -> str:
    return "/" + "/".join(s if isinstance(s, str) else "{" + s[0] + "}" for s in segments)


def _summary(name: str, doc: str | None) -> tuple[str, str | None]:
    if doc:
        lines = inspect.cleandoc(doc).split("\n", 1)
        return lines[0].strip(), (lines[1].strip() or None) if len(lines) > 1 else None
    words = re.sub(r"[._]+", " ", name).strip()
    return (words[:1].upper() + words[1:]) if words else name, None


class _Schemas:
    """Collects TypeAdapters, then generates all their schemas at once (shared $defs)."""

    def __init__(self) -> None:
        self.inputs: list[tuple[Any, str, TypeAdapter[Any]]] = []
        self.results: dict[tuple[Any, str], dict[str, Any]] = {}
        self.definitions: dict[str, Any] = {}
        self._adapters: dict[Any, TypeAdapter[Any]] = {}

    def add(self, adapter: TypeAdapter[Any], mode: str = "validation") -> tuple[Any, str]:
        key = (id(adapter), mode)
        if key not in self.results:
            self.inputs.append((key, mode, adapter))  # type: ignore[arg-type]
            self.results[key] = {}
        return key

    def adapter_for(self, annotation: Any) -> TypeAdapter[Any]:
        adapter = self._adapters.get(annotation)
        if adapter is None:
            from pydantic import TypeAdapter  # the document is built on demand: pydantic then

            adapter = self._adapters[annotation] = TypeAdapter(annotation)
        return adapter

    def generate(self) -> None:
        if not self.inputs:
            return
        from pydantic import TypeAdapter

        mapping, definitions = TypeAdapter.json_schemas(self.inputs, ref_template=REF)  # type: ignore[arg-type]
        for (key, _mode), schema in mapping.items():
            self.results[key] = schema
        self.definitions = definitions.get("$defs", {})


class _Operation:
    """One method of one route, with schema keys resolved after generation."""

    def __init__(self, path: str, method: str, entry: Any, schemas: _Schemas) -> None:
        self.path = path
        self.method = method
        self.entry = entry
        self.handler: Handler = entry.handler
        self.params: list[tuple[Input, Any]] = []
        self.body: list[tuple[Input, Any]] = []
        plans = [p for p in (self.handler.init_plan, self.handler.plan) if p is not None]
        seen: set[tuple[str, str]] = set()
        for plan in plans:
            for item in plan.all_inputs():
                if (item.source, item.key) in seen or item.source in ("request", "background"):
                    continue
                seen.add((item.source, item.key))
                if item.marker is not None and not item.marker.include_in_schema:
                    continue
                key = None
                if item.adapter is not None:
                    key = schemas.add(item.adapter)
                elif item.source == "body":
                    key = schemas.add(schemas.adapter_for(item.annotation))
                if item.source in ("body", "form", "file"):
                    self.body.append((item, key))
                else:
                    self.params.append((item, key))
        self.success = self._plan_success(schemas)
        self.security = self._security(plans)

    def _plan_success(self, schemas: _Schemas) -> tuple[int, dict[str, Any]]:
        """The success status and its content map; schema keys resolve after generation."""
        handler = self.handler
        status = self.entry.route.status_code
        if handler.response_adapter is not None:
            key = schemas.add(handler.response_adapter, "serialization")
            return status or 200, {"application/json": key}
        annotation = return_annotation(handler.func)
        if annotation is None:  # not annotated: JSON of unknown shape
            return status or 200, {"application/json": {}}
        if annotation is type(None):
            return status or 204, {}
        if isinstance(annotation, type) and issubclass(annotation, Response):
            media = annotation.media_type
            return status or 200, ({media: {}} if media else {})
        if annotation is str:
            return status or 200, {"text/plain": {"type": "string"}}
        if annotation is bytes:
            binary = {"type": "string", "format": "binary"}
            return status or 200, {"application/octet-stream": binary}
        try:
            key = schemas.add(schemas.adapter_for(annotation), "serialization")
        except Exception:  # not a type pydantic can describe
            return status or 200, {"application/json": {}}
        return status or 200, {"application/json": key}

    @staticmethod
    def _security(plans: list[Plan]) -> list[tuple[str, dict[str, Any]]]:
        found: dict[str, dict[str, Any]] = {}
        for plan in plans:
            for dep in plan.all_dependencies():
                declared = getattr(dep.call, "openapi_security", None)
                if declared:
                    found.setdefault(declared[0], declared[1])
        return list(found.items())

    def build(self, schemas: _Schemas, operation_id: str) -> dict[str, Any]:
        route = self.entry.route
        func = self.handler.func
        summary, description = _summary(route.name, inspect.getdoc(func))
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": route.summary or summary,
        }
        if route.description or description:
            operation["description"] = route.description or description
        if self.entry.tags:
            operation["tags"] = list(dict.fromkeys(self.entry.tags))
        if route.deprecated:
            operation["deprecated"] = True
        parameters = [self._parameter(item, key, schemas) for item, key in self.params]
        if parameters:
            operation["parameters"] = parameters
        if self.body:
            operation["requestBody"] = self._request_body(schemas)
        operation["responses"] = self._responses(schemas)
        if self.security:
            operation["security"] = [{name: []} for name, _ in self.security]
        return operation

    def _parameter(self, item: Input, key: Any, schemas: _Schemas) -> dict[str, Any]:
        converter = None
        if item.source == "path":
            kind = self.handler.plan.path_params.get(item.key, _matcher.STR)
            converter = _PATH_SCHEMAS[kind]
        if key is not None:
            schema = schemas.results[key]
            # what the converter itself enforces still holds
            if (
                converter is not None
                and schema.get("type") == converter["type"]
                and "minimum" in converter
            ):
                schema = {**schema, "minimum": max(schema.get("minimum", 0), 0)}
        elif converter is not None:
            schema = dict(converter)
        else:
            schema = {"type": "string"}
        param: dict[str, Any] = {
            "name": item.key,
            "in": item.source,
            "required": item.source == "path" or item.required,
            "schema": schema,
        }
        marker = item.marker
        if marker is not None:
            if marker.description:
                param["description"] = marker.description
            if marker.deprecated:
                param["deprecated"] = True
        if item.multi and item.source == "query":
            param["style"], param["explode"] = "form", True
        return param

    def _request_body(self, schemas: _Schemas) -> dict[str, Any]:
        first = self.body[0][0]
        if first.source == "body" and not first.embed:
            item, key = self.body[0]
            media = getattr(item.marker, "media_type", "application/json")
            return {
                "required": item.required,
                "content": {media: {"schema": schemas.results[key]}},
            }
        properties: dict[str, Any] = {}
        required: list[str] = []
        has_file = False
        for item, key in self.body:
            if item.source == "file":
                has_file = True
                binary = {"type": "string", "format": "binary"}
                inner = unwrap_optional(item.annotation)
                if item.multi or typing.get_origin(inner) in (list, tuple, set):
                    properties[item.key] = {"type": "array", "items": binary}
                else:
                    properties[item.key] = binary
            else:
                properties[item.key] = (
                    schemas.results[key] if key is not None else {"type": "string"}
                )
            if item.required:
                required.append(item.key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if first.source in ("form", "file"):
            media = "multipart/form-data" if has_file else "application/x-www-form-urlencoded"
        else:
            media = "application/json"
        return {"required": bool(required), "content": {media: {"schema": schema}}}

    def _responses(self, schemas: _Schemas) -> dict[str, Any]:
        status, content = self.success
        success: dict[str, Any] = {"description": "Successful Response"}
        if content:
            success["content"] = {
                media: {"schema": schemas.results[spec] if isinstance(spec, tuple) else spec}
                for media, spec in content.items()
            }
        responses: dict[str, Any] = {str(status): success}
        if self.params or self.body or self.handler.plan.dependencies:
            responses["422"] = _problem("Validation Error", "ValidationProblem")
        responses["default"] = _problem("Error (RFC 9457 problem details)")
        for code, extra in self.entry.route.responses.items():
            responses[str(code)] = extra
        return responses


def openapi_document(
    app: Application, table: RouteTable, root_path: str | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``app``'s routes (see module docstring).

    ``root_path`` (default: ``app.root_path``), the prefix a proxy mounts the app under,
    becomes ``servers``, so clients such as Swagger UI call the prefixed URLs.
    """
    schemas = _Schemas()
    operations: list[_Operation] = []
    for entry in table.entries:
        route = entry.route
        if route is None or not route.include_in_schema or entry.handler is None:
            continue
        path = _openapi_path(parse_path(entry.path))
        operations.extend(_Operation(path, method, entry, schemas) for method in route.methods)
    schemas.generate()

    paths: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    used_ids: set[str] = set()
    for op in operations:
        base = re.sub(r"\W+", "_", f"{op.entry.route.name}_{op.method.lower()}").strip("_")
        operation_id, n = base, 2
        while operation_id in used_ids:
            operation_id, n = f"{base}_{n}", n + 1
        used_ids.add(operation_id)
        paths.setdefault(op.path, {})[op.method.lower()] = op.build(schemas, operation_id)
        security_schemes.update(op.security)
    components: dict[str, Any] = {
        "schemas": {
            **schemas.definitions,
            "Problem": PROBLEM_SCHEMA,
            "ValidationProblem": VALIDATION_PROBLEM_SCHEMA,
        }
    }
    if security_schemes:
        components["securitySchemes"] = security_schemes
    info: dict[str, Any] = {"title": app.title, "version": app.version}
    if app.description:
        info["description"] = app.description
    document: dict[str, Any] = {"openapi": "3.1.0", "info": info}
    root = app.root_path if root_path is None else root_path
    if root:
        document["servers"] = [{"url": root}]
    document["paths"] = paths
    document["components"] = components
    return document


def docs_page(
    title: str,
    openapi_url: str,
    js_url: str,
    css_url: str,
    js_integrity: str | None = None,
    css_integrity: str | None = None,
) -> str:
    """Swagger UI for ``openapi_url``. Assets with an ``integrity`` hash are loaded with it
    (and CORS, which subresource integrity needs for another origin)."""
    import html  # the page is built on the first /docs request, and kept

    # "</" cannot appear inside a <script> element
    config = orjson.dumps({"url": openapi_url, "dom_id": "#swagger-ui"}).decode()
    config = config.replace("</", "<\\/")
    css_check = _integrity(css_integrity)
    js_check = _integrity(js_integrity)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} - API docs</title>
<link rel="stylesheet" href="{html.escape(css_url)}"{css_check}>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{html.escape(js_url)}"{js_check}></script>
<script>window.ui = SwaggerUIBundle({config});</script>
</body>
</html>
"""


def _integrity(digest: str | None) -> str:
    if digest is None:
        return ""
    import html

    return f' integrity="{html.escape(digest)}" crossorigin="anonymous"'


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "'self'"


def docs_policy(js_url: str, css_url: str) -> str:
    """The Content-Security-Policy the docs page needs: its assets' origins, nothing more."""
    return (
        "default-src 'none'; "
        f"script-src 'unsafe-inline' {_origin(js_url)}; "
        f"style-src 'unsafe-inline' {_origin(css_url)}; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    )


_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")
_NO_CACHE = "no-cache"  # may be stored, but revalidated: a deploy changes them
_MAX_CACHED_PREFIXES = 16  # root paths come from server settings, so few; bounded anyway


class ApiDocs:
    """``/openapi.json``, ``/docs`` and (with ``assets``) the Swagger UI files for an app.

    Both answers depend on the request's ``root_path`` (a proxy's prefix): the page points at
    the prefixed document and the document names the prefix in ``servers``. Each is built
    once per route table and prefix.
    """

    def __init__(
        self,
        app: Application,
        openapi_url: str,
        docs_url: str | None,
        js_url: str,
        css_url: str,
        assets: str | os.PathLike[str] | None,
    ) -> None:
        self.app = app
        self.openapi_url = openapi_url
        self.docs_url = docs_url
        self.js_url, self.css_url = js_url, css_url
        self.assets = None if assets is None else os.fspath(assets)
        if self.assets is not None:
            if docs_url is None:
                raise ValueError("docs_assets= serves Swagger UI for /docs: give a docs_url too")
            if js_url != SWAGGER_JS or css_url != SWAGGER_CSS:
                raise ValueError("give docs_assets= or docs_js_url=/docs_css_url=, not both")
            missing = [n for n in _ASSETS if not os.path.isfile(os.path.join(self.assets, n))]
            if missing:
                raise ValueError(
                    f"docs_assets={self.assets!r} lacks {', '.join(missing)}: copy them from "
                    f"the swagger-ui-dist npm package (npm pack swagger-ui-dist@"
                    f"{SWAGGER_UI_VERSION})"
                )
        self._document: tuple[RouteTable, dict[str, Any], dict[str, bytes]] | None = None
        self._pages: dict[str, tuple[str, str]] = {}

    def register(self, router: Any) -> None:
        router.get(self.openapi_url, self.serve_openapi, include_in_schema=False, name="openapi")
        docs_url = self.docs_url
        if docs_url is None:
            return
        router.get(docs_url, self.serve_docs, include_in_schema=False, name="docs")
        if self.assets is not None:
            base = docs_url.rstrip("/")
            for asset in _ASSETS:
                router.get(
                    f"{base}/{asset}",
                    self._asset_endpoint(asset),
                    include_in_schema=False,
                    name=f"docs:{asset}",
                )

    def _asset_endpoint(self, asset: str) -> Any:
        directory = self.assets

        async def serve_asset() -> FileResponse:
            return FileResponse(asset, directory=directory, cache_control=_NO_CACHE)

        return serve_asset

    async def serve_openapi(self, request: Any) -> Response:
        table = self.app.route_table
        cached = self._document
        if cached is None or cached[0] is not table:
            cached = self._document = (table, openapi_document(self.app, table, ""), {})
        root = request.root_path
        body = cached[2].get(root)
        if body is None:
            document = cached[1]
            if root:
                document = {**document, "servers": [{"url": root}]}
                order = ("openapi", "info", "servers", "paths", "components")
                document = {key: document[key] for key in order}
            body = json_dumps(document)
            if len(cached[2]) < _MAX_CACHED_PREFIXES:
                cached[2][root] = body
        return Response(body, headers={"cache-control": _NO_CACHE}, media_type="application/json")

    async def serve_docs(self, request: Any) -> HTMLResponse:
        root = request.root_path
        page = self._pages.get(root)
        if page is None:
            page = self._page(root)
            if len(self._pages) < _MAX_CACHED_PREFIXES:
                self._pages[root] = page
        # Its own policy, so SecurityHeadersMiddleware's stricter default does not blank it.
        headers = {"content-security-policy": page[1], "cache-control": _NO_CACHE}
        return HTMLResponse(page[0], headers=headers)

    def _page(self, root: str) -> tuple[str, str]:
        openapi_url = self.openapi_url
        if openapi_url.startswith("/"):
            openapi_url = root + openapi_url
        if self.assets is not None:
            base = root + (self.docs_url or "").rstrip("/")
            js_url, css_url = f"{base}/{_ASSETS[0]}", f"{base}/{_ASSETS[1]}"
            js_check = css_check = None  # same origin, the user's own copies
        else:
            js_url, css_url = self.js_url, self.css_url
            js_check = SWAGGER_JS_INTEGRITY if js_url == SWAGGER_JS else None
            css_check = SWAGGER_CSS_INTEGRITY if css_url == SWAGGER_CSS else None
        page = docs_page(self.app.title, openapi_url, js_url, css_url, js_check, css_check)
        return page, docs_policy(js_url, css_url)
