"""The hash-chained audit log: written in the same transaction as the change it records."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.uow import Author

GENESIS = "0" * 64


def _canonical(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def _at_text(at: dt.datetime) -> str:
    # Normalised so that the hash is the same whichever database returned the timestamp.
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(prev_hash: str, record: AuditRecord) -> str:
    body = json.dumps(
        [
            prev_hash,
            record.id,
            _at_text(record.at),
            record.actor,
            record.delegation,
            record.action,
            record.record_type,
            record.record_id,
            record.before_state,
            record.after_state,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise writers of the chain so that two transactions never share a predecessor."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))


class HashChain:
    """The audit trail every unit of work writes to (``kit.uow.AuditTrail``)."""

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
        append(session, author, at, action, record_type, record_id, before, after)


HASH_CHAIN = HashChain()


def append(
    session: Session,
    author: Author,
    at: dt.datetime,
    action: str,
    record_type: str,
    record_id: int | str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one record that links to the newest one by its hash."""
    _lock_chain(session)
    last = session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    prev_hash = last.hash if last else GENESIS
    record = AuditRecord(
        id=(last.id + 1) if last else 1,
        at=at,
        actor=author.name,
        delegation=author.delegation,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        before_state=_canonical(before),
        after_state=_canonical(after),
        prev_hash=prev_hash,
        hash="",
    )
    record.hash = record_hash(prev_hash, record)
    session.add(record)
    session.flush()


@dataclass(frozen=True)
class ChainBreak:
    record_id: int
    problem: str


def _records(session: Session) -> Iterator[AuditRecord]:
    yield from session.scalars(
        select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=1000)
    )


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Walk the log in order; return how many records verified and the first broken link."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for record in _records(session):
        if record.id != expected_id:
            return count, ChainBreak(
                record.id, f"expected record {expected_id} next, found {record.id}"
            )
        if record.prev_hash != prev_hash:
            return count, ChainBreak(record.id, "does not link to the record before it")
        if record_hash(prev_hash, record) != record.hash:
            return count, ChainBreak(record.id, "its content does not match its hash")
        prev_hash = record.hash
        expected_id += 1
        count += 1
    return count, None
