"""The composition root: a platform assembled from the kernel and the features' parts."""

from __future__ import annotations

from shieldwall.audit.service import HASH_CHAIN
from shieldwall.kit.clock import Clock, SystemClock
from shieldwall.kit.db import PoolSize, make_engine
from shieldwall.kit.settings import Settings, get_settings
from shieldwall.kit.uow import Platform


def open_platform(
    url: str, clock: Clock | None = None, settings: Settings | None = None
) -> Platform:
    """The platform on the database at ``url``, auditing into the hash chain."""
    settings = settings or get_settings()
    pool = PoolSize(settings.pool_size, settings.max_overflow, settings.pool_timeout_seconds)
    engine = make_engine(url, settings.busy_timeout_seconds, pool)
    return Platform(engine, clock or SystemClock(), settings, HASH_CHAIN)
