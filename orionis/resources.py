"""``Router.resource``: a controller's usual actions as routes, in one call.

    api.resource("/notes", NoteController)            # notes.index, notes.store, ...

``index`` GET /notes, ``store`` POST /notes, ``show`` GET /notes/{id}, ``update`` PUT and
PATCH /notes/{id}, ``destroy`` DELETE /notes/{id}: whichever the class defines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orionis.controllers import Controller
from orionis.paths import parse_path
from orionis.routing import Route

__all__ = ["RESOURCE_ACTIONS", "resource_routes"]

# (action, methods, on the member path ``/notes/{id}``)
RESOURCE_ACTIONS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("index", ("GET",), False),
    ("store", ("POST",), False),
    ("show", ("GET",), True),
    ("update", ("PUT", "PATCH"), True),
    ("destroy", ("DELETE",), True),
)
_ACTION_NAMES = tuple(action for action, _, _ in RESOURCE_ACTIONS)


def _names(value: Sequence[str] | None, option: str) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"resource(): {option}= takes a list of action names, like ['index']")
    unknown = sorted(set(value) - set(_ACTION_NAMES))
    if unknown:
        raise ValueError(
            f"resource(): {option}= names unknown action(s) {', '.join(unknown)}; "
            f"the actions are {', '.join(_ACTION_NAMES)}"
        )
    return set(value)


def resource_routes(
    label: str,
    path: str,
    controller: type,
    name: str | None,
    param: str,
    only: Sequence[str] | None,
    except_: Sequence[str] | None,
    options: Any,
) -> list[Route]:
    """The checked routes for ``Router.resource`` (``label`` names the call in errors)."""
    if not (isinstance(controller, type) and issubclass(controller, Controller)):
        raise TypeError(f"{label} takes a Controller subclass, got {controller!r}")
    segments = parse_path(path)
    if not isinstance(param, str) or not param:
        raise TypeError(f"{label}: param= is a path segment like '{{id}}', got {param!r}")
    member = parse_path("/" + param)
    if len(member) != 1 or not isinstance(member[0], tuple):
        raise ValueError(
            f"{label}: param= must be one path parameter like '{{id}}' or '{{id:int}}', "
            f"got {param!r}"
        )
    if name is None:
        static = [s for s in segments if isinstance(s, str) and s]
        if not static:
            raise ValueError(
                f"{label}: no static segment to name the routes after; pass name='notes'"
            )
        name = static[-1]
    picked, skipped = _names(only, "only"), _names(except_, "except_")
    defined = [
        (action, methods, on_member)
        for action, methods, on_member in RESOURCE_ACTIONS
        if callable(getattr(controller, action, None))
    ]
    if not defined:
        raise ValueError(
            f"{label}: {controller.__qualname__} defines none of "
            f"{', '.join(_ACTION_NAMES)}; define some, or register actions one by one"
        )
    chosen = [
        item
        for item in defined
        if (picked is None or item[0] in picked) and (skipped is None or item[0] not in skipped)
    ]
    if not chosen:
        raise ValueError(f"{label}: only=/except_= leave none of the actions it defines")
    base = path.rstrip("/")
    return [
        Route(
            f"{base}/{param}" if on_member else path,
            (controller, action),
            methods=list(methods),
            name=f"{name}.{action}",
            **options,
        )
        for action, methods, on_member in chosen
    ]
