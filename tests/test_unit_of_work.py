"""Use cases run in the unit of work they are given: several commit as one, or none does."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from shieldwall.access.model import Actor
from shieldwall.assistance.service import AssistanceService
from shieldwall.assistance.tables import AssistanceRequest, LedgerEntry, Offer
from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from tests.conftest import actor
from tests.platform import TestPlatform


def counts(ctx: TestPlatform) -> tuple[int, int, int, int]:
    with ctx.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(AssistanceRequest)) or 0,
            s.scalar(select(func.count()).select_from(Offer)) or 0,
            s.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
            s.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


def file_and_answer(
    service: AssistanceService, partner: Actor, member: Actor, quantity: int
) -> int:
    request_id = service.file_request(
        partner,
        partner="UKR",
        title="Demining kits",
        area=None,
        item="demining-kit",
        quantity=10,
        value_cents=None,
        priority="high",
        need_by=None,
        justification="Fields to clear before sowing.",
    )
    return service.make_offer(
        member, member="DEU", kind="equip", quantity=quantity, request_id=request_id
    )


def test_two_use_cases_commit_as_one(ctx: TestPlatform) -> None:
    requests, offers, entries, audits = counts(ctx)
    ukr, deu = actor(ctx, "ukr"), actor(ctx, "deu")  # looked up before the unit of work begins
    with ctx.unit_of_work() as uow:
        offer_id = file_and_answer(AssistanceService(uow), ukr, deu, quantity=4)
        # The route's read happens in the same transaction, before the commit.
        seen = uow.session.get(Offer, offer_id)
        assert seen is not None and seen.quantity == 4
    assert counts(ctx) == (requests + 1, offers + 1, entries + 1, audits + 2)


def test_a_failing_second_use_case_leaves_nothing_of_the_first(ctx: TestPlatform) -> None:
    before = counts(ctx)
    ukr, deu = actor(ctx, "ukr"), actor(ctx, "deu")
    with pytest.raises(InvalidInput, match="quantity"), ctx.unit_of_work() as uow:
        file_and_answer(AssistanceService(uow), ukr, deu, quantity=0)
    assert counts(ctx) == before, "the request filed first was rolled back with the offer"


def test_one_clock_reading_per_use_case(ctx: TestPlatform, clock: FixedClock) -> None:
    """The ledger entry and the audit record of one use case carry the same instant."""
    clock.set(dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC))
    offer_id = ctx.assistance.make_offer(
        actor(ctx, "usa"), member="USA", kind="arm", quantity=2, item="155mm-round"
    )
    with ctx.reading() as s:
        entry_at = s.scalar(select(LedgerEntry.recorded_at).where(LedgerEntry.offer_id == offer_id))
        audit_at = s.scalar(
            select(AuditRecord.at).where(
                AuditRecord.record_type == "offer", AuditRecord.record_id == str(offer_id)
            )
        )
        offered_at = s.scalar(select(Offer.offered_at).where(Offer.id == offer_id))
    expected = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    assert entry_at == audit_at == offered_at == expected


def test_a_reading_session_keeps_no_write(ctx: TestPlatform) -> None:
    """A read ends with COMMIT (psycopg keeps its prepared statements only so), so what a
    reading session might write must not survive: pending ORM changes are rolled back on both
    databases, and PostgreSQL begins every read READ ONLY, so the server refuses a statement
    that writes."""
    ukr, deu = actor(ctx, "ukr"), actor(ctx, "deu")
    with ctx.unit_of_work() as uow:
        offer_id = file_and_answer(AssistanceService(uow), ukr, deu, quantity=4)
    before = counts(ctx)
    with ctx.reading() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None
        offer.quantity = 5  # a change left pending in the session
    with ctx.reading() as s:
        assert s.scalar(select(Offer.quantity).where(Offer.id == offer_id)) == 4
    if ctx.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="read-only transaction"), ctx.reading() as s:
            s.execute(text("UPDATE delegation SET name = name || '!'"))
    assert counts(ctx) == before
