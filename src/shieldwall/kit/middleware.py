"""Two rules of every HTTP exchange, as plain ASGI middleware (they see the raw messages, so
nothing a route does can get around them):

- ``BodyLimit``: a request body larger than its limit is refused with 413 before any of it is
  parsed. The limit is ``max_body_bytes`` (default 1 MiB) for every body but
  ``multipart/form-data`` — the only way a browser sends files — which has
  ``max_upload_bytes`` (default 20 MiB). A declared ``Content-Length`` over the limit is
  refused at once, unread; a body without one (chunked) is counted as it arrives, and refused
  as soon as it passes the limit. Bodies within the limit are held and handed on whole.
- ``NoStore``: every answer to a request that carries credentials (an ``Authorization``
  header or one of the session cookies) gets ``Cache-Control: no-store``, so that neither a
  shared cache nor the browser's history keeps a signed-in page or API answer; paths under
  ``/static/`` keep their own caching.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shieldwall.kit import i18n
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.problems import problem

UPLOAD_TYPE = "multipart/form-data"


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, headers: Headers) -> int:
        is_upload = headers.get("content-type", "").lower().startswith(UPLOAD_TYPE)
        return self.max_upload_bytes if is_upload else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            _("Request body too large"),
            _(
                "the request body is larger than {limit} bytes ({mib}), the limit for this "
                "request: it was refused before being parsed, and nothing changed"
            ).format(limit=i18n.format_number(limit), mib=_mib(limit)),
            max_bytes=limit,
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then asks the server again (for the
    disconnect a streaming answer listens for)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class NoStore:
    def __init__(self, app: ASGIApp, session_cookies: Iterable[str]) -> None:
        self.app = app
        self.session_cookies = frozenset(session_cookies)

    def carries_credentials(self, headers: Headers) -> bool:
        if "authorization" in headers:
            return True
        # Read as the app reads cookies, so that what it would accept is never missed.
        return bool(self.session_cookies & cookie_parser(headers.get("cookie", "")).keys())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith("/static/")
            or not self.carries_credentials(Headers(scope=scope))
        ):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, no_store)


# The cookies that carry a viewer's language and time zone: set at sign-in from the user's
# stored choice, and when the choice changes (``access.pages``).
LOCALE_COOKIE = "shieldwall_locale"
TIME_ZONE_COOKIE = "shieldwall_time_zone"


class LocaleMiddleware:
    """``LocaleMiddleware``: the language of the exchange is the viewer's choice (its cookie),
    else the best match of the browser's ``Accept-Language``, else English; the time zone is the
    viewer's choice, else UTC. Set before the route runs, so that its page, its messages and its
    errors are all written in them; the answer says its language (``Content-Language``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        chosen = cookies.get(LOCALE_COOKIE)
        locale = (
            i18n.supported_locale(chosen)
            if chosen
            else i18n.negotiate(headers.get("accept-language"))
        )

        async def say_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Content-Language"] = locale
            await send(message)

        # Reset afterwards: a connection's next request starts from nobody's language.
        with i18n.using_locale(locale, cookies.get(TIME_ZONE_COOKIE)):
            await self.app(scope, receive, say_language)
