"""What a feature's ``scheduled.py`` offers the scheduler: jobs that act on deadlines stored in
the database, on the platform's injected clock (DESIGN rule 5).

A job finds what is due, and takes each due row in a unit of work of its own, locked with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a row lease: another worker passes over it) and under
the write lock on SQLite; it re-checks that the row is still due before acting, so a deadline
takes effect once however many workers run and however late they wake (a restart across a
deadline catches up once). A job returns how many things it did (``each_due``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import Session

from shieldwall.kit.errors import Busy
from shieldwall.kit.uow import Platform, UnitOfWork

log = logging.getLogger(__name__)

# SQLAlchemy 2.1 types a select by its columns (``Select[Offer]``, ``Select[int, str]``).
Ts = TypeVarTuple("Ts")
K = TypeVar("K")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Platform], int]


def leased(statement: Select[*Ts]) -> Select[*Ts]:
    """``statement`` taking a lease on the rows it returns: locked for this transaction, and
    skipped (not waited for) by any other that asks for them. SQLite ignores the clause; there
    the unit of work's write lock serialises the workers."""
    return statement.with_for_update(skip_locked=True)


def each_due(
    platform: Platform,
    due: Callable[[Session, dt.datetime], Sequence[K]],
    step: Callable[[UnitOfWork, K], int],
) -> int:
    """Find what is due on the platform's clock, then take each in a unit of work of its own
    (``step`` locks and re-checks it); how many took effect.

    A record whose unit of work did not get the database within the busy timeout is passed
    over and taken again after the rest, as a leased row is on PostgreSQL: on SQLite the
    write lock is not handed out in turn, and a worker waiting for it while another takes
    record after record may wait past its timeout, although the other finishes soon after.
    Still busy the second time, the job fails with ``Busy`` (that record unchanged; the next
    round takes it), after every other record had its turn.
    """
    with platform.reading() as s:
        keys = due(s, platform.clock.now())
    done = 0
    passed_over: list[K] = []
    for key in keys:
        try:
            done += _take(platform, step, key)
        except Busy:
            passed_over.append(key)
    if passed_over:
        log.info("%d due record(s) passed over while the database was busy", len(passed_over))
    for key in passed_over:
        done += _take(platform, step, key)
    return done


def _take(platform: Platform, step: Callable[[UnitOfWork, K], int], key: K) -> int:
    with platform.unit_of_work() as uow:
        return step(uow, key)
