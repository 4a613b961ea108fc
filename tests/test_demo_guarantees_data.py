"""The guarantees demo as data: the agreements file is the dataset's, unmodified; its rates are
those of the signing days; guarantees.toml is read strictly; a bad file is refused naming the
file and the entry."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from shieldwall.demo.envelope_records import EnvelopePlan, check_envelope, read_envelope
from shieldwall.demo.guarantee_records import (
    AGREEMENT_COLUMNS,
    RATE_COLUMNS,
    OfferLink,
    check_exercise,
    check_guarantees,
    rates_used,
    read_agreements,
    read_guarantees,
    read_rates,
    resolve_offer_links,
)
from shieldwall.demo.kiel import KIEL_WEAPONS, kiel_items, kiel_lifecycles
from shieldwall.demo.records import (
    HERE,
    Item,
    Lifecycle,
    read_areas,
    read_items,
    read_offers,
    read_requests,
    read_seats,
)
from shieldwall.guarantees.model import Category, Trigger
from shieldwall.importers.kiel import read_weapons
from shieldwall.kit.errors import InvalidInput

AGREEMENTS = HERE / "security_agreements_2024.csv"
# The read-only source, where a checkout has `shared/` laid out beside it.
SHARED_AGREEMENTS = (
    Path(__file__).resolve().parents[2] / "shared/data/security-agreements-2024/agreements.csv"
)
GUARANTEES = (HERE / "guarantees.toml").read_text(encoding="utf-8")


def test_the_agreements_file_is_the_datasets_unmodified() -> None:
    recorded, name = AGREEMENTS.with_name(AGREEMENTS.name + ".sha256").read_text().split()
    assert name == AGREEMENTS.name
    assert hashlib.sha256(AGREEMENTS.read_bytes()).hexdigest() == recorded
    if SHARED_AGREEMENTS.exists():
        assert AGREEMENTS.read_bytes() == SHARED_AGREEMENTS.read_bytes()


def test_the_agreements_keep_their_blanks() -> None:
    """The README's counts: blanks stay blank, nothing is filled in."""
    agreements = {a.signatory: a for a in read_agreements()}
    assert len(agreements) == 29
    assert {c for c, a in agreements.items() if a.until_accession} == {"GBR", "FRA"}
    assert {c for c, a in agreements.items() if a.duration_years is None} == {"EUU", "HRV", "GRC"}
    assert {a.duration_years for a in agreements.values()} == {10, None}
    unstated = {"ITA", "USA", "FIN", "POL", "ROU", "CZE", "HRV", "GRC", "ALB", "SWE", "LTU", "EST"}
    assert {c for c, a in agreements.items() if a.amount_2024 is None} == unstated
    assert all(a.currency is None and a.scope == "" for c, a in agreements.items() if c in unstated)
    consult = {"GBR", "DEU", "FRA", "DNK", "CAN", "ITA", "NLD", "BEL", "PRT", "USA", "JPN"}
    consult |= {"EUU", "LUX", "ROU"}
    assert {c for c, a in agreements.items() if a.consult_within_hours} == consult
    assert {a.consult_within_hours for a in agreements.values()} == {24, None}
    assert all(a.sources and a.sources[0].startswith("https://") for a in agreements.values())


def test_each_non_euro_figure_has_the_rate_of_its_signing_day() -> None:
    used = rates_used(read_agreements(), read_rates())
    assert {c: (r.currency, r.rate_on, r.units_per_eur) for c, r in used.items()} == {
        "GBR": ("GBP", dt.date(2024, 1, 12), Decimal("0.8595")),
        "CAN": ("CAD", dt.date(2024, 2, 23), Decimal("1.4587")),  # signed on a Saturday
        "ISL": ("ISK", dt.date(2024, 5, 31), Decimal("149.1")),
        "NOR": ("NOK", dt.date(2024, 5, 31), Decimal("11.383")),
        "JPN": ("USD", dt.date(2024, 6, 13), Decimal("1.0784")),
    }
    assert all(
        r.source.startswith("ECB euro foreign exchange reference rate") for r in used.values()
    )


