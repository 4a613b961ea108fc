"""The security guarantees in the demo, put on the timeline: the agreements of 2024 as
instruments, what the demo invents around them, the membership pathway, and the trigger
exercise.

Each agreement is recorded by its signatory on its signing day, as the dataset gives it, with
the row's sources: the instrument, its 2024 amount (in EUR at the rate of exchange_rates.csv,
which the chair records the same day, when it is not in euros) and its clause to consult
within so many hours of an armed attack. What guarantees.toml adds is recorded as
illustrative. The scheduler's obligation jobs (settle consultations, open year ends, mark
overdue) are run in the demo's unit of work at the moments they would have run, as the council
part runs a silence deadline. The sources give days, not hours: the hours below are the demo's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from sqlalchemy import select

from shieldwall.demo.guarantee_records import (
    EURO,
    SOURCED_YEAR,
    Agreement,
    Exercise,
    GuaranteesPlan,
    LaterYears,
    OfferLink,
    PathwayMilestone,
    Rate,
    ReportFiled,
    check_exercise,
    check_guarantees,
    rates_used,
    read_agreements,
    read_guarantees,
    read_rates,
    resolve_offer_links,
)
from shieldwall.demo.records import Lifecycle, Seat
from shieldwall.demo.timeline import Desk, OfferSteps, Timeline
from shieldwall.guarantees.model import Category, ObligationAction, Trigger
from shieldwall.kit.errors import InvalidInput
from shieldwall.obligations import queries as obligation_queries
from shieldwall.obligations.tables import DueItem, TriggerEvent

SIGN_AT, ILLUSTRATIVE_AT, LINK_AT, PATHWAY_AT, REPORT_AT = 17, 18, 19, 16, 10
SECRETARIAT = "SEC"
PUBLIC = "public"  # the agreements are public, and so are the instruments made of them
ILLUSTRATIVE_BASIS = "illustrative: invented for the demo (no source splits this year)"
CONSULT_TEXT = (
    "Consult within {hours} hours of a future armed attack: the clause as the sources of the "
    "agreements dataset report it (consult_within_hours)."
)
PLACE = "NATO HQ, Brussels"


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@dataclass
class Signed:
    """What the guarantee steps recorded, once played: instrument and report-obligation ids
    by signatory."""

    instruments: dict[str, int] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)


def instrument_notes(agreement: Agreement, title_basis: str | None) -> str:
    """The row's notes, and what the demo made of the row."""
    made = [
        f"Title as {title_basis} give it."
        if title_basis
        else "Title in the demo's wording: the dataset records none."
    ]
    if agreement.duration_years is None:
        made.append("No term is stated in the sources: recorded open-ended.")
    if agreement.amount_2024 is None:
        made.append("No 2024 figure is stated in the sources: none recorded.")
    return f"{agreement.notes}\n\nIn the demo: {' '.join(made)}"


