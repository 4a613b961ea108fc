"""Council membership rules (no I/O)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class DelegationKind(StrEnum):
    MEMBER = "member"
    PARTNER = "partner"
    SECRETARIAT = "secretariat"


def is_seated(joined_on: dt.date | None, left_on: dt.date | None, on: dt.date) -> bool:
    """Whether a delegation sits in the council on a given day."""
    if joined_on is not None and on < joined_on:
        return False
    return left_on is None or on < left_on
