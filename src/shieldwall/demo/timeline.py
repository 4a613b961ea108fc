"""The demo's history as steps on a timeline, played in date order on the platform's clock.

Each step runs a use case at its moment, so that every record, ledger entry and audit record
carries the date it would have had. An offer's steps learn the offer's id only when it is made,
so they read it from the ``OfferSteps`` that made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from rich.progress import Progress

from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.council.service import CouncilService
from shieldwall.delegations.service import DelegationService
from shieldwall.demo.records import Lifecycle
from shieldwall.envelope.service import EnvelopeService
from shieldwall.guarantees.service import GuaranteesService
from shieldwall.kit.clock import FixedClock
from shieldwall.obligations.service import ObligationsService

# The hour of each kind of step: a day's steps happen in the order a lifecycle needs.
FILE_AT, OFFER_AT, ANSWER_AT, COMMIT_AT, DELIVER_AT, CONFIRM_AT = 9, 10, 11, 12, 13, 14
DELIVERY_NOTE = "illustrative delivery schedule"


@dataclass(frozen=True)
class Desk:
    """What the builder works through: the services in its one unit of work, and the code of
    the partner that the requests and offers are for."""

    delegations: DelegationService
    access: AccessService
    assistance: AssistanceService
    council: CouncilService
    guarantees: GuaranteesService
    obligations: ObligationsService
    envelope: EnvelopeService
    partner: str

    def actor(self, code: str) -> Actor:
        """A delegation's demo account: one each, named by its lower-case code."""
        return self.access.actor_for(code.lower())


@dataclass(order=True)
class Step:
    at: dt.datetime
    seq: int  # steps at the same moment run in the order they were added
    action: Callable[[], None] = field(compare=False)


class Timeline:
    def __init__(self) -> None:
        self.steps: list[Step] = []

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, day: dt.date, hour: int, action: Callable[[], None]) -> None:
        self.add_at(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC), action)

    def add_at(self, at: dt.datetime, action: Callable[[], None]) -> None:
        self.steps.append(Step(at, len(self.steps), action))

    def play(self, clock: FixedClock, progress: bool) -> None:
        """Run each step at its moment, in date order; with a progress bar if asked."""
        steps = sorted(self.steps)
        if not progress:
            for step in steps:
                clock.set(step.at)
                step.action()
            return
        with Progress(transient=True) as bar:
            task = bar.add_task("Playing the demo's history", total=len(steps))
            for step in steps:
                clock.set(step.at)
                step.action()
                bar.advance(task)


class OfferSteps:
    """The steps of one offer's lifecycle: made by the member, answered, committed, delivered
    and confirmed, each on its day."""

    def __init__(self, desk: Desk, life: Lifecycle, filed: dict[str, int]) -> None:
        self.desk, self.life, self.filed = desk, life, filed
        self.member, self.partner = desk.actor(life.member), desk.actor(desk.partner)
        self.offer_id = 0  # known once made
        self.delivery_ids: dict[int, int] = {}  # by index in life.deliveries, once recorded

    def schedule(self, timeline: Timeline) -> None:
        life = self.life
        timeline.add(life.offered_on, OFFER_AT, self.make)
        if life.answer:
            timeline.add(life.answer.on, ANSWER_AT, self.answer)
        if life.committed_on:
            timeline.add(life.committed_on, COMMIT_AT, self.commit)
        for n, delivery in enumerate(life.deliveries):
            timeline.add(delivery.delivered_on, DELIVER_AT, partial(self.record, n))
            if delivery.confirmed_on:
                timeline.add(delivery.confirmed_on, CONFIRM_AT, partial(self.confirm, n))

    def make(self) -> None:
        life = self.life
        self.offer_id = self.desk.assistance.make_offer(
            self.member,
            member=life.member,
            kind=life.kind,
            quantity=life.quantity,
            partner=self.desk.partner,
            request_id=self.filed[life.request] if life.request else None,
            area=life.area,
            item=life.item,
            value_cents=life.value_cents,
            description=life.description,
            source=life.source,
            illustrative=life.illustrative,
            releasability=life.releasability,
        )

    def answer(self) -> None:
        answer, assistance = self.life.answer, self.desk.assistance
        assert answer is not None  # scheduled only for an offer with an answer
        if answer.verb == "accept":
            assistance.accept(self.partner, self.offer_id)
        elif answer.verb == "decline":
            assistance.decline(self.partner, self.offer_id, answer.reason)
        else:
            assistance.withdraw(self.member, self.offer_id, answer.reason)

    def commit(self) -> None:
        self.desk.assistance.commit(self.member, self.offer_id)

    def record(self, n: int) -> None:
        delivery = self.life.deliveries[n]
        self.delivery_ids[n] = self.desk.assistance.record_delivery(
            self.member,
            self.offer_id,
            quantity=delivery.quantity,
            delivered_on=delivery.delivered_on,
            note=DELIVERY_NOTE,
        )

    def confirm(self, n: int) -> None:
        self.desk.assistance.confirm_delivery(self.partner, self.delivery_ids[n])