class InstrumentSteps:
    """One agreement, recorded on its signing day by its signatory; the illustrative later
    years and report clause, if guarantees.toml gives them, the same evening."""

    def __init__(
        self,
        desk: Desk,
        agreement: Agreement,
        plan: GuaranteesPlan,
        rate: Rate | None,
        signed: Signed,
    ) -> None:
        self.desk, self.agreement, self.plan, self.rate = desk, agreement, plan, rate
        self.signed = signed
        self.later = next((y for y in plan.later_years if y.signatory == agreement.signatory), None)

    def schedule(self, timeline: Timeline) -> None:
        on = self.agreement.signed_on
        timeline.add(on, SIGN_AT, self.sign)
        if self.later or self.agreement.signatory in self.plan.report.signatories:
            timeline.add(on, ILLUSTRATIVE_AT, self.illustrate)

    def sign(self) -> None:
        a, desk = self.agreement, self.desk
        signatory = desk.actor(a.signatory)
        title, basis = self.plan.titles.of(a)
        instrument_id = desk.guarantees.create_instrument(
            signatory,
            member=a.signatory,
            title=title,
            signed_on=a.signed_on,
            partner=desk.partner,
            place=a.place,
            valid_from=a.signed_on,
            duration_years=a.duration_years,
            until_accession=a.until_accession,
            notes=instrument_notes(a, basis),
            sources=" ".join(a.sources),
            releasability=PUBLIC,
        )
        self.signed.instruments[a.signatory] = instrument_id
        if a.amount_2024 is not None and a.currency is not None:
            self._amount_2024(instrument_id)
        if a.consult_within_hours is not None:
            desk.guarantees.add_obligation(
                signatory,
                instrument_id,
                trigger=Trigger.ARMED_ATTACK.value,
                action=ObligationAction.CONSULT.value,
                within_hours=a.consult_within_hours,
                description=CONSULT_TEXT.format(hours=a.consult_within_hours),
                sources=" ".join(a.sources),
            )

    def _amount_2024(self, instrument_id: int) -> None:
        """The 2024 figure exactly as stated, not broken down; converted at the signing day's
        rate, which the chair records first, when it is not in euros."""
        a, desk, rate = self.agreement, self.desk, self.rate
        assert a.amount_2024 is not None and a.currency is not None
        rate_on = None
        if a.currency != EURO:
            assert rate is not None  # rates_used gave each non-euro figure its rate
            rate_on = rate.rate_on
            desk.guarantees.record_rate(
                desk.actor(SECRETARIAT),
                currency=rate.currency,
                rate_on=rate.rate_on,
                units_per_eur=rate.units_per_eur,
                source=rate.source,
            )
        desk.guarantees.set_amount(
            desk.actor(a.signatory),
            instrument_id,
            year=SOURCED_YEAR,
            category=Category.UNALLOCATED.value,
            amount=Decimal(a.amount_2024),
            currency=a.currency,
            rate_on=rate_on,
            basis=a.scope,
            sources=" ".join(a.sources),
        )

    def illustrate(self) -> None:
        a, desk = self.agreement, self.desk
        signatory, instrument_id = desk.actor(a.signatory), self.signed.instruments[a.signatory]
        for amount in self.later.amounts if self.later else ():
            desk.guarantees.set_amount(
                signatory,
                instrument_id,
                year=amount.year,
                category=amount.category.value,
                amount=Decimal(amount.eur),
                currency=EURO,
                basis=ILLUSTRATIVE_BASIS,
                illustrative=True,
            )
        report = self.plan.report
        if a.signatory in report.signatories:
            self.signed.reports[a.signatory] = desk.guarantees.add_obligation(
                signatory,
                instrument_id,
                trigger=Trigger.YEAR_END.value,
                action=ObligationAction.REPORT.value,
                within_hours=report.within_days * 24,
                description=report.description,
                illustrative=True,
            )


def illustrative_amounts(later_years: tuple[LaterYears, ...]) -> int:
    return sum(len(y.amounts) for y in later_years)


def link_offers(
    desk: Desk,
    timeline: Timeline,
    links: tuple[OfferLink, ...],
    offers: list[OfferSteps],
    agreements: dict[str, Agreement],
    signed: Signed,
) -> None:
    """Each illustrative link, made by the member on the later of the offer's day and the
    signing day (``offers[n]`` is the offer the link names)."""

    def link(n: int) -> None:
        offer, wanted = offers[n], links[n]
        desk.guarantees.link_offer(
            desk.actor(wanted.member),
            offer.offer_id,
            signed.instruments[wanted.member],
            wanted.year,
        )

    for n, wanted in enumerate(links):
        day = max(offers[n].life.offered_on, agreements[wanted.member].signed_on)
        timeline.add(day, LINK_AT, partial(link, n))


def file_reports(
    desk: Desk, timeline: Timeline, filed: tuple[ReportFiled, ...], signed: Signed
) -> None:
    """Each illustrative report on implementation, recorded by its member on its day."""

    def record(n: int) -> None:
        report = filed[n]
        item_id = desk.obligations.s.scalar(
            select(DueItem.id).where(
                DueItem.obligation_id == signed.reports[report.signatory],
                DueItem.period_year == report.year,
            )
        )
        if item_id is None:
            raise InvalidInput(f"guarantees.toml report filed {n + 1}", "no report due then")
        desk.obligations.record_met(
            desk.actor(report.signatory),
            item_id,
            f"Illustrative: the report on implementation for {report.year} was sent to the "
            "partner and the secretariat.",
        )

    for n, report in enumerate(filed):
        timeline.add(report.on, REPORT_AT, partial(record, n))


def run_scheduler(desk: Desk) -> None:
    """What the scheduler's obligation jobs do at this moment (obligations.scheduled), in the
    demo's unit of work: settle held consultations, open ended years, mark overdue."""
    service = desk.obligations
    session, now = service.s, service.uow.clock.now()
    for item_id in obligation_queries.consultations_to_settle(session, now):
        service.settle_consultation(item_id)
    for obligation_id, year in obligation_queries.year_ends_to_open(session, now):
        service.open_year_end(obligation_id, year)
    for item_id in obligation_queries.overdue_to_mark(session, now):
        service.mark_overdue(item_id)


