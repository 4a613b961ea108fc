"""Client-chosen idempotency keys: the same create sent twice creates once (DESIGN rule 6)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shieldwall.kit.db import Base, UTCDateTime
from shieldwall.kit.errors import IdempotencyConflict


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def replayed(session: Session, scope: str, key: str | None, payload: Any) -> int | None:
    """The id created earlier under this key, or None if the key is new.

    The same key with a different payload is refused: it would silently drop the new request.
    """
    if key is None:
        return None
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != fingerprint(payload):
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was already used for a different {scope} request",
        )
    return record.resource_id


def remember(
    session: Session, scope: str, key: str | None, payload: Any, resource_id: int, at: dt.datetime
) -> None:
    if key is None:
        return
    session.add(
        IdempotencyRecord(
            scope=scope,
            key=key,
            request_hash=fingerprint(payload),
            resource_id=resource_id,
            created_at=at,
        )
    )
    session.flush()
