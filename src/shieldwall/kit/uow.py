"""The unit of work: one transaction that use cases of any feature run in, and commit as one.

A use case never opens a transaction of its own. It is handed a ``UnitOfWork`` and does its
reads, checks and writes in it; whoever opened the unit of work (a route, a CLI command, the
demo builder) decides what belongs together. Leaving the ``with`` block commits; an exception
rolls back everything, so a refused operation changes nothing (DESIGN rules 2 and 7).

Every state change is audited in the same transaction (DESIGN rule 3). The kernel only knows
that an audit trail exists; the audit feature supplies it when the platform is assembled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shieldwall.kit.answers import READ_ONLY
from shieldwall.kit.clock import Clock
from shieldwall.kit.db import is_busy, make_session_factory
from shieldwall.kit.errors import Busy, InvalidInput, NotFound
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.settings import Settings


class Author(Protocol):
    """Who made a change, as the audit trail records it."""

    @property
    def name(self) -> str: ...

    @property
    def delegation(self) -> str | None: ...


class AuditTrail(Protocol):
    def record(
        self,
        session: Session,
        author: Author,
        at: dt.datetime,
        action: str,
        record_type: str,
        record_id: int | str,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Append one record of a state change, in ``session``'s transaction."""
        ...


@dataclass
class UnitOfWork:
    """One transaction, the clock and settings it runs under, and the audit trail it writes."""

    session: Session
    clock: Clock
    settings: Settings
    trail: AuditTrail

    def audit(
        self,
        author: Author,
        at: dt.datetime,
        action: str,
        record_type: str,
        record_id: int | str,
        before: Any = None,
        after: Any = None,
    ) -> None:
        self.trail.record(self.session, author, at, action, record_type, record_id, before, after)


@dataclass
class Platform:
    """What a running Shieldwall holds: its database, its clock, its settings."""

    engine: Engine
    clock: Clock
    settings: Settings
    trail: AuditTrail
    factory: sessionmaker[Session] = field(init=False)
    writer: sessionmaker[Session] = field(init=False)
    reader: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.factory = make_session_factory(self.engine)
        self.writer = make_session_factory(self.engine, writes=True)
        self.reader = make_session_factory(self.engine, reads_only=True)

    @contextmanager
    def unit_of_work(self, *, writes: bool = True) -> Iterator[UnitOfWork]:
        """Commit when the block ends; roll back everything if it raises.

        The transaction is serialised with every other that could break the same rule: on
        SQLite it holds the database's write lock from its first statement (taken here, when
        it begins); on PostgreSQL the use case locks the rows it checks before it checks them.
        A lock not had within the busy timeout is ``Busy`` (503): nothing was changed.

        ``writes=False`` is for a use case that only reads (looking up a browser session): it
        takes no write lock, so, like ``reading``, it never waits for a writer.
        """
        session = (self.writer if writes else self.factory)()
        try:
            with session.begin():
                session.connection()  # BEGIN IMMEDIATE on SQLite: wait for the write lock now
                yield UnitOfWork(session, self.clock, self.settings, self.trail)
        except DBAPIError as exc:
            if is_busy(exc):
                raise Busy(
                    _("the database is busy with other changes; nothing was changed, try again"),
                    retry_after_seconds=1,
                ) from exc
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries; it never writes (``end_reading``), and never waits for a
        writer. Marked ``READ_ONLY`` in its ``info``: what it reads may be kept for its
        lifetime."""
        session = self.reader()
        session.info[READ_ONLY] = True
        finished = False
        try:
            yield session
            finished = True
        finally:
            end_reading(session, finished=finished)


def end_reading(session: Session, *, finished: bool) -> None:
    """End a reading session's transaction and close it. A read that ``finished`` (nothing
    raised, nothing was added to the session) ends with COMMIT, the same as ROLLBACK for a
    transaction that wrote nothing, because on PostgreSQL the driver (psycopg 3) forgets the
    statements it prepared, and how often it saw each, on every ROLLBACK: ended by ROLLBACK,
    no statement ever reached ``prepare_threshold`` (5) on a connection and every request's
    statements were planned again (benchmarks/api_load.py, finding 17). Anything else rolls
    back: a read never writes."""
    if finished and not (session.new or session.dirty or session.deleted):
        session.commit()
    else:
        session.rollback()
    session.close()


Record = TypeVar("Record")


def readable_for_update(
    session: Session,
    model: type[Record],
    record_id: int,
    readable: ColumnElement[bool],
    missing: str,
    field: str | None = None,
) -> Record:
    """The record ``model`` with id ``record_id``, locked for this transaction, if the reader's
    ``readable`` condition lets them see it; otherwise ``missing`` is raised as not found (or as
    an error naming ``field``, when the id came from a field of a form or body). A record the
    reader may not see is answered exactly as one that does not exist: its existence is not
    disclosed; the filter is in the query (DESIGN rule 4)."""
    statement = select(model).where(model.id == record_id, readable)  # type: ignore[attr-defined]
    record = session.scalar(statement.with_for_update())
    if record is None:
        if field:
            raise InvalidInput(field, missing)
        raise NotFound(missing)
    return record
