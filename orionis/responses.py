"""Response classes. Protocol-neutral: adapters decide how each kind reaches the wire.

There are three kinds an adapter knows how to send: a ``Response`` with its whole body in
memory, a ``StreamingResponse`` whose body is produced while sending, and a ``FileResponse``
that the server reads from disk. Every other class here is one of those with defaults.

Headers are kept as a list of lower-case ``(name, value)`` pairs (``raw_headers``) because
that is what Granian takes as is; ``response.headers`` is a mutable view over that list.
``content-length`` and ``transfer-encoding`` belong to the adapters, which frame the body.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.cookies
import re
import sys
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import orjson

from orionis import _hot, jsonfallback
from orionis.concurrency import iterate_in_threadpool, run_in_threadpool
from orionis.datastructures import MutableHeaders

if TYPE_CHECKING:
    pass

__all__ = [
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "PreparedFile",
    "RedirectResponse",
    "Response",
    "ResponseKind",
    "StreamingResponse",
    "bodyless",
    "head_headers",
    "json_dumps",
    "with_content_length",
]

_wrap_headers = _hot.headers.wrap_headers

HeadersInput = Mapping[str, str] | list[tuple[str, str]] | None


class ResponseKind(IntEnum):
    """``Response.kind``: how an adapter sends a response. One attribute read per request
    instead of a chain of isinstance checks."""

    BODY = 0  # ``body`` in memory
    STREAM = 1  # ``StreamingResponse``: produced while sending
    PREPARED_FILE = 2  # ``PreparedFile``: a file resolved for its request, ready to send
    FILE = 3  # ``FileResponse`` not yet resolved (``ErrorBoundary.prepare_file`` does it)


def _json_default(value: Any) -> Any:
    # orjson handles dataclasses, datetime, UUID and enums itself; this covers the rest.
    dump = getattr(value, "model_dump", None)
    if dump is not None:  # pydantic v2 models
        return dump(mode="json")
    if isinstance(value, set | frozenset):
        return list(value)
    decimal = sys.modules.get("decimal")  # not imported: no Decimal exists (it costs 2 ms)
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
# First try without OPT_NON_STR_KEYS: orjson is ~1.6x slower with it (1.8 -> 2.8 us for a
# 1.5 KB object), and it changes nothing when every key is a str, as in almost every answer.
# A non-str key raises TypeError there, and the full options take over.
_FAST_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def _dumps_slow(content: Any) -> bytes:
    """After the fast attempt raised: non-str keys, else ``orionis.jsonfallback``."""
    try:
        return orjson.dumps(content, default=_json_default, option=_JSON_OPTIONS)
    except TypeError:
        return jsonfallback.dumps(content, _json_default, _JSON_OPTIONS)


def json_dumps(content: Any) -> bytes:
    """Serialize with orjson: pydantic models, dataclasses, datetimes, UUIDs and Decimals too.

    What orjson refuses but a request may bring in (integers beyond 64 bits, nesting deeper
    than 255 levels, lone surrogates) goes through ``orionis.jsonfallback``, only once orjson
    has raised; beyond 1024 levels it is a ``TypeError`` saying so.
    """
    try:
        return orjson.dumps(content, default=_json_default, option=_FAST_JSON_OPTIONS)
    except TypeError:
        return _dumps_slow(content)


def bodyless(status: int, method: str) -> bool:
    """Responses that must not carry a body: to HEAD, and 204/304."""
    return method == "HEAD" or status == 204 or status == 304


def with_content_length(
    status: int, headers: list[tuple[str, str]], body: bytes
) -> list[tuple[str, str]]:
    """``headers`` plus the ``content-length`` of an in-memory ``body`` (a new list), for
    adapters that frame it themselves. 204 and 304 get none: RFC 9110 forbids it on 204,
    and on 304 it would describe the cached representation, not this empty body."""
    if status == 204 or status == 304:
        return headers
    return [*headers, ("content-length", str(len(body)))]


def head_headers(
    status: int, headers: list[tuple[str, str]], body: bytes, automatic: bool
) -> list[tuple[str, str]]:
    """The headers of a HEAD answer held in memory: what GET would carry, or no length.

    A body is what GET would send, so its length wins (as on GET, a stale ``content-length``
    from user code is replaced). Without a body, a ``content-length`` the handler set (the GET
    body's length) is kept, once; else ``automatic`` (a GET route answering HEAD, whose GET
    sends this same empty body) announces 0, and an explicit HEAD handler gets no length,
    since 0 would be false. 204 and 304 carry none, as with GET. Raises ValueError for a set
    length that is not one decimal number.
    """
    lengths = [value for name, value in headers if name == "content-length"]
    if status == 204 or status == 304 or (body and lengths):
        headers = [(name, value) for name, value in headers if name != "content-length"]
        lengths = []
    if not lengths:
        if status == 204 or status == 304 or not (body or automatic):
            return headers
        return [*headers, ("content-length", str(len(body)))]
    values = set(lengths)  # clean_headers already refused padded values
    value = values.pop()
    if values or not (value.isascii() and value.isdigit() and len(value) <= 19):
        raise ValueError(
            f"content-length {', '.join(lengths)!r} on a HEAD answer must be one decimal "
            "number: the length of the body GET would send"
        )
    rest = [(name, value) for name, value in headers if name != "content-length"]
    return [*rest, ("content-length", value)]


def _raw_headers(headers: HeadersInput) -> list[tuple[str, str]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k).lower(), v) for k, v in items]


class Response:
    """A response whose body is fully in memory.

    ``content`` may be ``bytes``, ``str`` (encoded as UTF-8) or ``None`` (empty body).
    Subclasses override ``render`` to accept other content (see ``JSONResponse``).
    """

    media_type: str | None = None
    charset = "utf-8"
    kind = ResponseKind.BODY
    # The class's own Content-Type header, worked out once per class (``__init_subclass__``)
    # for the common response made without headers or media_type.
    _content_type: tuple[str, str] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        media_type = cls.media_type
        if media_type is None:
            cls._content_type = None
        else:
            if media_type.startswith("text/") and "charset=" not in media_type:
                media_type = f"{media_type}; charset={cls.charset}"
            cls._content_type = ("content-type", media_type)

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: HeadersInput = None,
        media_type: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.body: bytes = self.render(content)
        if headers is None and media_type is None:
            pair = self._content_type
            self.raw_headers: list[tuple[str, str]] = [pair] if pair is not None else []
        else:
            self.raw_headers = _raw_headers(headers)
            self._set_media_type(media_type or self.media_type)

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode(self.charset)
        if isinstance(content, bytearray | memoryview):
            return bytes(content)
        raise TypeError(
            f"{type(self).__name__} content must be bytes, str or None, not "
            f"{type(content).__name__}; use JSONResponse for data"
        )

    def _set_media_type(self, media_type: str | None) -> None:
        if media_type is None:
            return
        for name, _ in self.raw_headers:
            if name == "content-type":
                return
        if media_type.startswith("text/") and "charset=" not in media_type:
            media_type = f"{media_type}; charset={self.charset}"
        self.raw_headers.append(("content-type", media_type))

    @property
    def headers(self) -> MutableHeaders:
        """A mutable, case-insensitive view; changes write through to ``raw_headers``."""
        return _wrap_headers(self.raw_headers, True)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header.

        ``key`` must be an RFC 6265 token and ``value`` cookie-octets (printable ASCII but
        space, ``"``, ``,``, ``;`` and ``\\``), optionally in double quotes; anything else
        raises ``ValueError`` here, since browsers and servers disagree on how to read it.
        Encode such values first (``urllib.parse.quote``, base64).
        """
        _check_cookie(key, value)
        for attribute, text in (("path", path), ("domain", domain)):
            if text is not None and any(c in text for c in ";,\r\n\x00"):
                raise ValueError(
                    f"cookie {attribute} {text!r} contains ';', ',' or a control character"
                )
        if isinstance(expires, str) and any(c in expires for c in ";\r\n\x00"):
            raise ValueError(f"cookie expires {expires!r} contains ';' or a control character")
        if partitioned and not secure:
            raise ValueError("partitioned cookies must be secure (browsers ignore them otherwise)")
        morsel: http.cookies.Morsel[str] = http.cookies.Morsel()
        morsel.set(key, value, value or '""')  # checked above: sent as is, never re-quoted
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            if isinstance(expires, datetime):
                expires = email.utils.format_datetime(expires, usegmt=True)
            morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("strict", "lax", "none"):
                raise ValueError("samesite must be 'strict', 'lax' or 'none'")
            morsel["samesite"] = samesite
        header = morsel.OutputString()
        if partitioned:
            header += "; Partitioned"
        self.raw_headers.append(("set-cookie", header))

    def delete_cookie(
        self,
        key: str,
        *,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Expire a cookie now; ``path`` and ``domain`` must match the ones it was set with."""
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status_code}>"


# RFC 6265 4.1.1: a cookie name is a token, a value cookie-octets, optionally in quotes.
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_COOKIE_OCTETS = r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*"
_COOKIE_VALUE = re.compile(f'{_COOKIE_OCTETS}|"{_COOKIE_OCTETS}"')


def _check_cookie(key: str, value: str) -> None:
    if not isinstance(key, str) or not _COOKIE_NAME.fullmatch(key):
        raise ValueError(
            f"cookie name {key!r} is not an RFC 6265 token (letters, digits and "
            "!#$%&'*+-.^_`|~ only); choose a plain name"
        )
    if http.cookies.Morsel().isReservedKey(key):
        raise ValueError(f"cookie name {key!r} is a Set-Cookie attribute name; choose another")
    if not isinstance(value, str) or not _COOKIE_VALUE.fullmatch(value):
        shown = value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value
        raise ValueError(
            f"cookie value {shown!r} has characters RFC 6265 forbids (space, '\"', ',', ';', "
            "'\\', control or non-ASCII); encode it first, e.g. urllib.parse.quote(value) or "
            "base64.urlsafe_b64encode(data)"
        )


class JSONResponse(Response):
    """JSON through orjson. ``content`` is anything ``json_dumps`` accepts."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: HeadersInput = None,
        media_type: str | None = None,
    ) -> None:
        # The common case (no extra headers) skips the generic path entirely.
        if headers is None and media_type is None:
            self.status_code = status_code
            try:  # json_dumps, inlined
                self.body = orjson.dumps(
                    content, default=_json_default, option=_FAST_JSON_OPTIONS
                )
            except TypeError:
                self.body = _dumps_slow(content)
            self.raw_headers = [("content-type", "application/json")]
        else:
            super().__init__(content, status_code, headers, media_type)

    def render(self, content: Any) -> bytes:
        return json_dumps(content)


