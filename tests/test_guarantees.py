"""Security guarantees through their service and queries, on SQLite and PostgreSQL, with an
injected clock. The expected figures are worked out by hand from the rules (README, "Security
guarantees"): an amount is converted to euro cents at the rate recorded for its date, rounded
half to even; an offer's ledger entries count toward the year its link names, else the year
each occurred in; % fulfilled is delivered over promised; burden-sharing counts every offer a
reader may see, and % of GDP uses Kiel's GDP (none for the EU)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from shieldwall.access.model import Actor
from shieldwall.assistance.tables import LedgerEntry
from shieldwall.audit.tables import AuditRecord
from shieldwall.guarantees import queries
from shieldwall.guarantees.queries import Fulfilment
from shieldwall.guarantees.tables import InstrumentOffer
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import (
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from tests.conftest import NOW, PASSWORD, SETUP, actor
from tests.platform import TestPlatform as Context

D = dt.date
GBP_2024 = D(2024, 1, 12)
GBP_2025 = D(2025, 1, 10)


def _uk(ctx: Context) -> Actor:
    """The United Kingdom, a member, and its officer ``gbr``."""
    ctx.delegations.seat_delegation(SETUP, code="GBR", name="United Kingdom", kind="member")
    ctx.access.add_user(SETUP, username="gbr", delegation="GBR", role="officer", password=PASSWORD)
    return actor(ctx, "gbr")


def _agreement(ctx: Context, gbr: Actor, **terms: object) -> int:
    found: int = ctx.guarantees.create_instrument(
        gbr,
        member="GBR",
        title="Agreement on Security Co-operation",
        signed_on=GBP_2024,
        place="Kyiv",
        duration_years=10,
        until_accession=True,
        termination_notice_months=6,
        **terms,  # type: ignore[arg-type]
    )
    return found


def _offer(ctx: Context, who: Actor, code: str, **what: object) -> int:
    """An offer of ``code`` to UKR, accepted and committed today."""
    a = ctx.assistance
    offer: int = a.make_offer(who, member=code, kind="arm", **what)  # type: ignore[arg-type]
    a.accept(actor(ctx, "ukr"), offer)
    a.commit(who, offer)
    return offer


def _deliver(ctx: Context, who: Actor, offer: int, quantity: int, on: dt.date) -> None:
    delivery = ctx.assistance.record_delivery(who, offer, quantity=quantity, delivered_on=on)
    ctx.assistance.confirm_delivery(actor(ctx, "ukr"), delivery)


def _fulfilment(ctx: Context, reader: Actor, instrument: int) -> list[Fulfilment]:
    with ctx.reading() as s:
        return queries.fulfilment(s, reader, instrument_id=instrument)


# ---- compliance per year ------------------------------------------------------------------


def test_compliance_per_year_across_years_and_currencies(
    seeded: Context, clock: FixedClock
) -> None:
    """The UK promises £5m (at 0.86 GBP to the euro on 12 January 2024) and €1m of training
    for 2024, and £4.2m (at 0.84 on 10 January 2025) for 2025. Its 1,000 rounds (€3.5m) are
    linked with no year: 400 delivered in June 2024 count toward 2024, 600 in February 2025
    toward 2025. Its 10 demining kits (€2.5m) are linked to 2024 and delivered in March 2025:
    they count toward 2024. A third offer, not linked, counts toward nothing."""
    g, sec, gbr = seeded.guarantees, actor(seeded, "sec"), _uk(seeded)
    g.record_rate(
        sec, currency="GBP", rate_on=GBP_2024, units_per_eur=Decimal("0.86"), source="ECB"
    )
    agreement = _agreement(seeded, gbr)
    g.set_amount(
        gbr,
        agreement,
        year=2024,
        category="not broken down",
        amount=Decimal("5000000"),
        currency="GBP",
        rate_on=GBP_2024,
        basis="military",
    )
    g.set_amount(
        gbr, agreement, year=2024, category="training", amount=Decimal("1000000"), currency="EUR"
    )
    rounds = _offer(seeded, gbr, "GBR", quantity=1000, item="155mm-round")
    kits = _offer(seeded, gbr, "GBR", quantity=10, item="demining-kit")
    _offer(seeded, gbr, "GBR", quantity=1, area="demining", value_cents=100_000_000)
    g.link_offer(gbr, rounds, agreement, None)
    g.link_offer(sec, kits, agreement, 2024)
    clock.set(dt.datetime(2024, 6, 2, 9, tzinfo=dt.UTC))
    _deliver(seeded, gbr, rounds, 400, D(2024, 6, 1))
    clock.set(dt.datetime(2025, 3, 15, 9, tzinfo=dt.UTC))
    g.record_rate(
        sec, currency="GBP", rate_on=GBP_2025, units_per_eur=Decimal("0.84"), source="ECB"
    )
    g.set_amount(
        gbr,
        agreement,
        year=2025,
        category="not broken down",
        amount=Decimal("4200000"),
        currency="GBP",
        rate_on=GBP_2025,
    )
    _deliver(seeded, gbr, rounds, 600, D(2025, 2, 1))
    _deliver(seeded, gbr, kits, 10, D(2025, 3, 1))

    # £5m / 0.86 = €5,813,953.488… → 581,395,349 cents; + €1m = 681,395,349. £4.2m / 0.84 =
    # €5m exactly. Committed in 2024: €3.5m + €2.5m. Delivered toward 2024: 400/1000 of €3.5m
    # (€1.4m) + the kits (€2.5m) = €3.9m, 57.2% of €6,813,953.49; toward 2025: €2.1m, 42.0%.
    assert _fulfilment(seeded, sec, agreement) == [
        Fulfilment(
            agreement,
            "GBR",
            2024,
            promised_eur_cents=681_395_349,
            promised_by_currency={"GBP": 500_000_000, "EUR": 100_000_000},
            committed_eur_cents=600_000_000,
            delivered_eur_cents=390_000_000,
        ),
        Fulfilment(
            agreement,
            "GBR",
            2025,
            promised_eur_cents=500_000_000,
            promised_by_currency={"GBP": 420_000_000},
            committed_eur_cents=0,
            delivered_eur_cents=210_000_000,
        ),
    ]
    assert [f.percent_fulfilled for f in _fulfilment(seeded, sec, agreement)] == [57.2, 42.0]
    with seeded.reading() as s:
        view = queries.get_instrument(s, sec, agreement, D(2025, 3, 15))
        # The ledger is never touched by a link: the entries keep their own dates.
        years = sorted({e.occurred_on.year for e in s.scalars(select(LedgerEntry))})
    assert years == [2024, 2025]
    assert view["fulfilment"] == [
        {
            "year": 2024,
            "promised_eur": 6_813_953.49,
            "promised": [
                {"currency": "EUR", "amount": 1_000_000.0},
                {"currency": "GBP", "amount": 5_000_000.0},
            ],
            "committed_eur": 6_000_000.0,
            "delivered_eur": 3_900_000.0,
            "percent_fulfilled": 57.2,
        },
        {
            "year": 2025,
            "promised_eur": 5_000_000.0,
            "promised": [{"currency": "GBP", "amount": 4_200_000.0}],
            "committed_eur": 0.0,
            "delivered_eur": 2_100_000.0,
            "percent_fulfilled": 42.0,
        },
    ]
    gbp = [a for a in view["amounts"] if a["currency"] == "GBP"]
    assert [
        (a["year"], a["eur"], a["rate"]["rate_on"], a["rate"]["units_per_eur"]) for a in gbp
    ] == [
        (2024, 5_813_953.49, GBP_2024, 0.86),
        (2025, 5_000_000.0, GBP_2025, 0.84),
    ]
    assert [(o["offer_id"], o["year"]) for o in view["offers"]] == [(rounds, None), (kits, 2024)]


def test_moving_a_link_moves_what_counts_and_is_audited(seeded: Context) -> None:
    """Linked to 2025 instead of each entry's year, the rounds committed in 2024 count toward
    2025; unlinked, toward nothing. Each move is audited with what the link was before."""
    g, sec, gbr = seeded.guarantees, actor(seeded, "sec"), _uk(seeded)
    agreement = _agreement(seeded, gbr)
    rounds = _offer(seeded, gbr, "GBR", quantity=100, item="155mm-round")  # €350,000
    g.link_offer(gbr, rounds, agreement, None)
    g.link_offer(gbr, rounds, agreement, None)  # the same link again: nothing changes
    assert [(f.year, f.committed_eur_cents) for f in _fulfilment(seeded, sec, agreement)] == [
        (2024, 35_000_000)
    ]
    g.link_offer(gbr, rounds, agreement, 2025)
    assert [(f.year, f.committed_eur_cents) for f in _fulfilment(seeded, sec, agreement)] == [
        (2025, 35_000_000)
    ]
    g.unlink_offer(sec, rounds)
    assert _fulfilment(seeded, sec, agreement) == []
    with pytest.raises(RuleViolation) as again:
        g.unlink_offer(gbr, rounds)
    assert again.value.extra["rule"] == "only a linked offer is unlinked"
    with seeded.reading() as s:
        moves = s.execute(
            select(AuditRecord.action, AuditRecord.before_state, AuditRecord.after_state)
            .where(AuditRecord.record_type == "offer", AuditRecord.action.like("instrument.%"))
            .order_by(AuditRecord.id)
        ).all()
        assert s.get(InstrumentOffer, rounds) is None
    link = f'{{"instrument_id":{agreement},"year":null}}'
    moved = f'{{"instrument_id":{agreement},"year":2025}}'
    assert [tuple(m) for m in moves] == [
        ("instrument.link_offer", None, link),
        ("instrument.link_offer", link, moved),
        ("instrument.unlink_offer", moved, None),
    ]


def test_an_offer_fulfils_only_its_own_members_instrument(seeded: Context) -> None:
    g, gbr, deu = seeded.guarantees, _uk(seeded), actor(seeded, "deu")
    agreement = _agreement(seeded, gbr)
    german = _offer(seeded, deu, "DEU", quantity=10, item="155mm-round")
    with pytest.raises(RuleViolation) as other:
        g.link_offer(actor(seeded, "sec"), german, agreement, None)
    assert other.value.extra["rule"] == "an offer fulfils an instrument of its own member"
    with pytest.raises(NotFound):  # DEU's offer is released to the partner: GBR cannot see it
        g.link_offer(gbr, german, agreement, None)


def test_link_refusals(seeded: Context) -> None:
    g, gbr, ukr = seeded.guarantees, _uk(seeded), actor(seeded, "ukr")
    agreement = _agreement(seeded, gbr)
    rounds = _offer(seeded, gbr, "GBR", quantity=10, item="155mm-round")
    with pytest.raises(Forbidden) as partner:
        g.link_offer(ukr, rounds, agreement, None)
    assert partner.value.detail.startswith("UKR may not link an offer to an instrument")
    with pytest.raises(InvalidInput) as missing:
        g.link_offer(gbr, rounds, 999, None)
    assert missing.value.extra["errors"] == [
        {"field": "instrument_id", "message": "instrument 999 does not exist"}
    ]
    with pytest.raises(NotFound):
        g.link_offer(gbr, 999, agreement, None)
    with pytest.raises(InvalidInput) as year:
        g.link_offer(gbr, rounds, agreement, 1899)
    assert year.value.extra["errors"][0]["field"] == "year"


# ---- refusals ------------------------------------------------------------------------------


def test_amount_refusals_name_the_field(seeded: Context) -> None:
    g, gbr = seeded.guarantees, _uk(seeded)
    agreement = _agreement(seeded, gbr)

    def refused(**given: object) -> tuple[str, str]:
        values: dict[str, object] = {
            "year": 2024,
            "category": "air defence",
            "amount": Decimal("10"),
            "currency": "EUR",
            **given,
        }
        with pytest.raises(InvalidInput) as exc:
            g.set_amount(gbr, agreement, **values)  # type: ignore[arg-type]
        error = exc.value.extra["errors"][0]
        return str(error["field"]), str(error["message"])

    assert refused(currency="GBP") == ("rate_on", "give the date of the GBP rate to convert at")
    assert refused(currency="GBP", rate_on=GBP_2024) == (
        "rate_on",
        "no GBP rate is recorded on 2024-01-12: record it first",
    )
    assert refused(category="tanks")[0] == "category"
    assert refused(currency="pounds") == (
        "currency",
        "'pounds' is not a currency: give its ISO 4217 code, like GBP",
    )
    assert refused(amount=Decimal("1.005")) == ("amount", "give at most two decimals")
    assert refused(year=2200) == ("year", "give a year from 1900 to 2199")
    assert refused(amount=Decimal("1000000000001")) == (
        "amount",
        "€1,000,000,000,001.00 is too much: the maximum is €1,000,000,000,000.00 per record",
    )
    with seeded.reading() as s:
        assert queries.get_instrument(s, gbr, agreement, NOW.date())["amounts"] == []


def test_an_amount_is_replaced_for_its_year_and_category(seeded: Context) -> None:
    g, gbr = seeded.guarantees, _uk(seeded)
    agreement = _agreement(seeded, gbr)
    first = g.set_amount(
        gbr, agreement, year=2024, category="air defence", amount=Decimal("5"), currency="EUR"
    )
    second = g.set_amount(
        gbr, agreement, year=2024, category="Air Defence", amount=Decimal("7.5"), currency="EUR"
    )
    assert first == second
    with seeded.reading() as s:
        amounts = queries.get_instrument(s, gbr, agreement, NOW.date())["amounts"]
        audited = s.execute(
            select(AuditRecord.before_state, AuditRecord.after_state)
            .where(AuditRecord.action == "instrument.amount")
            .order_by(AuditRecord.id)
        ).all()
    assert [(a["category"], a["amount"], a["eur"]) for a in amounts] == [("air defence", 7.5, 7.5)]
    assert audited[0][0] is None
    assert '"amount_minor":500' in str(audited[1][0])
    assert '"amount_minor":750' in str(audited[1][1])


def test_creating_an_instrument_refuses_what_it_cannot_be(seeded: Context) -> None:
    g, gbr, sec = seeded.guarantees, _uk(seeded), actor(seeded, "sec")

    def refused(who: Actor = gbr, **given: object) -> tuple[str, str]:
        values: dict[str, object] = {
            "member": "GBR",
            "title": "Agreement",
            "signed_on": GBP_2024,
            **given,
        }
        with pytest.raises(InvalidInput) as exc:
            g.create_instrument(who, **values)  # type: ignore[arg-type]
        error = exc.value.extra["errors"][0]
        return str(error["field"]), str(error["message"])

    assert refused(sec, member="UKR") == (
        "member",
        "UKR is a partner delegation: instruments are signed by members and contributors",
    )
    assert refused(member="XXX") == ("member", "no delegation with code 'XXX'")
    assert refused(partner="DEU") == ("partner", "DEU is not a partner")
    assert refused(signed_on=D(2024, 4, 3)) == ("signed_on", "2024-04-03 is in the future")
    assert refused(title="  ") == ("title", "cannot be empty")
    assert refused(duration_years=10, valid_until=D(2030, 1, 1))[0] == "valid_until"
    assert refused(termination_notice_months=121)[0] == "termination_notice_months"
    assert refused(releasability="own") == (
        "releasability",
        "may only widen the default (partner), not narrow it",
    )
    with pytest.raises(Forbidden) as other:
        g.create_instrument(actor(seeded, "fra"), member="GBR", title="x", signed_on=GBP_2024)
    assert other.value.detail == (
        "FRA may not record an instrument (for GBR): only the delegation the record belongs "
        "to or the secretariat may"
    )
    with seeded.reading() as s:
        assert queries.list_instruments(s, sec, NOW.date()) == (0, [])


def test_creates_are_idempotent_per_user(seeded: Context) -> None:
    g, gbr = seeded.guarantees, _uk(seeded)
    first = _agreement(seeded, gbr, idempotency_key="k-1")
    assert _agreement(seeded, gbr, idempotency_key="k-1") == first
    with pytest.raises(IdempotencyConflict):
        g.create_instrument(
            gbr, member="GBR", title="Other", signed_on=GBP_2024, idempotency_key="k-1"
        )
    step = g.add_step(actor(seeded, "sec"), kind="condition", title="Reforms", idempotency_key="s")
    assert (
        g.add_step(actor(seeded, "sec"), kind="condition", title="Reforms", idempotency_key="s")
        == step
    )
    with seeded.reading() as s:
        assert queries.list_instruments(s, gbr, NOW.date())[0] == 1
        assert len(queries.list_pathway(s, gbr)) == 1


# ---- termination notice -----------------------------------------------------------------


def test_termination_notice_is_respected(seeded: Context, clock: FixedClock) -> None:
    """Notice given on 31 March 2024 with six months' notice: in force on 29 September, not
    on 30 September; given once; by a party for itself, or recorded by the secretariat."""
    g, gbr, ukr, sec = seeded.guarantees, _uk(seeded), actor(seeded, "ukr"), actor(seeded, "sec")
    agreement = _agreement(seeded, gbr)
    with pytest.raises(Forbidden) as for_other:
        g.give_notice(gbr, agreement, given_on=D(2024, 3, 31), by="UKR")
    assert for_other.value.detail == (
        "GBR may not give notice for UKR: each party gives its own notice"
    )
    with pytest.raises(InvalidInput) as unnamed:
        g.give_notice(sec, agreement, given_on=D(2024, 3, 31))
    assert unnamed.value.extra["errors"][0]["field"] == "by"
    with pytest.raises(InvalidInput) as stranger:
        g.give_notice(sec, agreement, given_on=D(2024, 3, 31), by="DEU")
    assert stranger.value.detail == f"by: DEU is not a party to instrument {agreement}"
    with pytest.raises(InvalidInput) as early:
        g.give_notice(ukr, agreement, given_on=D(2024, 1, 11))
    assert early.value.detail == "given_on: 2024-01-11 is before the signing (2024-01-12)"
    with pytest.raises(Forbidden):
        g.give_notice(actor(seeded, "fra"), agreement, given_on=D(2024, 3, 31))
    g.give_notice(ukr, agreement, given_on=D(2024, 3, 31))
    with pytest.raises(RuleViolation) as twice:
        g.give_notice(gbr, agreement, given_on=D(2024, 4, 1))
    assert twice.value.detail == "notice was already given on 2024-03-31"
    with seeded.reading() as s:
        view = queries.get_instrument(s, sec, agreement, D(2024, 9, 29))
        after = queries.get_instrument(s, sec, agreement, D(2024, 9, 30))
        on_last_day = queries.list_instruments(s, sec, NOW.date(), in_force_on=D(2024, 9, 29))
        on_the_day = queries.list_instruments(s, sec, NOW.date(), in_force_on=D(2024, 9, 30))
    assert (view["notice_given_on"], view["notice_given_by"]) == (D(2024, 3, 31), "UKR")
    assert view["notice_takes_effect"] == view["ends_on"] == D(2024, 9, 30)
    assert (view["in_force"], after["in_force"]) == (True, False)
    assert (on_last_day[0], on_the_day[0]) == (1, 0)


# ---- releasability, contributors, audit --------------------------------------------------


def test_a_member_outside_sees_nothing_of_a_partner_level_instrument(seeded: Context) -> None:
    g, gbr = seeded.guarantees, _uk(seeded)
    agreement = _agreement(seeded, gbr, releasability="partner")
    g.set_amount(
        gbr, agreement, year=2024, category="drones", amount=Decimal("100"), currency="EUR"
    )
    rounds = _offer(seeded, gbr, "GBR", quantity=1, item="155mm-round", releasability="council")
    g.link_offer(gbr, rounds, agreement, None)
    fra, ukr = actor(seeded, "fra"), actor(seeded, "ukr")
    with seeded.reading() as s:
        assert queries.list_instruments(s, fra, NOW.date()) == (0, [])
        with pytest.raises(NotFound):
            queries.get_instrument(s, fra, agreement, NOW.date())
        assert queries.fulfilment(s, fra) == []
        fra_burden = queries.burden_sharing(s, fra)
        assert [(r.member, r.promised_eur_cents) for r in fra_burden.rows] == [("GBR", 0)]
        assert queries.list_instruments(s, ukr, NOW.date())[0] == 1
        assert queries.burden_sharing(s, ukr).rows[0].promised_eur_cents == 10_000
    with pytest.raises(NotFound):
        g.set_amount(
            fra, agreement, year=2024, category="drones", amount=Decimal(1), currency="EUR"
        )


def test_a_contributor_holds_instruments_and_offers_and_sees_only_its_own(
    seeded: Context,
) -> None:
    g, euu, sec = seeded.guarantees, actor(seeded, "euu"), actor(seeded, "sec")
    eu = g.create_instrument(
        euu, member="EUU", title="Joint security commitments", signed_on=D(2024, 3, 27)
    )
    gbr = _uk(seeded)
    uk = _agreement(seeded, gbr)  # council level: the EU does not sit in the council
    public = _agreement(seeded, gbr, releasability="public")
    offer = _offer(seeded, euu, "EUU", quantity=1, area="demining", value_cents=500_000)
    g.link_offer(euu, offer, eu, 2024)
    with pytest.raises(RuleViolation) as answering:
        request = seeded.assistance.file_request(
            actor(seeded, "ukr"),
            partner="UKR",
            title="Kits",
            area=None,
            item="demining-kit",
            quantity=1,
            value_cents=None,
            priority="low",
            need_by=None,
            justification="fields",
            releasability="public",
        )
        seeded.assistance.make_offer(
            euu, member="EUU", kind="equip", quantity=1, request_id=request
        )
    assert answering.value.extra["rule"] == "a contributor's offers answer no request"
    with seeded.reading() as s:
        seen = {i["id"] for i in queries.list_instruments(s, euu, NOW.date())[1]}
        burden = queries.burden_sharing(s, sec)
    assert seen == {eu, public} and uk not in seen
    eu_row = next(r for r in burden.rows if r.member == "EUU")
    assert (eu_row.kind, eu_row.committed_eur_cents, eu_row.gdp_eur_billion) == (
        "contributor",
        500_000,
        None,
    )
    assert eu_row.committed_pct_gdp is None  # "—", never 0%


def test_every_change_is_audited(seeded: Context) -> None:
    g, sec, gbr, ukr = seeded.guarantees, actor(seeded, "sec"), _uk(seeded), actor(seeded, "ukr")
    g.record_rate(
        sec, currency="GBP", rate_on=GBP_2024, units_per_eur=Decimal("0.86"), source="ECB"
    )
    agreement = _agreement(seeded, gbr)
    g.set_amount(
        gbr,
        agreement,
        year=2024,
        category="drones",
        amount=Decimal(1),
        currency="GBP",
        rate_on=GBP_2024,
    )
    g.add_obligation(gbr, agreement, trigger="armed attack", action="consult", within_hours=24)
    g.give_notice(gbr, agreement, given_on=D(2024, 4, 1))
    rounds = _offer(seeded, gbr, "GBR", quantity=1, item="155mm-round")
    g.link_offer(gbr, rounds, agreement, None)
    g.unlink_offer(gbr, rounds)
    step = g.add_step(sec, kind="condition", title="Reforms")
    g.update_step(sec, step, status="in progress")
    g.update_step(ukr, step, evidence="The law on the national police was passed")
    g.table_invitation_question(ukr, step, text="Invite Ukraine to join the alliance")
    with seeded.reading() as s:
        actions = Counter(
            a
            for a in s.scalars(select(AuditRecord.action))
            if a.split(".")[0] in ("exchange_rate", "instrument", "pathway", "proposal")
        )
    assert actions == {
        "exchange_rate.record": 1,
        "instrument.create": 1,
        "instrument.amount": 1,
        "instrument.obligation": 1,
        "instrument.notice": 1,
        "instrument.link_offer": 1,
        "instrument.unlink_offer": 1,
        "pathway.add": 1,
        "pathway.update": 2,
        "pathway.question": 1,
        "proposal.table": 1,
    }


# ---- rates --------------------------------------------------------------------------------


def test_a_dated_rate_is_recorded_once(seeded: Context) -> None:
    g, sec = seeded.guarantees, actor(seeded, "sec")
    first = g.record_rate(
        sec, currency="gbp", rate_on=GBP_2024, units_per_eur=Decimal("0.86"), source="ECB"
    )
    same = g.record_rate(
        sec, currency="GBP", rate_on=GBP_2024, units_per_eur=Decimal("0.860"), source="ECB"
    )
    assert same == first
    with pytest.raises(RuleViolation) as different:
        g.record_rate(
            sec, currency="GBP", rate_on=GBP_2024, units_per_eur=Decimal("0.87"), source="ECB"
        )
    assert different.value.detail.startswith("a GBP rate on 2024-01-12 is already recorded")
    with pytest.raises(InvalidInput) as euro:
        g.record_rate(sec, currency="EUR", rate_on=GBP_2024, units_per_eur=Decimal(1), source="x")
    assert euro.value.detail == "currency: amounts in euros need no rate"
    with pytest.raises(InvalidInput) as future:
        g.record_rate(
            sec, currency="USD", rate_on=D(2024, 4, 3), units_per_eur=Decimal(1), source="x"
        )
    assert future.value.detail == "rate_on: 2024-04-03 is in the future"
    with pytest.raises(InvalidInput) as unsourced:
        g.record_rate(sec, currency="USD", rate_on=GBP_2024, units_per_eur=Decimal(1), source=" ")
    assert unsourced.value.detail == "source: cannot be empty"
    with pytest.raises(Forbidden):
        g.record_rate(
            actor(seeded, "deu"),
            currency="USD",
            rate_on=GBP_2024,
            units_per_eur=Decimal("1.09"),
            source="x",
        )
    with seeded.reading() as s:
        assert queries.list_rates(s) == [
            {
                "id": first,
                "currency": "GBP",
                "rate_on": GBP_2024,
                "units_per_eur": 0.86,
                "source": "ECB",
            }
        ]
        assert queries.list_rates(s, "usd") == []


# ---- burden-sharing -----------------------------------------------------------------------


def test_burden_sharing_shares_gdp_and_promises(seeded: Context, clock: FixedClock) -> None:
    """DEU commits €36,017,500,000 (1.000% of Kiel's GDP of €3,601.75bn) and delivers half;
    NOR commits €4,076,760,134 in 2025 (1.000% of €407.68bn); the EU commits and delivers
    €1bn (no GDP: none). Of €41,094,260,134 committed DEU has 87.6%, NOR 9.9%, the EU 2.4%; of
    €19,008,750,000 delivered DEU 94.7%, the EU 5.3%. DEU promised €7bn for 2024."""
    g, deu, nor, euu = (
        seeded.guarantees,
        actor(seeded, "deu"),
        actor(seeded, "nor"),
        actor(seeded, "euu"),
    )
    german = g.create_instrument(deu, member="DEU", title="Agreement", signed_on=D(2024, 2, 16))
    g.set_amount(
        deu,
        german,
        year=2024,
        category="not broken down",
        amount=Decimal("7000000000"),
        currency="EUR",
    )
    loan = seeded.assistance.make_offer(
        deu,
        member="DEU",
        kind="finance",
        area="demining",
        quantity=2,
        value_cents=3_601_750_000_000,
    )
    seeded.assistance.accept(actor(seeded, "ukr"), loan)
    seeded.assistance.commit(deu, loan)
    _deliver(seeded, deu, loan, 1, D(2024, 4, 1))
    eu = _offer(seeded, euu, "EUU", quantity=1, area="demining", value_cents=100_000_000_000)
    _deliver(seeded, euu, eu, 1, D(2024, 4, 2))
    norwegian = seeded.assistance.make_offer(
        nor, member="NOR", kind="finance", area="demining", quantity=1, value_cents=407_676_013_400
    )
    seeded.assistance.accept(actor(seeded, "ukr"), norwegian)
    clock.set(dt.datetime(2025, 1, 5, tzinfo=dt.UTC))
    seeded.assistance.commit(nor, norwegian)
    sec = actor(seeded, "sec")
    with seeded.reading() as s:
        every_year = queries.burden_sharing(s, sec).as_dict()
        in_2024 = queries.burden_sharing(s, sec, year=2024).as_dict()
        with pytest.raises(InvalidInput):
            queries.burden_sharing(s, sec, year=1800)
    assert every_year["gdp_source"] == (
        "Kiel Institute, Ukraine Support Tracker, Release 29 (04/2026), column gdp"
    )
    assert (every_year["committed_eur"], every_year["delivered_eur"]) == (
        41_094_260_134.0,
        19_008_750_000.0,
    )
    rows = {r["member"]: r for r in every_year["rows"]}
    assert list(rows) == ["DEU", "NOR", "EUU"]
    assert rows["DEU"] == {
        "member": "DEU",
        "name": "Germany",
        "kind": "member",
        "committed_eur": 36_017_500_000.0,
        "delivered_eur": 18_008_750_000.0,
        "committed_share": 87.6,
        "delivered_share": 94.7,
        "gdp_eur_billion": 3601.74999999994,
        "committed_pct_gdp": 1.0,
        "delivered_pct_gdp": 0.5,
        "promised_eur": 7_000_000_000.0,
        "delivered_of_promised": 257.3,
    }
    assert (rows["NOR"]["committed_share"], rows["NOR"]["committed_pct_gdp"]) == (9.9, 1.0)
    assert (rows["NOR"]["delivered_share"], rows["NOR"]["delivered_of_promised"]) == (0.0, None)
    assert (rows["EUU"]["committed_share"], rows["EUU"]["delivered_share"]) == (2.4, 5.3)
    assert (rows["EUU"]["gdp_eur_billion"], rows["EUU"]["committed_pct_gdp"]) == (None, None)
    # In 2024 NOR had committed nothing yet: DEU and the EU share what was committed then.
    assert [(r["member"], r["committed_share"]) for r in in_2024["rows"]] == [
        ("DEU", 97.3),
        ("EUU", 2.7),
    ]
    assert in_2024["year"] == 2024


# ---- what the 2024 agreements hold ----------------------------------------------------------

# Three rows of ../shared/data/security-agreements-2024/agreements.csv (compiled for this
# project from public pages; see its README), as the demo loads all 29 through the service:
# signatory, signed_on, place, duration_years, until accession, the 2024 amount, its currency
# and scope, and the consultation clause.
AGREEMENTS = [
    ("GBR", "2024-01-12", "Kyiv (Mariinskyi Palace)", 10, True, "2500000000", "GBP", "military"),
    (
        "JPN",
        "2024-06-13",
        "Apulia, Italy (G7 summit)",
        10,
        False,
        "4500000000",
        "USD",
        "total (security, humanitarian, technical and financial)",
    ),
    (
        "EUU",
        "2024-06-27",
        "Brussels (European Council)",
        None,
        False,
        "5000000000",
        "EUR",
        "military (EPF Ukraine Assistance Fund)",
    ),
]


def test_the_service_carries_what_the_agreements_file_holds(
    seeded: Context, clock: FixedClock
) -> None:
    clock.set(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
    g, sec = seeded.guarantees, actor(seeded, "sec")
    _uk(seeded)
    seeded.delegations.seat_delegation(SETUP, code="JPN", name="Japan", kind="contributor")
    g.record_rate(
        sec, currency="GBP", rate_on=D(2024, 1, 2), units_per_eur=Decimal("0.8565"), source="ECB"
    )
    g.record_rate(
        sec, currency="USD", rate_on=D(2024, 1, 2), units_per_eur=Decimal("1.0811"), source="ECB"
    )
    for code, signed, place, years, accession, amount, currency, scope in AGREEMENTS:
        instrument = g.create_instrument(
            sec,
            member=code,
            title=f"Security agreement of {code} with Ukraine",
            signed_on=D.fromisoformat(signed),
            place=place,
            duration_years=years,
            until_accession=accession,
            notes="As stated by the sources.",
            sources="https://example.org/a https://example.org/b",
        )
        g.set_amount(
            sec,
            instrument,
            year=2024,
            category="not broken down",
            amount=Decimal(amount),
            currency=currency,
            rate_on=None if currency == "EUR" else D(2024, 1, 2),
            basis=scope,
        )
        g.add_obligation(sec, instrument, trigger="armed attack", action="consult", within_hours=24)
    with seeded.reading() as s:
        _n, listed = queries.list_instruments(s, sec, D(2026, 3, 2))
        views = [queries.get_instrument(s, sec, i["id"], D(2026, 3, 2)) for i in listed]
    assert [(v["member"], v["signed_on"], v["ends_on"], v["until_accession"]) for v in views] == [
        ("GBR", D(2024, 1, 12), D(2034, 1, 12), True),
        ("JPN", D(2024, 6, 13), D(2034, 6, 13), False),
        ("EUU", D(2024, 6, 27), None, False),  # the EU text sets no term
    ]
    # £2.5bn / 0.8565 = €2,918,855,808.52…; $4.5bn / 1.0811 = €4,162,427,157.52…
    assert [
        (a["amount"], a["currency"], a["eur"], a["basis"]) for v in views for a in v["amounts"]
    ] == [
        (2_500_000_000.0, "GBP", 2_918_855_808.52, "military"),
        (4_500_000_000.0, "USD", 4_162_427_157.52, AGREEMENTS[1][7]),
        (5_000_000_000.0, "EUR", 5_000_000_000.0, AGREEMENTS[2][7]),
    ]
    assert {(o["trigger"], o["within_hours"]) for v in views for o in v["obligations"]} == {
        ("armed attack", 24)
    }
    assert views[2]["sources"] == ["https://example.org/a", "https://example.org/b"]
    assert views[0]["place"] == "Kyiv (Mariinskyi Palace)"
