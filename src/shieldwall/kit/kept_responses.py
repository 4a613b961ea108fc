"""Kept responses: the whole answer of a hot API read (the ledger summary, the offers list)
given again to the same credential while the database is exactly as it was.

``kit.answers`` keeps the rows of these reads inside the app; every request still paid for its
credential's lookup, FastAPI's solving of the route's parameters and dependencies, a reading
session and the response's serialisation — 1.3 ms of the 1.5 a kept summary cost, against
0.17 ms for a bare endpoint (``benchmarks/api_load.py``, findings 26, 28 and 29). This
middleware, in front of the routes, answers a GET of one of ``paths`` with a bearer token from
what it kept for that very request (the credential, the path, the query, the language asked
for) while two things hold:

- The database is in the same state: read first, on a connection of the process's own
  (``SqliteWatch``, ``PostgresWatch``), outside any transaction. An answer is kept under the
  state read before the app computed it, so a commit in between only makes the next request
  miss; nothing is served that is staler than the read itself would have been. A credential's
  revocation, its user's disabling, any change to what the reader may see are commits, and so
  misses.
- The credential's own clock: the app marks the answer with the moment until which the same
  credential would be answered the same without writing anything (``keep_until``: the token's
  expiry, and the minute after its recorded last use, when the next request notes its use).
  Past it, the request goes through the app, which checks the credential again.

An answer the app did not mark (a browser session, a refused credential, anything but 200) is
never kept; a request carrying cookies (whose language and time zone the cookies choose) is
never answered from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import threading
import weakref
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shieldwall.kit.answers import POSTGRES_STATE, SQLITE_STATE, Kept
from shieldwall.kit.clock import Clock

# Where, in the request's state (``request.state``), the credential's check says until when
# the answer may be given again to the same credential; unset, the answer is not kept.
KEEP_UNTIL = "shieldwall_keep_until"
# What a process keeps per database, in bytes of the answers' bodies (a page of 100 offers is
# ~80 KiB of JSON on the demo database, a summary by member and kind 4 KiB), and the largest
# answer kept.
KEPT_BYTES = 32 * 1024 * 1024
LARGEST_KEPT = 1024 * 1024


def keep_until(state: Any, until: dt.datetime) -> None:
    """Mark the request (its ``request.state``) as answerable again until ``until``."""
    setattr(state, KEEP_UNTIL, until)


class SqliteWatch:
    """The database's state, read on a connection of the watch's own, outside any
    transaction (one statement, not through the engine's events): ``data_version`` changes
    when another connection, of any process, commits (this one never writes),
    ``schema_version`` when the schema does. Read on the event loop: a read of the file's
    header, microseconds, cheaper than a hand-off to the thread pool and back.

    A state that cannot be read is a new one each time: the request goes through the app,
    which reports the failure as it does for any read."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()  # a test's clients may share an app across threads
        self.connection: Any = None
        event.listen(engine, "engine_disposed", self.close)

    async def state(self) -> Hashable:
        with self.lock:
            try:
                if self.connection is None:
                    pooled = self.engine.raw_connection()
                    pooled.detach()  # the watch's own: closed by it, never back in the pool
                    self.connection = pooled.dbapi_connection
                return tuple(self.connection.execute(SQLITE_STATE).fetchone())
            except Exception:  # the driver's or SQLAlchemy's: the app reports it
                self._close_now()
                return object()

    def close(self, _engine: Engine | None = None) -> None:
        with self.lock:
            self._close_now()

    def _close_now(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already gone: nothing to release
                connection.close()


class PostgresWatch:
    """PostgreSQL's ``pg_current_snapshot()`` (as ``kit.answers``: equal snapshots mean that
    no transaction committed in between), read on an async connection of the watch's own per
    event loop, in autocommit (no transaction holds back the server's clean-up), so that the
    worker's other requests go on during the round trip. The requests that arrive while a read
    is under way share the next one: each read starts after all the requests it answers
    arrived, so none is given a state older than itself, and under load one round trip
    answers many."""

    def __init__(self, engine: Engine) -> None:
        _args, params = engine.dialect.create_connect_args(engine.url)
        self.params = {k: v for k, v in params.items() if k != "context"}
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Snapshots] = (
            weakref.WeakKeyDictionary()
        )
        event.listen(engine, "engine_disposed", self.close)

    async def state(self) -> Hashable:
        loop = asyncio.get_running_loop()
        snapshots = self.loops.get(loop)
        if snapshots is None:
            snapshots = self.loops.setdefault(loop, _Snapshots(self.params))
        return await snapshots.state()

    def close(self, _engine: Engine | None = None) -> None:
        for snapshots in list(self.loops.values()):
            snapshots.close()


class _Snapshots:
    """``PostgresWatch``'s reads for the requests of one event loop."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.connection: psycopg.AsyncConnection[Any] | None = None
        self.lock = asyncio.Lock()
        self.next: asyncio.Future[Hashable] | None = None
        self.reading: set[asyncio.Task[None]] = set()  # a running task must be referenced

    async def state(self) -> Hashable:
        if self.next is None:
            self.next = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(self._read())
            self.reading.add(task)
            task.add_done_callback(self.reading.discard)
        return await asyncio.shield(self.next)

    async def _read(self) -> None:
        async with self.lock:  # one read at a time; requests gather for the next meanwhile
            future, self.next = self.next, None
            assert future is not None
            try:
                if self.connection is None:
                    self.connection = await psycopg.AsyncConnection.connect(
                        autocommit=True, **self.params
                    )
                cursor = await self.connection.execute(POSTGRES_STATE)
                found: Hashable = tuple(await cursor.fetchone() or ())
            except Exception:  # the server gone, say: the app reports it
                self.close()
                found = object()
            future.set_result(found)

    def close(self) -> None:
        """Close the connection from any thread (its loop may have ended): libpq's own."""
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.pgconn.finish()


def watch(engine: Engine) -> SqliteWatch | PostgresWatch:
    """The watch of ``engine``'s database."""
    return PostgresWatch(engine) if engine.dialect.name == "postgresql" else SqliteWatch(engine)


@dataclass(frozen=True)
class KeptResponse:
    start: Message  # http.response.start: the status and the headers
    body: bytes
    until: dt.datetime

    async def replay(self, send: Send) -> None:
        # Fresh messages: the middlewares outside add their headers to the lists they are given.
        await send({**self.start, "headers": list(self.start["headers"])})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class KeptResponses:
    """The ASGI middleware (see the module): innermost, so that every rule of the exchange
    outside it (the language's header, ``no-store``) holds for a kept answer too."""

    def __init__(self, app: ASGIApp, engine: Engine, clock: Clock, paths: Iterable[str]) -> None:
        self.app = app
        self.clock = clock
        self.paths = frozenset(paths)
        self.watch = watch(engine)
        self.kept = Kept(KEPT_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        key = (key, await self.watch.state())
        now = self.clock.now()
        found = self.kept.get(key)
        if isinstance(found, KeptResponse) and now < found.until:
            await found.replay(send)
            return
        await self._answer_and_keep(scope, receive, send, key, now)

    def _key(self, scope: Scope) -> Hashable | None:
        """What the answer depends on besides the database, or None if it may not be kept."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            return None
        # Each header as the app reads it (the first of its name); a second credential in one
        # request, never kept: the app signs in with the first.
        credential = language = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if credential is not None:
                    return None
                credential = value
            elif name == b"accept-language" and language is None:
                language = value
            elif name == b"cookie":
                return None
        if not credential:
            return None
        # The secret's digest, not the secret, stays in memory.
        digest = hashlib.sha256(credential).digest()
        return (digest, scope["path"], scope["query_string"], language)

    async def _answer_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: Hashable, now: dt.datetime
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def record(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = {**message, "headers": list(message.get("headers", []))}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
            await send(message)

        state = scope.setdefault("state", {})  # what the app's ``request.state`` writes to
        await self.app(scope, receive, record)
        until = state.get(KEEP_UNTIL)
        if start is None or start["status"] != 200 or until is None or until <= now:
            return
        if size <= LARGEST_KEPT:
            self.kept.put(key, KeptResponse(start, b"".join(chunks), until), weight=size)
