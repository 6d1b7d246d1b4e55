"""Markers that say where a handler parameter comes from, and how to check it.

    async def search(
        q: Annotated[str, Query(max_length=50)],
        page: Annotated[int, Query(ge=1)] = 1,
        user_agent: Annotated[str | None, Header()] = None,   # from "user-agent"
        session: Annotated[str | None, Cookie()] = None,
    ) -> list[Item]: ...

Without a marker, a parameter is a path parameter if the path names it, the JSON body if its
type is a pydantic model, dataclass or ``dict``, and a query parameter otherwise. Constraints
(``ge``, ``max_length``, ``pattern``...) are pydantic ``Field`` constraints and are checked
before the handler runs; a violation is a 422 naming where and what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

__all__ = ["MISSING", "Body", "Cookie", "File", "Form", "Header", "Param", "Path", "Query"]


class _Missing:
    """The default of a parameter without one (our own: importing pydantic for its
    ``PydanticUndefined`` would load pydantic for apps that never validate)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"  # unpickles as this module's MISSING, the one instance


MISSING: Any = _Missing()


class Param:
    """Where a value comes from, plus pydantic ``Field`` constraints and schema details."""

    source = ""

    def __init__(
        self,
        default: Any = MISSING,
        *,
        alias: str | None = None,
        title: str | None = None,
        description: str | None = None,
        examples: list[Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        multiple_of: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        strict: bool | None = None,
        allow_inf_nan: bool | None = None,
        max_digits: int | None = None,
        decimal_places: int | None = None,
    ) -> None:
        self.default = default
        self.alias = alias
        self.title = title
        self.description = description
        self.examples = examples
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        values = {
            "gt": gt,
            "ge": ge,
            "lt": lt,
            "le": le,
            "multiple_of": multiple_of,
            "min_length": min_length,
            "max_length": max_length,
            "pattern": pattern,
            "strict": strict,
            "allow_inf_nan": allow_inf_nan,
            "max_digits": max_digits,
            "decimal_places": decimal_places,
        }
        self.constraints = {k: v for k, v in values.items() if v is not None}

    def field_info(self) -> FieldInfo | None:
        """The pydantic ``Field`` carrying this marker's constraints (None if there are none)."""
        schema_extra = {
            k: v
            for k, v in (
                ("title", self.title),
                ("description", self.description),
                ("examples", self.examples),
            )
            if v is not None
        }
        if not self.constraints and not schema_extra:
            return None
        from pydantic.fields import Field  # only a marker with constraints needs pydantic

        return Field(**self.constraints, **schema_extra)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r})"


class Path(Param):
    """A path parameter (the default for names that appear in the route path)."""

    source = "path"


class Query(Param):
    """A query-string parameter; ``list[T]`` collects repeated ones (``?tag=a&tag=b``)."""

    source = "query"


class Header(Param):
    """A request header. ``user_agent`` reads ``user-agent`` unless
    ``convert_underscores=False``; ``list[str]`` collects repeated headers."""

    source = "header"

    def __init__(
        self, default: Any = MISSING, *, convert_underscores: bool = True, **options: Any
    ) -> None:
        super().__init__(default, **options)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    """A cookie from the ``Cookie`` header."""

    source = "cookie"


class Body(Param):
    """(Part of) the JSON body. A single body parameter is the whole body unless
    ``embed=True``; several body parameters are read from an object keyed by their names."""

    source = "body"

    def __init__(
        self,
        default: Any = MISSING,
        *,
        embed: bool = False,
        media_type: str = "application/json",
        **options: Any,
    ) -> None:
        super().__init__(default, **options)
        self.embed = embed
        self.media_type = media_type


class Form(Param):
    """A field of a urlencoded or multipart form body."""

    source = "form"


class File(Form):
    """An uploaded file of a multipart body, as an ``UploadFile`` (``bytes`` also works)."""

    source = "file"
