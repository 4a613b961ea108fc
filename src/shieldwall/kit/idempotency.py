"""Client-chosen idempotency keys: the same create sent twice — or fifty times at once —
creates once (DESIGN rule 6).

A key belongs to the user who sent it and to the operation it was sent with: another user's
key, or the same key sent to another operation, is a new key. A use case asks ``replayed``
only once it knows that the user may do the operation, so that a replay never answers someone
it would refuse (a viewer, a read-only token). ``replayed`` locks the key until the unit of
work ends, so that concurrent duplicates wait for the first to commit and then replay it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shieldwall.kit.db import Base, UTCDateTime
from shieldwall.kit.errors import IdempotencyConflict
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.locks import lock_name


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner", "scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who sent the key: the actor's name (a username, or a system process's name).
    owner: Mapped[str] = mapped_column(String(120))
    # The operation it was sent with: request, offer, delivery, correction.
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def payload_of(arguments: dict[str, Any]) -> dict[str, Any]:
    """What a key is bound to: a use case's arguments (its ``locals()`` on entry) but who sent
    it, the key itself and the service."""
    return {
        k: v for k, v in arguments.items() if k not in ("self", "actor", "idempotency_key", "s")
    }


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def replayed(session: Session, owner: str, scope: str, key: str | None, payload: Any) -> int | None:
    """The id ``owner`` created earlier under this key for this operation, or None if the key
    is new to them. Call it once ``owner`` is known to be allowed the operation.

    The key stays locked until the unit of work ends. The same key with a different payload
    is refused: it would silently drop the new request.
    """
    if key is None:
        return None
    lock_name(session, "idempotency", owner, scope, key)
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
        )
    )
    if record is None:
        return None
    if record.request_hash != fingerprint(payload):
        raise IdempotencyConflict(
            _("Idempotency-Key {key!r} was already used for a different {scope} request").format(
                key=key, scope=scope
            ),
        )
    return record.resource_id


def remember(
    session: Session,
    owner: str,
    scope: str,
    key: str | None,
    payload: Any,
    resource_id: int,
    at: dt.datetime,
) -> None:
    if key is None:
        return
    session.add(
        IdempotencyRecord(
            owner=owner,
            scope=scope,
            key=key,
            request_hash=fingerprint(payload),
            resource_id=resource_id,
            created_at=at,
        )
    )
    session.flush()
