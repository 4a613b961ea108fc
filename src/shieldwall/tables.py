"""One place that loads every feature's tables so that the metadata is complete."""

from __future__ import annotations


def import_all() -> None:
    from shieldwall import idempotency as _idempotency  # noqa: F401
    from shieldwall.access import tables as _access  # noqa: F401
    from shieldwall.assistance import tables as _assistance  # noqa: F401
    from shieldwall.audit import tables as _audit  # noqa: F401
    from shieldwall.council import tables as _council  # noqa: F401