ROW = (
    "GBR,United Kingdom,2024-01-12,Kyiv,10,yes,2500000000,GBP,military,24,A note.,"
    "https://example.org/a https://example.org/b\n"
)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ROW.replace("GBR,", "UK,"), "signatory: a three-letter code"),
        (ROW.replace("2024-01-12", "12/01/2024"), "signed_on: YYYY-MM-DD"),
        (ROW.replace(",10,", ",ten,"), "duration_years: a positive whole number or blank"),
        (ROW.replace(",yes,", ",no,"), "valid_until_accession: yes or blank"),
        (ROW.replace(",GBP,", ",,"), "all three or none"),
        (ROW.replace("2500000000", "2.5bn"), "support_2024_amount: a positive whole number"),
        (ROW.replace(",24,", ",0,"), "consult_within_hours: a positive whole number"),
        (ROW.replace("https://example.org/a https://example.org/b", ""), "sources"),
        (ROW.replace(",A note.", ""), "expected 12 fields"),
    ],
)
def test_a_bad_agreement_row_is_refused_naming_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    path = tmp_path / "security_agreements_2024.csv"
    path.write_text(",".join(AGREEMENT_COLUMNS) + "\n" + ROW.replace("GBR", "DEU") + row, "utf-8")
    with pytest.raises(InvalidInput) as refused:
        read_agreements(path)
    assert refused.value.detail.startswith("security_agreements_2024.csv line 3: ")
    assert message in refused.value.detail


RATE = "GBP,2024-01-12,0.8595,United Kingdom,ECB reference rate\n"


