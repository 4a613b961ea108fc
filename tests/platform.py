"""The platform as the tests drive it: each use case in a unit of work of its own, as a route
or a CLI command runs it (``ctx.assistance.accept(actor, 3)`` opens, commits and closes one).
``ctx.assistance`` is typed as the service it stands for, so mypy checks every such call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.context import open_platform
from shieldwall.council.service import CouncilService
from shieldwall.delegations.service import DelegationService
from shieldwall.envelope.service import EnvelopeService
from shieldwall.guarantees.service import GuaranteesService
from shieldwall.kit.clock import Clock
from shieldwall.kit.settings import Settings
from shieldwall.kit.uow import Platform, UnitOfWork
from shieldwall.matching.service import MatchingService
from shieldwall.obligations.service import ObligationsService

S = TypeVar("S")


class EachInOwnUnit:
    """Calls a service's use cases, each in a fresh unit of work that commits when it returns."""

    def __init__(self, platform: Platform, service: Callable[[UnitOfWork], object]) -> None:
        self._platform = platform
        self._service = service

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._platform.unit_of_work() as uow:
                return getattr(self._service(uow), name)(*args, **kwargs)

        return run


def each_in_own_unit(platform: Platform, service: Callable[[UnitOfWork], S]) -> S:
    """The service as its callers see it, each of its use cases run in a unit of work of its own.

    Only its methods may be used: an attribute of the service is not there. The cast is what lets
    mypy check each call's arguments and result against the service's own signatures."""
    return cast(S, EachInOwnUnit(platform, service))


class TestPlatform(Platform):
    __test__ = False  # a helper, not a test class

    @property
    def assistance(self) -> AssistanceService:
        return each_in_own_unit(self, AssistanceService)

    @property
    def access(self) -> AccessService:
        return each_in_own_unit(self, AccessService)

    @property
    def delegations(self) -> DelegationService:
        return each_in_own_unit(self, DelegationService)

    @property
    def council(self) -> CouncilService:
        return each_in_own_unit(self, CouncilService)

    @property
    def guarantees(self) -> GuaranteesService:
        return each_in_own_unit(self, GuaranteesService)

    @property
    def obligations(self) -> ObligationsService:
        return each_in_own_unit(self, ObligationsService)

    @property
    def envelope(self) -> EnvelopeService:
        return each_in_own_unit(self, EnvelopeService)

    @property
    def matching(self) -> MatchingService:
        return each_in_own_unit(self, MatchingService)


def open_test_platform(
    url: str, clock: Clock | None = None, settings: Settings | None = None
) -> TestPlatform:
    real = open_platform(url, clock, settings)
    return TestPlatform(real.engine, real.clock, real.settings, real.trail)
