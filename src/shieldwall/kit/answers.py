"""Answers of the hot reads (the ledger summary, the offers list), kept while the database is
exactly as it was when they were read.

A kept answer is served only to a read that finds the database in the same state: the state is
read first in the request's own transaction, and an answer is kept under the state read before
it was computed, so a commit that lands in between only makes the next read miss; nothing is
ever served that is staler than the read itself would have been. What a reader may see is
decided by the caller's key (its seat, and the parameters), never by this module: it caches
answers, not authorisations, and the credential is still checked on every request.

- PostgreSQL: ``pg_current_snapshot()`` (xmin, xmax and the transactions in progress): equal
  snapshots mean that no transaction committed in between, in any connection or process.
- SQLite: ``data_version`` changes when another connection (of any process) commits, not when
  this one does, so the state is the connection's own, with what it changed itself: the rows
  (``total_changes``, which its read-only transactions, such as a credential's lookup, leave
  as they were) and the schema (``schema_version``). An answer is kept per connection.

Only reading sessions (``Platform.reading``: the mark ``READ_ONLY``) are answered from here; a
unit of work may have written what a kept answer does not show. Memory is bounded: the least
recently used answers are dropped first.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

T = TypeVar("T")

# How many answers a process keeps per database: a page of 100 offers is ~220 KiB (the demo
# database), so at most ~56 MiB; on SQLite an answer is kept per connection of the pool.
KEPT_ANSWERS = 256

# The mark, in a session's ``info``, of a session that only reads one snapshot (``reading``).
# Defined here, beside the one rule that reads it, and re-exported by ``kit.uow``.
READ_ONLY = "shieldwall_read_only"

_IDENTITY = "shieldwall_identity"  # which SQLite connection: ids of closed ones are reused
_identities = itertools.count()
MISSING = object()


class Kept:
    """Kept answers, least recently used first, their weights (1 each unless said) adding up
    to at most ``budget`` (``get`` gives ``MISSING`` for a key not kept)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.lock = threading.Lock()
        self.answers: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.weight = 0

    def get(self, key: Hashable) -> Any:
        with self.lock:
            found = self.answers.get(key)
            if found is None:
                return MISSING
            self.answers.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, answer: Any, weight: int = 1) -> None:
        with self.lock:
            replaced = self.answers.pop(key, None)
            self.weight += weight - (replaced[1] if replaced else 0)
            self.answers[key] = (answer, weight)
            while self.weight > self.budget:
                _answer, dropped = self.answers.popitem(last=False)[1]
                self.weight -= dropped


_kept: weakref.WeakKeyDictionary[Pool, Kept] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def database_state(connection: Connection) -> Hashable:
    """The database's state as ``connection``'s transaction sees it now: equal states mean
    that nothing was committed in between (one statement, in the caller's transaction)."""
    if connection.dialect.name == "postgresql":
        return connection.exec_driver_sql(POSTGRES_STATE).scalar()
    pooled = connection.connection
    if _IDENTITY not in pooled.info:
        pooled.info[_IDENTITY] = next(_identities)
    versions = connection.exec_driver_sql(SQLITE_STATE).one()
    sqlite = pooled.dbapi_connection
    assert sqlite is not None  # checked out: the connection is open
    return (pooled.info[_IDENTITY], *versions, sqlite.total_changes)


# The statements that read a database's state (``database_state``; ``kit.kept_responses``
# reads the same on a connection of its own).
POSTGRES_STATE = "SELECT pg_current_snapshot()::text"
SQLITE_STATE = "SELECT * FROM pragma_data_version(), pragma_schema_version()"


def kept(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """``read()``'s answer for ``key`` (which must name everything the answer depends on but
    the database: the reader's seat and the parameters), kept while the database is unchanged.
    The caller must not change what it is given: it may be given again."""
    if not session.info.get(READ_ONLY):
        return read()
    connection = session.connection()
    state = database_state(connection)
    answers = _answers(connection.engine.pool)
    full_key = (key, state)
    found = answers.get(full_key)
    if found is not MISSING:
        return found  # type: ignore[no-any-return]
    answer = read()
    answers.put(full_key, answer)
    return answer


def _answers(pool: Pool) -> Kept:
    found = _kept.get(pool)
    if found is None:
        with _kept_lock:
            found = _kept.setdefault(pool, Kept(KEPT_ANSWERS))
    return found
