"""One line of a delegation's "needs you now" list, as each feature reports what waits for it.

Features say what waits (``assistance.queries``, ``council.queries``); the reports layer merges
their lines into one list, most urgent first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    """Something that waits for a delegation: what it is, what to do, by when, and where."""

    kind: str  # e.g. "proposal awaiting your position", "delivery to confirm"
    title: str  # names the record in the domain's words (member, item, meeting)
    action: str  # what the delegation is to do, e.g. "state your position"
    link: str  # the page where it is done
    record_type: str
    record_id: int
    due_at: dt.datetime | None = None  # the deadline, if there is one
    since: dt.datetime | None = None  # when it started waiting

    def time_left(self, now: dt.datetime) -> dt.timedelta | None:
        """Negative once the deadline has passed; None without a deadline."""
        return None if self.due_at is None else self.due_at - now
