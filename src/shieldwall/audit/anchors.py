"""Anchors of the audit chain, kept outside the database.

The hash chain shows an edited, deleted, reordered or inserted record, but not the removal of
its newest records: a chain cut short still links. An anchor — the newest record's sequence
number, hash and time, appended to a file that does not live in the database — closes that
gap: as long as the chain still holds the anchored record with the anchored hash, nothing
up to it was removed or rewritten.

The anchor file is plain text, one anchor per line: ``<sequence> <sha256 hash> <ISO time>``.
Keep it where whoever could tamper with the database cannot (another host, a write-once store).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.errors import InvalidInput

_LINE = re.compile(r"^(\d+) ([0-9a-f]{64}) (\S+)$")


@dataclass(frozen=True)
class Anchor:
    sequence: int
    hash: str
    at: dt.datetime

    def line(self) -> str:
        return f"{self.sequence} {self.hash} {self.at.astimezone(dt.UTC).isoformat()}\n"


def chain_head(session: Session, at: dt.datetime) -> Anchor | None:
    """An anchor of the chain's newest record, taken at ``at``; None for an empty chain."""
    row = session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    return None if row is None else Anchor(row.id, row.hash, at)


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one anchor line and make it durable before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(anchor.line())
        handle.flush()
        os.fsync(handle.fileno())


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in the file, oldest first; an error naming the first malformed line."""
    if not path.exists():
        raise InvalidInput("anchor", f"{path} does not exist: run `shieldwall audit anchor` first")
    anchors = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        match = _LINE.match(text.strip())
        if match is None:
            raise InvalidInput("anchor", f"{path} line {number} is not '<sequence> <hash> <time>'")
        try:
            at = dt.datetime.fromisoformat(match.group(3))
        except ValueError:
            raise InvalidInput("anchor", f"{path} line {number} has no valid time") from None
        anchors.append(Anchor(int(match.group(1)), match.group(2), at))
    return anchors


def last_anchor(path: Path) -> Anchor | None:
    """The newest anchor, or None when there is no anchor file or it is empty."""
    if not path.exists():
        return None
    anchors = read_anchors(path)
    return anchors[-1] if anchors else None


def anchor_problem(session: Session, anchor: Anchor) -> str | None:
    """Why the chain no longer reaches ``anchor`` (records removed, or rewritten), or None."""
    stored = session.scalar(select(AuditRecord.hash).where(AuditRecord.id == anchor.sequence))
    if stored is None:
        newest = session.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
        return (
            f"the anchored record {anchor.sequence} (anchored {anchor.at:%Y-%m-%d %H:%M} UTC) "
            f"is missing: the chain ends at {newest or 0}, so its tail was removed"
        )
    if stored != anchor.hash:
        return (
            f"record {anchor.sequence} no longer has the anchored hash: the chain was rewritten "
            "up to it"
        )
    return None