def scheduler_runs(
    desk: Desk, timeline: Timeline, first_year: int, within_days: int, present: dt.datetime
) -> None:
    """Run the obligation jobs when a year ends, just after its reports fall due, and at the
    demo's present."""
    for year in range(first_year + 1, present.year + 1):
        opens = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        due = opens + dt.timedelta(days=within_days, minutes=1)
        for at in (opens, due):
            if at < present:
                timeline.add_at(at, partial(run_scheduler, desk))
    timeline.add_at(present, partial(run_scheduler, desk))


def record_pathway(
    desk: Desk, timeline: Timeline, pathway: tuple[PathwayMilestone, ...], seated: dt.date
) -> None:
    """The chair records each step with its status and evidence, on its day (the council's
    first day for what came before it)."""

    def record(step: PathwayMilestone) -> None:
        chair = desk.actor(SECRETARIAT)
        step_id = desk.guarantees.add_step(
            chair,
            kind=step.kind,
            title=step.title,
            partner=desk.partner,
            description=step.description,
            status=step.status,
            sources=" ".join(step.sources),
            illustrative=step.illustrative,
            releasability=None if step.illustrative else PUBLIC,
        )
        desk.guarantees.update_step(chair, step_id, evidence=step.evidence)

    for step in pathway:
        timeline.add(max(step.on or seated, seated), PATHWAY_AT, partial(record, step))


def exercise(desk: Desk, timeline: Timeline, drill: Exercise, present: dt.datetime) -> None:
    """The trigger exercise, declared before the demo's present; the chair schedules the
    crisis consultation it convened for after the present, left for a user to hold."""
    declared = present - dt.timedelta(hours=drill.hours_before_present)
    event_id: list[int] = []

    def declare() -> None:
        event_id.append(
            desk.obligations.declare_trigger(
                desk.actor(drill.declared_by),
                kind=drill.trigger.value,
                occurred_at=declared,
                description=drill.description,
                partner=desk.partner,
                exercise=True,
                illustrative=True,
            )
        )

    def schedule() -> None:
        event = desk.obligations.s.get(TriggerEvent, event_id[0])
        assert event is not None and event.meeting_id is not None
        starts_at = present + dt.timedelta(hours=drill.consultation_in_hours)
        chair = desk.actor(SECRETARIAT)
        desk.council.schedule(chair, event.meeting_id, starts_at=starts_at, place=PLACE)

    timeline.add_at(declared, declare)
    timeline.add_at(declared + dt.timedelta(minutes=30), schedule)


@dataclass(frozen=True)
class GuaranteeFiles:
    """The guarantees' data files, read and checked before the database is touched; ``links``
    gives the index, in the demo's offers, of the offer each offer link names."""

    agreements: list[Agreement]
    rates: dict[str, Rate]
    plan: GuaranteesPlan
    links: list[int]


def read_guarantee_files(seats: list[Seat], lives: list[Lifecycle]) -> GuaranteeFiles:
    agreements, plan = read_agreements(), read_guarantees()
    check_guarantees(plan, agreements, seats)
    check_exercise(plan.exercise, agreements)
    rates = rates_used(agreements, read_rates())
    return GuaranteeFiles(agreements, rates, plan, resolve_offer_links(plan.offer_links, lives))


def schedule_guarantees(
    desk: Desk,
    timeline: Timeline,
    files: GuaranteeFiles,
    offers: list[OfferSteps],
    seated: dt.date,
    present: dt.datetime,
) -> dict[str, int]:
    """Put the guarantees on the timeline (``offers``: the steps of the demo's offers, in the
    order ``files.links`` counts them; ``seated``: the council's first day); what it will
    record, counted."""
    plan, signed = files.plan, Signed()
    if any(f.on >= present.date() for f in plan.report.filed):
        raise InvalidInput("guarantees.toml", "date what it records before the demo's present")
    for a in files.agreements:
        InstrumentSteps(desk, a, plan, files.rates.get(a.signatory), signed).schedule(timeline)
    by_code = {a.signatory: a for a in files.agreements}
    linked = [offers[i] for i in files.links]
    link_offers(desk, timeline, plan.offer_links, linked, by_code, signed)
    file_reports(desk, timeline, plan.report.filed, signed)
    first_year = min(a.signed_on for a in files.agreements).year
    scheduler_runs(desk, timeline, first_year, plan.report.within_days, present)
    record_pathway(desk, timeline, plan.pathway, seated)
    exercise(desk, timeline, plan.exercise, present)
    return {
        "instruments": len(files.agreements),
        "amounts_2024": sum(1 for a in files.agreements if a.amount_2024 is not None),
        "illustrative_amounts": illustrative_amounts(plan.later_years),
        "offer_links": len(plan.offer_links),
        "pathway_steps": len(plan.pathway),
        "exercises": 1,
    }
