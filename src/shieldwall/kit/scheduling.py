"""What a feature's ``scheduled.py`` offers the scheduler: jobs that act on deadlines stored in
the database, on the platform's injected clock (DESIGN rule 5).

A job finds what is due, and takes each due row in a unit of work of its own, locked with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a row lease: another worker passes over it) and under
the write lock on SQLite; it re-checks that the row is still due before acting, so a deadline
takes effect once however many workers run and however late they wake (a restart across a
deadline catches up once). A job returns how many things it did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select

from shieldwall.kit.uow import Platform

# SQLAlchemy 2.1 types a select by its columns (``Select[Offer]``, ``Select[int, str]``).
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Platform], int]


def leased(statement: Select[*Ts]) -> Select[*Ts]:
    """``statement`` taking a lease on the rows it returns: locked for this transaction, and
    skipped (not waited for) by any other that asks for them. SQLite ignores the clause; there
    the unit of work's write lock serialises the workers."""
    return statement.with_for_update(skip_locked=True)
