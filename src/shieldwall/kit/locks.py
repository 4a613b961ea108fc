"""Locks on names: for a check that no single row stands for (DESIGN rules 2 and 6).

Whether an idempotency key is already taken, or how many sign-ins failed for an account, is
checked by counting or looking up rows that may not exist yet, so there is no row to lock
before the check. Instead the unit of work locks the name of what it checks, and holds the
lock until it commits or rolls back: a second unit of work checking the same name waits, then
sees what the first wrote.

On PostgreSQL the lock is a transaction-level advisory lock on a 64-bit hash of the name. On
SQLite nothing more is needed: a unit of work holds the database's one write lock from its
start, which already serialises it with every other (``kit.db``).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(*name: str) -> int:
    """The advisory lock key of ``name``: a signed 64-bit hash of its parts."""
    digest = hashlib.sha256("\x1f".join(name).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_name(session: Session, *name: str) -> None:
    """Hold a lock on ``name`` (e.g. ``"idempotency", user, operation, key``) until the
    transaction of ``session`` ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(*name)})