class PlainTextResponse(Response):
    """``text/plain; charset=utf-8``: ``PlainTextResponse("hi")``. A ``str`` return does this."""

    media_type = "text/plain"


class HTMLResponse(Response):
    """``text/html; charset=utf-8``: ``HTMLResponse("<h1>hi</h1>")``. Escape what users typed."""

    media_type = "text/html"


class RedirectResponse(Response):
    """Redirect to ``url``. Unsafe characters are percent-encoded, so a URL taken from user
    input cannot smuggle a CR/LF into the ``Location`` header."""

    def __init__(self, url: str, status_code: int = 307, headers: HeadersInput = None) -> None:
        super().__init__(None, status_code, headers)
        self.raw_headers.append(("location", quote(str(url), safe=":/%#?=@[]!$&'()*+,;~")))


class StreamingResponse(Response):
    """A body produced while it is sent, from a sync or async iterable of ``bytes``/``str``.

    Sync iterables are advanced in the thread pool so they cannot block the event loop. If
    the client goes away the iterable is closed (``aclose``/``close``) and iteration stops.
    """

    kind = ResponseKind.STREAM

    def __init__(
        self,
        content: Iterable[bytes | str] | AsyncIterable[bytes | str],
        status_code: int = 200,
        headers: HeadersInput = None,
        media_type: str | None = None,
    ) -> None:
        if not isinstance(content, Iterable | AsyncIterable) or isinstance(content, bytes | str):
            raise TypeError(
                "StreamingResponse needs an iterable or async iterable of chunks; "
                "for a body already in memory use Response"
            )
        self.body_iterator = content
        super().__init__(None, status_code, headers, media_type)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as non-empty ``bytes`` chunks, whatever the iterable yields.

        Closing this generator early (the client left) also closes the body iterable, so its
        ``finally`` blocks run now rather than at garbage collection.
        """
        iterator = self.body_iterator
        source: AsyncIterable[Any] = (
            iterator if isinstance(iterator, AsyncIterable) else iterate_in_threadpool(iterator)
        )
        exhausted = False
        try:
            async for chunk in source:
                if isinstance(chunk, str):
                    chunk = chunk.encode(self.charset)
                elif isinstance(chunk, bytearray | memoryview):
                    chunk = bytes(chunk)
                elif not isinstance(chunk, bytes):
                    raise TypeError(
                        f"StreamingResponse chunks must be bytes or str, got {type(chunk).__name__}"
                    )
                if chunk:
                    yield chunk
            exhausted = True
        finally:
            if not exhausted:
                await self.aclose()

    async def chunks_until(self, gone: asyncio.Future[Any]) -> AsyncIterator[bytes]:
        """``iter_chunks()``, ending as soon as ``gone`` resolves (the client left), even while
        the iterable is waiting for its next chunk: an idle stream is not held open.

        No task per chunk: the iterable runs in the caller's task, and ``gone`` cancels that
        task, but only while it waits in the iterable (never while the caller sends), so the
        cancellation lands in the iterable's pending ``await``; it is then absorbed here
        (``Task.uncancel``) and the stream simply ends. A cancellation from outside still
        propagates.
        """
        chunks = self.iter_chunks()
        waiting: list[asyncio.Task[Any] | None] = [None]  # the task, while in the iterable
        fired = False

        def left(_: asyncio.Future[Any]) -> None:
            nonlocal fired
            task = waiting[0]
            if task is not None and not fired:
                fired = True
                task.cancel()

        gone.add_done_callback(left)
        try:
            while not gone.done():
                task = waiting[0] = asyncio.current_task()
                try:
                    chunk = await chunks.__anext__()
                except asyncio.CancelledError:
                    if fired and task is not None and task.uncancel() == 0:
                        return  # ours, and only ours: the client left
                    raise
                except BaseException as exc:  # the end, or the iterable's error
                    if fired and task is not None:
                        task.uncancel()  # it swallowed our cancellation: drop the request
                    if isinstance(exc, StopAsyncIteration):
                        return
                    raise
                finally:
                    waiting[0] = None
                if fired:  # it swallowed our cancellation and yielded: drop it, stop
                    if task is not None:
                        task.uncancel()
                    return
                yield chunk
        finally:
            gone.remove_done_callback(left)
            await chunks.aclose()

    async def aclose(self) -> None:
        """Close the body iterable (runs its ``finally``) when sending stops early."""
        await close_iterable(self.body_iterator)


async def close_iterable(source: Any) -> None:
    """Run an iterable's ``finally``: ``aclose()`` if async, else ``close()`` off the loop
    (a sync generator's cleanup may block); nothing for a plain list."""
    close = getattr(source, "aclose", None)
    if close is not None:
        await close()
        return
    close = getattr(source, "close", None)
    if close is not None:
        await run_in_threadpool(close)


# FileResponse lives in orionis/files.py with its preconditions and ranges; it is exported
# here too, beside the other responses. Imported last: it builds on Response.
from orionis.files import FileResponse, PreparedFile  # noqa: E402
