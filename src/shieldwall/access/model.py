"""Who is acting (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The person or process behind a change, and the delegation it acts for."""

    name: str
    delegation: str | None = None


SYSTEM = Actor("system")
