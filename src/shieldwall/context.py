"""What a running Shieldwall holds: its database, its clock and its services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.clock import Clock, SystemClock
from shieldwall.council.service import CouncilService
from shieldwall.db import make_engine, make_session_factory
from shieldwall.settings import Settings, get_settings


@dataclass
class Context:
    engine: Engine
    clock: Clock
    settings: Settings = field(default_factory=get_settings)
    factory: sessionmaker[Session] = field(init=False)
    assistance: AssistanceService = field(init=False)
    council: CouncilService = field(init=False)
    access: AccessService = field(init=False)

    def __post_init__(self) -> None:
        self.factory = make_session_factory(self.engine)
        self.assistance = AssistanceService(self.factory, self.clock)
        self.council = CouncilService(self.factory, self.clock)
        self.access = AccessService(self.factory, self.clock, self.settings)

    @classmethod
    def from_url(
        cls, url: str, clock: Clock | None = None, settings: Settings | None = None
    ) -> Context:
        return cls(make_engine(url), clock or SystemClock(), settings or get_settings())

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries; it never commits."""
        session = self.factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()
