"""Reading the JSON body and form fields (the inputs that need I/O) for the solver.

A JSON body sent as something else is a 415, not a 422: the body was never read as JSON.
A malformed body or form is reported once, however many parameters read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orionis._pydantic import pydantic
from orionis.dependencies.readers import MISSING
from orionis.exceptions import HTTPException, RequestValidationError
from orionis.forms import UploadFile

if TYPE_CHECKING:
    from orionis.dependencies.plans import Input
    from orionis.dependencies.solver import Solver

__all__ = ["read_body", "read_form"]


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


# Where a 415 names what would have been accepted: Accept-Post (W3C LDP) and Accept-Patch
# (RFC 5789); other methods have no such header, so the detail says it.
_ACCEPT_HEADERS = {"POST": "accept-post", "PATCH": "accept-patch"}


def unsupported_media_type(method: str, content_type: str | None) -> HTTPException:
    """415 for a JSON body sent as something else (RFC 9110 15.5.16), not a 422: the body
    was never read as JSON. The ``errors`` entry is the one a 422 would have carried."""
    message = f"Expected a JSON body (application/json), got {content_type or 'no Content-Type'}"
    header = _ACCEPT_HEADERS.get(method)
    return HTTPException(
        415,
        f"{message}; send it with Content-Type: application/json.",
        headers={header: "application/json"} if header else None,
        extra={"errors": [{"loc": ["body"], "type": "content_type", "msg": message}]},
    )


def _body_error(solver: Solver, kind: str, msg: str) -> Any:
    solver.body_failed = True
    solver.errors.append({"loc": ["body"], "type": kind, "msg": msg})
    return MISSING


async def read_body(solver: Solver, item: Input) -> Any:
    """A JSON body parameter (the whole body, or one key of it when embedded)."""
    request = solver.request
    body = await request.body()
    if not body:
        return solver.check(item, MISSING)
    if solver.body_failed:
        return MISSING
    content_type = request.headers.get("content-type")
    if not is_json(content_type):
        raise unsupported_media_type(request.method, content_type)
    if not item.embed and item.adapter is not None:
        try:  # straight from the bytes: no intermediate Python objects
            return item.adapter.validate_json(body)
        except pydantic.ValidationError as exc:
            solver.errors.extend(validation_errors(item, exc))
            return MISSING
    try:
        data = await request.json()  # parsed once, shared with the handler's request.json()
    except RequestValidationError as exc:  # malformed JSON: one entry for the whole body
        solver.body_failed = True
        solver.errors.extend(exc.errors)
        return MISSING
    if not item.embed:
        return data
    if not isinstance(data, dict):
        return _body_error(solver, "dict_type", "Input should be a JSON object")
    return solver.check(item, data.get(item.key, MISSING))


async def read_form(solver: Solver, item: Input) -> Any:
    """A form field or upload, checked; ``MISSING`` if its error is already reported."""
    form = solver.form
    if form is None:
        if solver.body_failed:
            return MISSING
        try:
            form = solver.form = await solver.request.form()
        except RequestValidationError as exc:  # malformed form: one entry, with the rest
            solver.body_failed = True
            solver.errors.extend(exc.errors)
            return MISSING
    values = form.getlist(item.key)
    if not values:
        return solver.check(item, MISSING)
    if item.source == "file":
        if not all(isinstance(v, UploadFile) for v in values):
            solver.errors.append(item.error("file_type", "Expected an uploaded file"))
            return MISSING
        if item.as_bytes:
            values = [await _read_all(u) for u in values]
    return solver.check(item, values if item.multi else values[-1])


async def _read_all(upload: UploadFile) -> bytes:
    """The whole upload, leaving it rewound for whoever reads it next."""
    await upload.seek(0)
    data = await upload.read()
    await upload.seek(0)
    return data


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def validation_errors(item: Input, exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as entries of a 422, located at ``item``."""
    out = []
    for error in exc.errors(include_url=False, include_input=False):
        entry = item.error(error["type"], error["msg"], tuple(error["loc"]))
        ctx = error.get("ctx")
        if ctx:
            entry["ctx"] = _json_safe(ctx)
        out.append(entry)
    return out