def _rates(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "exchange_rates.csv"
    path.write_text(",".join(RATE_COLUMNS) + "\n" + "".join(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (RATE.replace("GBP", "EUR"), "an ISO 4217 code other than EUR"),
        (RATE.replace("0.8595", "-1"), "units_per_eur: a positive number"),
        (RATE.replace("0.8595", "abc"), "units_per_eur: a number"),
        (RATE.replace("ECB reference rate", ""), "source is empty"),
    ],
)
def test_a_bad_rate_is_refused_naming_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_rates(_rates(tmp_path, row))
    assert refused.value.detail.startswith("exchange_rates.csv line 2: ")
    assert message in refused.value.detail


def test_a_figure_needs_its_signing_days_rate_and_every_rate_a_figure(tmp_path: Path) -> None:
    agreements = [a for a in read_agreements() if a.signatory in ("GBR", "DEU")]
    assert rates_used(agreements, read_rates(_rates(tmp_path, RATE)))["GBR"].units_per_eur
    week_before = RATE.replace("2024-01-12", "2024-01-05")
    with pytest.raises(InvalidInput, match=r"no GBP rate of 2024-01-12 .* for GBR's agreement"):
        rates_used(agreements, read_rates(_rates(tmp_path, week_before)))
    unused = RATE.replace("GBP", "CHF")
    with pytest.raises(
        InvalidInput, match=r"exchange_rates\.csv line 3: no agreement is converted"
    ):
        rates_used(agreements, read_rates(_rates(tmp_path, RATE, unused)))


# ---- guarantees.toml --------------------------------------------------------------------------


def test_guarantees_toml_reads_and_fits_the_agreements_and_the_council() -> None:
    plan, agreements = read_guarantees(), read_agreements()
    check_guarantees(plan, agreements, read_seats())
    check_exercise(plan.exercise, agreements)
    by_code = {a.signatory: a for a in agreements}
    assert plan.titles.of(by_code["JPN"]) == (
        "Accord on Support for Ukraine and Cooperation",
        "the dataset's notes",
    )
    assert plan.titles.of(by_code["GBR"]) == (
        "Agreement on security cooperation between Ukraine and the United Kingdom",
        None,
    )
    assert all(a.year > 2024 for later in plan.later_years for a in later.amounts)
    assert Category.UNALLOCATED not in {a.category for y in plan.later_years for a in y.amounts}
    assert plan.exercise.trigger is Trigger.ARMED_ATTACK and plan.exercise.declared_by == "UKR"
    met = [s for s in plan.pathway if s.status == "met"]
    assert len(met) == 3 and not any(s.illustrative for s in met)
    assert [s.kind for s in plan.pathway if s.illustrative] == ["condition"]


def _guarantees(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guarantees.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'year = 2025, category = "air defence", eur = 4_000',
            'year = 2024, category = "air defence", eur = 4_000',
            "later_years 1: year: after 2024",
        ),
        (
            'category = "armour"',
            'category = "tanks"',
            "later_years 1: category: 'tanks' is not a category",
        ),
        (
            'status = "met"\non = 2023-07-11\n',
            'status = "met"\n',
            "pathway 1: a step that is met says on which day",
        ),
        (
            'status = "in progress"',
            'status = "pending"',
            "pathway 3: status: not started, in progress, met",
        ),
        ("within_days = 90", 'within_days = "90"', "report: within_days: expected int"),
        (
            'item = "fpv-drone"\nyear = 2024',
            'item = "fpv-drone"\nyear = 2024\nyaer = 2025',
            "offer_link 2: unknown key(s) yaer",
        ),
        ('trigger = "armed attack"', 'trigger = "invasion"', "exercise: trigger: armed attack"),
        (
            '{ signatory = "GBR", year = 2024, on = 2025-03-14 }',
            '{ signatory = "USA", year = 2024, on = 2025-03-14 }',
            "report: filed: USA has no report clause",
        ),
        (
            '{ signatory = "GBR", year = 2024, on = 2025-03-14 }',
            '{ signatory = "GBR", year = 2024, on = 2024-12-14 }',
            "report: filed: a report for 2024 is filed after the year ends",
        ),
    ],
)
def test_a_bad_guarantees_entry_is_refused_naming_file_and_entry(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in GUARANTEES
    with pytest.raises(InvalidInput) as refused:
        read_guarantees(_guarantees(tmp_path, GUARANTEES.replace(old, new, 1)))
    assert refused.value.detail.startswith("guarantees.toml ")
    assert message in refused.value.detail


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('signatory = "NLD"', 'signatory = "HUN"', "later_years 3: 'HUN' signed no agreement"),
        ('signatory = "NLD"', 'signatory = "GBR"', "later_years 3: later years are in euros"),
        ('declared_by = "UKR"', 'declared_by = "POL"', "exercise: declared_by: the partner or"),
    ],
)
def test_guarantees_toml_must_fit_the_agreements_and_the_council(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    plan = read_guarantees(_guarantees(tmp_path, GUARANTEES.replace(old, new, 1)))
    with pytest.raises(InvalidInput, match=r"guarantees\.toml ") as refused:
        check_guarantees(plan, read_agreements(), read_seats())
    assert message in refused.value.detail


def test_a_signatory_is_seated_as_a_member_or_a_contributor() -> None:
    seats = [s for s in read_seats() if s.code != "JPN"]
    with pytest.raises(InvalidInput, match="JPN signs an agreement: seat it"):
        check_guarantees(read_guarantees(), read_agreements(), seats)


def test_the_exercise_leaves_time_to_consult(tmp_path: Path) -> None:
    text = GUARANTEES.replace("consultation_in_hours = 6", "consultation_in_hours = 21")
    plan = read_guarantees(_guarantees(tmp_path, text))
    with pytest.raises(InvalidInput, match="exercise: declared and consulted within 24 h"):
        check_exercise(plan.exercise, read_agreements())


def test_an_offer_link_names_exactly_one_demo_offer() -> None:
    offers: list[Lifecycle] = read_offers()
    [found] = resolve_offer_links((OfferLink("GBR", "mcm-vessel", 2024),), offers)
    assert (offers[found].member, offers[found].item) == ("GBR", "mcm-vessel")
    with pytest.raises(
        InvalidInput,
        match="offer_link 1: USA's offers of 'pac-3-interceptor': 2 in the demo, name one",
    ):
        resolve_offer_links((OfferLink("USA", "pac-3-interceptor", 2024),), [*offers, offers[0]])
    with pytest.raises(InvalidInput, match="offer_link 1: GBR's offers of 'f-16': 0 in the demo"):
        resolve_offer_links((OfferLink("GBR", "f-16", 2024),), offers)


# ---- envelope.toml ----------------------------------------------------------------------------

ENVELOPE = (HERE / "envelope.toml").read_text(encoding="utf-8")


def _demo_offers() -> list[Lifecycle]:
    seats, requests = read_seats(), read_requests()
    return [*kiel_lifecycles(list(read_weapons(KIEL_WEAPONS)), seats, requests), *read_offers()]


def _catalogue() -> list[Item]:
    return [*kiel_items(list(read_weapons(KIEL_WEAPONS))), *read_items()]


def _check_envelope(plan: EnvelopePlan) -> None:
    check_envelope(plan, [a.code for a in read_areas()], _catalogue(), _demo_offers())


def test_envelope_toml_reads_and_fits_the_catalogue_and_the_offers() -> None:
    plan = read_envelope()
    _check_envelope(plan)
    packages = {p.code: p for p in plan.packages}
    assert set(packages) == {
        "patriot-battery",
        "f-16-squadron",
        "155mm-artillery-battalion",
        "mine-countermeasures-group",
        "fpv-drone-company",
    }
    patriot = {c.item: (c.kind, c.per_month) for c in packages["patriot-battery"].components}
    assert patriot == {
        "patriot-air-defense-battery": ("equip", False),
        "pac-3-interceptor": ("arm", True),
        "air-defence-crew-training": ("train", False),
    }
    assert all("Illustrative" in p.description for p in plan.packages)
    [pending] = [d for d in plan.recent_deliveries if d.confirmed_after_days is None]
    assert (pending.member, pending.item) == ("USA", "air-defence-crew-training")
    assert all(t.days_after_present > 0 for t in plan.tranches)


def _envelope(tmp_path: Path, text: str) -> EnvelopePlan:
    path = tmp_path / "envelope.toml"
    path.write_text(text, encoding="utf-8")
    return read_envelope(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "train", per_unit = 3', 'kind = "crew", per_unit = 3', "package 1: kind: arm"),
        ("per_unit = 3 }", "per_unit = 0 }", "package 1: per_unit: 1 or more"),
        ("units_needed = 3\n", "units_needed = 0\n", "package 2: units_needed"),
        ("twelve trained pilots. Illustrative", "twelve trained pilots.", "package 2: descr"),
        ("days_before_present = 60\n", "days_before_present = 2\n", "recent_delivery 1: confi"),
        (
            "days_after_present = 20\n",
            "days_after_presnt = 20\n",
            "tranche 1: days_after_present is missing",
        ),
    ],
)
def test_a_bad_envelope_entry_is_refused_naming_file_and_entry(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in ENVELOPE
    with pytest.raises(InvalidInput) as refused:
        _envelope(tmp_path, ENVELOPE.replace(old, new, 1))
    assert refused.value.detail.startswith("envelope.toml ")
    assert message in refused.value.detail


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('area = "maritime"', 'area = "navy"', "package 4: no capability area 'navy'"),
        ('item = "mcm-vessel", kind', 'item = "mcm-ship", kind', "package 4: no item 'mcm-ship'"),
        ("quantity = 6_000\n", "quantity = 6_001\n", "recent_delivery 5: more than is left"),
        ('member = "NLD"', 'member = "BEL"', "tranche 6: BEL's offers of 'patriot-air-defense-b"),
        ('member = "GBR"', 'member = "BEL"', "tranche 9: BEL's offers of 'mcm-vessel': 0"),
    ],
)
def test_envelope_toml_must_fit_the_catalogue_and_the_offers(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=r"envelope\.toml ") as refused:
        _check_envelope(_envelope(tmp_path, ENVELOPE.replace(old, new, 1)))
    assert message in refused.value.detail


def test_only_a_committed_offer_gets_deliveries_and_tranches(tmp_path: Path) -> None:
    """Belgium's F-16 pilot training is accepted but not committed (offers.toml)."""
    text = ENVELOPE.replace('member = "NOR"', 'member = "BEL"') + (
        '\n[[tranche]]\nmember = "BEL"\nitem = "f-16-pilot-training"\nquantity = 1\n'
        "days_after_present = 10\n"
    )
    with pytest.raises(
        InvalidInput, match="tranche 11: BEL's offer of 'f-16-pilot-training' is not"
    ):
        _check_envelope(_envelope(tmp_path, text))
