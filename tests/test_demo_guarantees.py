"""The demo's security guarantees carry the agreements dataset's facts exactly, and mark what
the demo invents. The expected values are written out by hand from the dataset's rows
(shared/data/security-agreements-2024/agreements.csv) and the ECB rates beside them; the EUR
figures are the stated amounts divided by the rate, half to even to the cent, worked out by
hand, not by the code under test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.access.model import PUBLIC, SYSTEM
from shieldwall.assistance.tables import Delivery, Offer
from shieldwall.council.tables import Meeting, Proposal
from shieldwall.delegations.tables import Delegation
from shieldwall.envelope import queries as envelope_queries
from shieldwall.envelope.tables import CapabilityPackage, PlannedDelivery
from shieldwall.guarantees import queries
from shieldwall.guarantees.tables import (
    ExchangeRate,
    Instrument,
    InstrumentAmount,
    InstrumentOffer,
    Obligation,
    PathwayStep,
)
from shieldwall.kit.clock import FixedClock
from shieldwall.obligations.tables import DueItem, TriggerEvent
from tests.conftest import DEMO_NOW, BuiltDemo
from tests.platform import TestPlatform, open_test_platform


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# signatory: (signed on, the 2024 amount as stated in whole units, its currency); None where
# the dataset states no 2024 figure.
AGREEMENTS: dict[str, tuple[dt.date, int | None, str | None]] = {
    "GBR": (d("2024-01-12"), 2_500_000_000, "GBP"),
    "DEU": (d("2024-02-16"), 7_000_000_000, "EUR"),
    "FRA": (d("2024-02-16"), 3_000_000_000, "EUR"),
    "DNK": (d("2024-02-23"), 1_800_000_000, "EUR"),
    "CAN": (d("2024-02-24"), 3_020_000_000, "CAD"),
    "ITA": (d("2024-02-24"), None, None),
    "NLD": (d("2024-03-01"), 2_000_000_000, "EUR"),
    "FIN": (d("2024-04-03"), None, None),
    "LVA": (d("2024-04-11"), 112_000_000, "EUR"),
    "ESP": (d("2024-05-27"), 1_000_000_000, "EUR"),
    "BEL": (d("2024-05-28"), 977_000_000, "EUR"),
    "PRT": (d("2024-05-28"), 126_000_000, "EUR"),
    "SWE": (d("2024-05-31"), None, None),
    "ISL": (d("2024-05-31"), 4_000_000_000, "ISK"),
    "NOR": (d("2024-05-31"), 13_500_000_000, "NOK"),
    "USA": (d("2024-06-13"), None, None),
    "JPN": (d("2024-06-13"), 4_500_000_000, "USD"),
    "EUU": (d("2024-06-27"), 5_000_000_000, "EUR"),
    "LTU": (d("2024-06-27"), None, None),
    "EST": (d("2024-06-27"), None, None),
    "POL": (d("2024-07-08"), None, None),
    "LUX": (d("2024-07-10"), 80_000_000, "EUR"),
    "ROU": (d("2024-07-11"), None, None),
    "CZE": (d("2024-07-18"), None, None),
    "SVN": (d("2024-07-18"), 5_000_000, "EUR"),
    "IRL": (d("2024-09-04"), 128_000_000, "EUR"),
    "HRV": (d("2024-10-09"), None, None),
    "GRC": (d("2024-10-17"), None, None),
    "ALB": (d("2025-01-21"), None, None),
}
# The five figures not in euros, in euro cents: amount / ECB rate of the signing day (or the
# business day before), half to even. GBP 2,500,000,000 / 0.8595 = 2,908,667,830.1338…
EUR_CENTS = {
    "GBR": (290_866_783_013, d("2024-01-12"), "0.8595"),
    "CAN": (207_033_660_108, d("2024-02-23"), "1.4587"),  # 2,070,336,601.0831…
    "ISL": (2_682_763_246, d("2024-05-31"), "149.1"),  # 26,827,632.4614…
    "NOR": (118_597_909_163, d("2024-05-31"), "11.383"),  # 1,185,979,091.6278…
    "JPN": (417_284_866_469, d("2024-06-13"), "1.0784"),  # 4,172,848,664.6884…
}
OPEN_ENDED = {"EUU", "HRV", "GRC"}  # no term stated
UNTIL_ACCESSION = {"GBR", "FRA"}
CONSULT_24H = {"GBR", "DEU", "FRA", "DNK", "CAN", "ITA", "NLD", "BEL", "PRT", "USA", "JPN"}
CONSULT_24H |= {"EUU", "LUX", "ROU"}
ILLUSTRATIVE_YEARS = {"DEU", "FRA", "NLD", "DNK"}  # guarantees.toml's later_years
REPORTING = {"GBR", "DEU", "FRA", "NLD", "DNK"}


@dataclass
class Demo:
    ctx: TestPlatform
    session: Session
    code: dict[int, str]  # delegation id → code
    instruments: dict[str, Instrument]  # by signatory


@pytest.fixture(scope="module")
def demo(demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    url = demo_template.copy(tmp_path_factory.mktemp("demo-guarantees"))
    ctx = open_test_platform(url, FixedClock(DEMO_NOW))
    with ctx.reading() as s:
        code = {i: c for i, c in s.execute(select(Delegation.id, Delegation.code))}
        instruments = {code[i.member_id]: i for i in s.scalars(select(Instrument))}
        yield Demo(ctx, s, code, instruments)
    ctx.engine.dispose()


def _amounts(demo: Demo, year: int) -> dict[str, list[InstrumentAmount]]:
    by_code: dict[str, list[InstrumentAmount]] = {}
    rows = demo.session.scalars(select(InstrumentAmount).where(InstrumentAmount.year == year))
    for amount in rows:
        instrument = demo.session.get(Instrument, amount.instrument_id)
        assert instrument is not None
        by_code.setdefault(demo.code[instrument.member_id], []).append(amount)
    return by_code


def test_the_instruments_carry_exactly_the_datasets_dates_and_2024_amounts(demo: Demo) -> None:
    instruments = demo.instruments
    assert len(instruments) == 29 and set(instruments) == set(AGREEMENTS)
    partner = {demo.code[i.partner_id] for i in instruments.values()}
    assert partner == {"UKR"}
    amounts = _amounts(demo, 2024)
    assert set(amounts) == {c for c, (_on, amount, _cur) in AGREEMENTS.items() if amount}
    for code, (signed_on, amount, currency) in AGREEMENTS.items():
        instrument = instruments[code]
        assert (instrument.signed_on, instrument.valid_from) == (signed_on, signed_on), code
        assert not instrument.illustrative, code
        if amount is None:
            assert code not in amounts  # a blank stays blank
            continue
        [stated] = amounts[code]
        assert (stated.amount_minor, stated.currency) == (amount * 100, currency), code
        assert stated.category == "not broken down" and not stated.illustrative, code
        if currency == "EUR":
            assert (stated.eur_cents, stated.rate_id) == (amount * 100, None), code


def test_the_non_euro_figures_are_in_euros_at_the_signing_days_rate(demo: Demo) -> None:
    amounts = _amounts(demo, 2024)
    for code, (cents, rate_on, units) in EUR_CENTS.items():
        [stated] = amounts[code]
        assert stated.eur_cents == cents, code
        rate = demo.session.get(ExchangeRate, stated.rate_id)
        assert rate is not None
        assert (rate.currency, rate.rate_on, str(rate.units_per_eur.normalize())) == (
            AGREEMENTS[code][2],
            rate_on,
            units,
        )
        assert rate.source.startswith("ECB euro foreign exchange reference rate of ")


def test_the_instruments_keep_the_datasets_terms(demo: Demo) -> None:
    for code, instrument in demo.instruments.items():
        signed_on = AGREEMENTS[code][0]
        if code in OPEN_ENDED:
            assert (instrument.duration_years, instrument.valid_until) == (None, None), code
            assert "No term is stated in the sources: recorded open-ended." in instrument.notes
        else:
            ten_years = signed_on.replace(year=signed_on.year + 10)
            assert (instrument.duration_years, instrument.valid_until) == (10, ten_years), code
        assert instrument.until_accession == (code in UNTIL_ACCESSION), code
        assert instrument.releasability == "public", code
    assert demo.instruments["GBR"].valid_until == d("2034-01-12")
    assert demo.instruments["GBR"].place == "Kyiv (Mariinskyi Palace)"
    assert demo.instruments["JPN"].title == "Accord on Support for Ukraine and Cooperation"
    assert demo.instruments["IRL"].title == "Agreement on Support for Ukraine and Cooperation"
    assert demo.instruments["USA"].title == (
        "Agreement on security cooperation between Ukraine and the United States"
    )
    assert "Title in the demo's wording" in demo.instruments["USA"].notes
    assert "Title as the dataset's notes give it." in demo.instruments["JPN"].notes
    _total, public = queries.list_instruments(demo.session, PUBLIC, DEMO_NOW.date(), limit=100)
    assert len(public) == 29  # the agreements are public


def test_the_consultation_clauses_are_the_datasets(demo: Demo) -> None:
    clauses = _consult(demo)
    assert set(clauses) == CONSULT_24H
    for code, clause in clauses.items():
        assert (clause.trigger, clause.within_hours, clause.illustrative) == (
            "armed attack",
            24,
            False,
        ), code
        assert clause.sources == demo.instruments[code].sources, code


def _consult(demo: Demo) -> dict[str, Obligation]:
    by_id = {i.id: c for c, i in demo.instruments.items()}
    rows = demo.session.scalars(select(Obligation).where(Obligation.action == "consult"))
    return {by_id[o.instrument_id]: o for o in rows}


def test_every_sourced_instrument_carries_its_sources(demo: Demo) -> None:
    for code, instrument in demo.instruments.items():
        sources = instrument.sources.split()
        assert sources and all(s.startswith("https://") for s in sources), code
    gbr = demo.instruments["GBR"].sources.split()
    assert len(gbr) == 6 and gbr[0] == "https://www.pravda.com.ua/eng/news/2024/01/12/7436957/"
    for code, [stated] in _amounts(demo, 2024).items():
        assert stated.sources == demo.instruments[code].sources, code
        assert stated.basis, code  # the scope, as the dataset states it
    assert [a.basis for a in _amounts(demo, 2024)["DEU"]] == ["military (more than)"]


def test_every_invented_record_is_marked_illustrative(demo: Demo) -> None:
    s = demo.session
    later = s.scalars(select(InstrumentAmount).where(InstrumentAmount.year > 2024)).all()
    assert later and all(a.illustrative for a in later)
    assert _members_of(demo, later) == ILLUSTRATIVE_YEARS
    reports = s.scalars(select(Obligation).where(Obligation.action == "report")).all()
    assert len(reports) == len(REPORTING) and all(o.illustrative for o in reports)
    steps = s.scalars(select(PathwayStep)).all()
    assert [st.title for st in steps if st.illustrative] == [
        "Invitation when Allies agree and conditions are met"
    ]
    assert all(st.sources.startswith("https://") for st in steps)
    [event] = s.scalars(select(TriggerEvent)).all()
    assert event.illustrative
    meeting = s.get(Meeting, event.meeting_id)
    assert meeting is not None and meeting.illustrative
    assert all(p.illustrative for p in s.scalars(select(Proposal)))


def _members_of(demo: Demo, amounts: Sequence[InstrumentAmount]) -> set[str]:
    by_id = {i.id: c for c, i in demo.instruments.items()}
    return {by_id[a.instrument_id] for a in amounts}


def test_the_exercise_trigger_is_marked_and_its_clocks_run_at_the_present(demo: Demo) -> None:
    s = demo.session
    [event] = s.scalars(select(TriggerEvent)).all()
    assert (event.exercise, event.kind, demo.code[event.declared_by_id]) == (
        True,
        "armed attack",
        "UKR",
    )
    assert event.occurred_at == DEMO_NOW - dt.timedelta(hours=3)
    items = s.scalars(select(DueItem).where(DueItem.trigger_event_id == event.id)).all()
    assert {demo.code[i.member_id] for i in items} == CONSULT_24H  # all in force in 2026
    assert {i.state for i in items} == {"open"}
    assert {i.due_at for i in items} == {event.occurred_at + dt.timedelta(hours=24)}
    meeting = s.get(Meeting, event.meeting_id)
    assert meeting is not None and meeting.crisis and meeting.state == "scheduled"
    assert meeting.title.startswith("Exercise: ")
    assert meeting.starts_at == DEMO_NOW + dt.timedelta(hours=6)


def test_the_reports_on_implementation_are_met_late_or_overdue(demo: Demo) -> None:
    by_id = {i.id: c for c, i in demo.instruments.items()}
    items = demo.session.scalars(select(DueItem).where(DueItem.period_year.is_not(None))).all()
    standing = {
        (by_id[i.instrument_id], i.period_year): (i.state, i.met_at is not None) for i in items
    }
    assert standing == {
        ("GBR", 2024): ("met", True),
        ("DEU", 2024): ("met", True),
        ("FRA", 2024): ("met", True),
        ("NLD", 2024): ("overdue", True),  # met late
        ("DNK", 2024): ("overdue", False),
        **{(code, 2025): ("open", False) for code in REPORTING},  # due 1 April 2026
    }


def test_linked_offers_show_partial_fulfilment(demo: Demo) -> None:
    links = demo.session.scalars(select(InstrumentOffer)).all()
    assert len(links) == 14
    [gbr] = [
        f
        for f in queries.fulfilment(demo.session, SYSTEM, instrument_id=demo.instruments["GBR"].id)
        if f.year == 2024
    ]
    assert gbr.promised_eur_cents == EUR_CENTS["GBR"][0]
    assert 0 < gbr.delivered_eur_cents < gbr.committed_eur_cents < gbr.promised_eur_cents
    assert gbr.percent_fulfilled is not None and 0 < gbr.percent_fulfilled < 100


def test_the_membership_pathway_carries_its_sources(demo: Demo) -> None:
    steps = {st.title: st for st in demo.session.scalars(select(PathwayStep))}
    assert {t: st.status for t, st in steps.items()} == {
        "NATO–Ukraine Council established": "met",
        "Membership Action Plan requirement dropped": "met",
        "Invitation when Allies agree and conditions are met": "in progress",
        "Path to membership called irreversible": "met",
    }
    assert "https://ru.interfax.com.ua/news/general/999816.html" in (
        steps["Path to membership called irreversible"].sources
    )
    council = steps["NATO–Ukraine Council established"]
    assert "https://en.interfax.com.ua/news/general/922268.html" in council.sources
    assert council.evidence.startswith("2023-07-12 (SEC): Vilnius Summit Communiqué, 11 July 2023")
    assert {st.releasability for st in steps.values() if not st.illustrative} == {"public"}


def test_the_demo_counts_its_guarantees(demo_template: BuiltDemo) -> None:
    counts = demo_template.counts
    assert (counts["instruments"], counts["amounts_2024"]) == (29, 17)
    assert (counts["offer_links"], counts["pathway_steps"], counts["exercises"]) == (14, 4, 1)


# ---- the envelope -----------------------------------------------------------------------------

PACKAGES = {
    "patriot-battery",
    "f-16-squadron",
    "155mm-artillery-battalion",
    "mine-countermeasures-group",
    "fpv-drone-company",
}


def _readiness(ctx: TestPlatform, as_of: dt.date | None = None) -> dict[str, dict[str, Any]]:
    with ctx.reading() as s:
        rows = envelope_queries.list_packages(s, SYSTEM, DEMO_NOW.date(), as_of)
    return {p["code"]: p for p in rows}


def test_the_capability_packages_are_illustrative_and_name_what_limits_them(demo: Demo) -> None:
    packages = demo.session.scalars(select(CapabilityPackage)).all()
    assert {p.code for p in packages} == PACKAGES
    assert all(p.illustrative and "Illustrative" in p.description for p in packages)
    tranches = demo.session.scalars(select(PlannedDelivery)).all()
    assert len(tranches) == 10 and all(t.note.startswith("Illustrative") for t in tranches)
    assert all(t.expected_on > DEMO_NOW.date() for t in tranches)
    patriot = _readiness(demo.ctx)["patriot-battery"]
    assert patriot["limiting"]["item"] == "air-defence-crew-training"
    assert patriot["readiness"] == round(8 / 21, 4)  # 8 crews of the 3 × 7 needed
    projected = _readiness(demo.ctx, DEMO_NOW.date() + dt.timedelta(days=100))
    assert projected["patriot-battery"]["readiness"] > patriot["readiness"]
    assert projected["mine-countermeasures-group"]["readiness"] > 0  # the first vessel


def test_confirming_the_crew_training_raises_readiness(
    demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = demo_template.copy(tmp_path_factory.mktemp("demo-readiness"))
    ctx = open_test_platform(url, FixedClock(DEMO_NOW))
    before = _readiness(ctx)["patriot-battery"]
    with ctx.reading() as s:
        waiting = select(Delivery).where(Delivery.state == "recorded")
        [pending] = s.scalars(waiting.where(Delivery.note.startswith("illustrative delivery near")))
        offer = s.get(Offer, pending.offer_id)
        assert offer is not None
        member = s.get(Delegation, offer.member_id)
        assert member is not None and member.code == "USA" and pending.quantity == 2
        pending_id = pending.id
    ctx.assistance.confirm_delivery(ctx.access.actor_for("ukr"), pending_id)
    after = _readiness(ctx)["patriot-battery"]
    assert (before["readiness"], after["readiness"]) == (round(8 / 21, 4), round(10 / 21, 4))
    assert (before["units_ready"], after["units_ready"]) == (2, 3)
    ctx.engine.dispose()
