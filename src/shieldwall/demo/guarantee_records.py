"""The demo's security guarantees, as read from the files beside this module.

``security_agreements_2024.csv`` is an unmodified copy of a compiled public dataset (29
agreements, one a row, with their sources); ``exchange_rates.csv`` holds the ECB reference
rates of the signing days for the figures not in euros; ``guarantees.toml`` holds the titles
the dataset records and everything the demo adds, which is illustrative. The readers are as
strict as those of records.py: a missing, unknown or mistyped column or key is an error naming
the file and the entry (a CSV row by its line).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from shieldwall.demo.records import (
    HERE,
    Entry,
    Lifecycle,
    Seat,
    load_toml,
    made,
    read_csv,
)
from shieldwall.guarantees.model import Category, Trigger
from shieldwall.kit.errors import InvalidInput

EURO = "EUR"
AGREEMENT_COLUMNS = (
    "signatory",
    "signatory_name",
    "signed_on",
    "place",
    "duration_years",
    "valid_until_accession",
    "support_2024_amount",
    "support_2024_currency",
    "support_2024_scope",
    "consult_within_hours",
    "notes",
    "sources",
)
RATE_COLUMNS = ("currency", "rate_on", "units_per_eur", "used_for", "source")
RATE_DAYS_BEFORE = 3  # a Saturday's agreement takes Friday's rate; no later than that
T = TypeVar("T")
SOURCED_YEAR = 2024  # the year the dataset gives a figure for; the demo invents no split of it


@dataclass(frozen=True)
class Agreement:
    """One row of the agreements dataset: the facts as stated, blanks kept blank."""

    signatory: str
    name: str
    signed_on: dt.date
    place: str
    duration_years: int | None  # None: no term stated
    until_accession: bool
    amount_2024: int | None  # whole units of ``currency``, as stated
    currency: str | None
    scope: str
    consult_within_hours: int | None
    notes: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Rate:
    """An ECB reference rate: ``units_per_eur`` units of ``currency`` to the euro."""

    currency: str
    rate_on: dt.date
    units_per_eur: Decimal
    used_for: str
    source: str


def read_agreements(path: Path = HERE / "security_agreements_2024.csv") -> list[Agreement]:
    agreements = read_csv(path, AGREEMENT_COLUMNS, _agreement)
    codes = [a.signatory for a in agreements]
    if len(set(codes)) != len(codes):
        raise InvalidInput(path.name, "one agreement per signatory")
    return agreements


def _agreement(row: dict[str, str]) -> Agreement:
    code = row["signatory"]
    if not (len(code) == 3 and code.isalpha() and code.isupper()):
        raise ValueError(f"signatory: a three-letter code, not {code!r}")
    if row["valid_until_accession"] not in ("yes", ""):
        raise ValueError(
            f"valid_until_accession: yes or blank, not {row['valid_until_accession']!r}"
        )
    money = (row["support_2024_amount"], row["support_2024_currency"], row["support_2024_scope"])
    if any(money) and not all(money):
        raise ValueError("support_2024_amount, _currency and _scope: all three or none")
    currency = money[1] or None
    if currency is not None and not (len(currency) == 3 and currency.isupper()):
        raise ValueError(f"support_2024_currency: an ISO 4217 code, not {currency!r}")
    sources = tuple(row["sources"].split())
    if not sources or not all(s.startswith(("https://", "http://")) for s in sources):
        raise ValueError("sources: one or more web addresses, separated by spaces")
    for column in ("signatory_name", "place"):
        if not row[column].strip():
            raise ValueError(f"{column} is empty")
    return Agreement(
        signatory=code,
        name=row["signatory_name"].strip(),
        signed_on=_date("signed_on", row["signed_on"]),
        place=row["place"].strip(),
        duration_years=_whole("duration_years", row["duration_years"]),
        until_accession=row["valid_until_accession"] == "yes",
        amount_2024=_whole("support_2024_amount", money[0]),
        currency=currency,
        scope=money[2].strip(),
        consult_within_hours=_whole("consult_within_hours", row["consult_within_hours"]),
        notes=row["notes"].strip(),
        sources=sources,
    )


def read_rates(path: Path = HERE / "exchange_rates.csv") -> list[Rate]:
    rates = read_csv(path, RATE_COLUMNS, _rate)
    keys = [(r.currency, r.rate_on) for r in rates]
    if len(set(keys)) != len(keys):
        raise InvalidInput(path.name, "one rate per currency and day")
    return rates


def _rate(row: dict[str, str]) -> Rate:
    currency = row["currency"]
    if not (len(currency) == 3 and currency.isupper()) or currency == EURO:
        raise ValueError(f"currency: an ISO 4217 code other than EUR, not {currency!r}")
    try:
        units = Decimal(row["units_per_eur"])
    except InvalidOperation:
        raise ValueError(f"units_per_eur: a number, not {row['units_per_eur']!r}") from None
    if not units.is_finite() or units <= 0:
        raise ValueError("units_per_eur: a positive number")
    if not row["source"].strip():
        raise ValueError("source is empty: say where the rate comes from")
    used_for = row["used_for"].strip()
    return Rate(currency, _date("rate_on", row["rate_on"]), units, used_for, row["source"].strip())


def rates_used(agreements: list[Agreement], rates: list[Rate]) -> dict[str, Rate]:
    """The rate each agreement not in euros is converted at, by signatory: the rate of its
    currency on the signing day, or on the last business day before it. Every rate is used."""
    used: dict[str, Rate] = {}
    for agreement in agreements:
        if agreement.currency in (None, EURO):
            continue
        on = agreement.signed_on
        earlier = [r for r in rates if r.currency == agreement.currency and r.rate_on <= on]
        rate = max(earlier, key=lambda r: r.rate_on, default=None)
        if rate is None or (on - rate.rate_on).days > RATE_DAYS_BEFORE:
            raise InvalidInput(
                "exchange_rates.csv",
                f"no {agreement.currency} rate of {on} (or the business day before) for "
                f"{agreement.signatory}'s agreement",
            )
        used[agreement.signatory] = rate
    for n, rate in enumerate(rates, start=2):
        if rate not in used.values():
            raise InvalidInput(f"exchange_rates.csv line {n}", "no agreement is converted at it")
    return used


def _date(column: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column}: YYYY-MM-DD, not {text!r}") from None


def _whole(column: str, text: str) -> int | None:
    """A positive whole number, or None for a blank field."""
    if not text:
        return None
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{column}: a positive whole number or blank, not {text!r}")
    return int(text)


# ---- guarantees.toml ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcedTitle:
    signatory: str
    title: str
    basis: str  # where in the dataset the title is found


@dataclass(frozen=True)
class Titles:
    """The titles the dataset records, and the demo's wording for the others."""

    pattern: str
    article: tuple[str, ...]
    sourced: tuple[SourcedTitle, ...]

    def of(self, agreement: Agreement) -> tuple[str, str | None]:
        """The instrument's title, and where the dataset gives it (None: the demo's wording)."""
        for title in self.sourced:
            if title.signatory == agreement.signatory:
                return title.title, title.basis
        name = f"the {agreement.name}" if agreement.signatory in self.article else agreement.name
        return self.pattern.format(name=name), None


@dataclass(frozen=True)
class YearAmount:
    year: int
    category: Category
    eur: int  # whole euros


@dataclass(frozen=True)
class LaterYears:
    """Illustrative amounts of one instrument for years after 2024, by category, in euros."""

    signatory: str
    amounts: tuple[YearAmount, ...]


@dataclass(frozen=True)
class ReportFiled:
    """An illustrative report on implementation: the signatory's, for ``year``, on ``on``."""

    signatory: str
    year: int
    on: dt.date


@dataclass(frozen=True)
class ReportClause:
    """An illustrative yearly obligation: at each year end, report within ``within_days``;
    the reports filed."""

    signatories: tuple[str, ...]
    within_days: int
    description: str
    filed: tuple[ReportFiled, ...]


@dataclass(frozen=True)
class OfferLink:
    """An illustrative link: the member's demo offer of ``item`` — or, for a Kiel row that
    lists several weapons, the offer carrying Kiel's value of its ``kiel_category`` — fulfils
    its instrument's ``year``."""

    member: str
    item: str | None
    year: int
    kiel_category: str | None = None


@dataclass(frozen=True)
class PathwayMilestone:
    """A step on the partner's membership pathway; ``illustrative`` where its status is the
    demo's."""

    kind: str
    title: str
    description: str
    status: str
    on: dt.date | None
    evidence: str
    sources: tuple[str, ...]
    illustrative: bool


@dataclass(frozen=True)
class Exercise:
    """The illustrative trigger exercise, dated from the demo's present."""

    trigger: Trigger
    declared_by: str
    hours_before_present: int
    description: str
    consultation_in_hours: int


@dataclass(frozen=True)
class GuaranteesPlan:
    titles: Titles
    later_years: tuple[LaterYears, ...]
    report: ReportClause
    offer_links: tuple[OfferLink, ...]
    pathway: tuple[PathwayMilestone, ...]
    exercise: Exercise


def read_guarantees(path: Path = HERE / "guarantees.toml") -> GuaranteesPlan:
    document = load_toml(path)
    plan = GuaranteesPlan(
        titles=_one(path, document, "titles", _titles),
        later_years=_each(path, document, "later_years", _later_years),
        report=_one(path, document, "report", _report),
        offer_links=_each(path, document, "offer_link", _offer_link),
        pathway=_each(path, document, "pathway", _pathway),
        exercise=_one(path, document, "exercise", _exercise),
    )
    made(path.name, lambda d: d.read(lambda _: None), document)  # no unknown table
    return plan


def _each(path: Path, document: Entry, array: str, make: Callable[[Entry], T]) -> tuple[T, ...]:
    """The tables of ``[[array]]``, each read strictly; a bad one is named by its number."""
    entries = made(path.name, lambda d: d.tables(array), document)
    return tuple(
        made(f"{path.name} {array} {n}", lambda e: e.read(make), entry)
        for n, entry in enumerate(entries, start=1)
    )


def _one(path: Path, document: Entry, table: str, make: Callable[[Entry], T]) -> T:
    entry = Entry(made(path.name, lambda d: d.need(table, dict), document))
    return made(f"{path.name} {table}", lambda e: e.read(make), entry)


def _titles(entry: Entry) -> Titles:
    pattern = entry.need("pattern", str)
    if "{name}" not in pattern or pattern.count("{") != 1:
        raise ValueError("pattern: a title with one {name} in it")
    sourced = tuple(
        t.read(
            lambda e: SourcedTitle(
                e.need("signatory", str), e.need("title", str), e.need("basis", str)
            )
        )
        for t in entry.tables("sourced")
    )
    return Titles(pattern, entry.strings("article"), sourced)


def _later_years(entry: Entry) -> LaterYears:
    def amount(e: Entry) -> YearAmount:
        year = e.need("year", int)
        if year <= SOURCED_YEAR:
            raise ValueError(
                f"year: after {SOURCED_YEAR} (the {SOURCED_YEAR} figure is the dataset's)"
            )
        eur = e.need("eur", int)
        if eur <= 0:
            raise ValueError("eur: a positive amount")
        return YearAmount(year, _category(e.need("category", str)), eur)

    amounts = tuple(a.read(amount) for a in entry.tables("amounts"))
    keys = [(a.year, a.category) for a in amounts]
    if not amounts or len(set(keys)) != len(keys):
        raise ValueError("amounts: one or more, one per year and category")
    return LaterYears(entry.need("signatory", str), amounts)


def _category(text: str) -> Category:
    """A category of the split; an illustrative year is split, never "not broken down"."""
    names = ", ".join(c.value for c in Category if c is not Category.UNALLOCATED)
    try:
        given = Category(text)
    except ValueError:
        raise ValueError(f"category: {text!r} is not a category; use one of: {names}") from None
    if given is Category.UNALLOCATED:
        raise ValueError(f"category: an illustrative year is split; use one of: {names}")
    return given


def _report(entry: Entry) -> ReportClause:
    report = ReportClause(
        signatories=entry.strings("signatories"),
        within_days=entry.need("within_days", int),
        description=entry.need("description", str),
        filed=tuple(f.read(_filed) for f in entry.tables("filed")),
    )
    if report.within_days < 1 or not report.signatories:
        raise ValueError("name the signatories, and give within_days of 1 or more")
    for filed in report.filed:
        if filed.signatory not in report.signatories:
            raise ValueError(f"filed: {filed.signatory} has no report clause (signatories)")
        if filed.on.year <= filed.year:
            raise ValueError(f"filed: a report for {filed.year} is filed after the year ends")
    keys = [(f.signatory, f.year) for f in report.filed]
    if len(set(keys)) != len(keys):
        raise ValueError("filed: one report per signatory and year")
    return report


def _filed(entry: Entry) -> ReportFiled:
    return ReportFiled(
        entry.need("signatory", str), entry.need("year", int), entry.need("on", dt.date)
    )


def _offer_link(entry: Entry) -> OfferLink:
    member, item = entry.need("member", str), entry.get("item", str)
    category = entry.get("kiel_category", str)
    if (item is None) == (category is None):
        raise ValueError("name the offer by its item or by its kiel_category, one of them")
    return OfferLink(member, item, entry.need("year", int), category)


PATHWAY_KINDS = ("milestone", "condition")
PATHWAY_STATUSES = ("not started", "in progress", "met")


def _pathway(entry: Entry) -> PathwayMilestone:
    step = PathwayMilestone(
        kind=entry.need("kind", str),
        title=entry.need("title", str),
        description=entry.need("description", str),
        status=entry.need("status", str),
        on=entry.get("on", dt.date),
        evidence=entry.need("evidence", str),
        sources=entry.strings("sources"),
        illustrative=bool(entry.get("illustrative", bool)),
    )
    if step.kind not in PATHWAY_KINDS:
        raise ValueError(f"kind: {' or '.join(PATHWAY_KINDS)}, not {step.kind!r}")
    if step.status not in PATHWAY_STATUSES:
        raise ValueError(f"status: {', '.join(PATHWAY_STATUSES)}, not {step.status!r}")
    if step.status == "met" and step.on is None:
        raise ValueError("a step that is met says on which day (on)")
    if not step.sources or not all(s.startswith(("https://", "http://")) for s in step.sources):
        raise ValueError("sources: one or more web addresses")
    return step


def _exercise(entry: Entry) -> Exercise:
    given = entry.need("trigger", str)
    try:
        trigger = Trigger(given)
    except ValueError:
        raise ValueError(f"trigger: {', '.join(t.value for t in Trigger)}, not {given!r}") from None
    exercise = Exercise(
        trigger=trigger,
        declared_by=entry.need("declared_by", str),
        hours_before_present=entry.need("hours_before_present", int),
        description=entry.need("description", str),
        consultation_in_hours=entry.need("consultation_in_hours", int),
    )
    if exercise.hours_before_present < 1 or exercise.consultation_in_hours < 1:
        raise ValueError(
            "declared an hour or more before the present, to meet an hour or more after"
        )
    return exercise


def check_guarantees(plan: GuaranteesPlan, agreements: list[Agreement], seats: list[Seat]) -> None:
    """guarantees.toml names signatories of the agreements file and delegations seated in the
    council, and its exercise leaves the consultation clocks running at the demo's present."""
    signatories = {a.signatory: a for a in agreements}
    seated = {s.code: s.kind for s in seats}
    for a in agreements:
        if seated.get(a.signatory) not in ("member", "contributor"):
            raise InvalidInput(
                "security_agreements_2024.csv",
                f"{a.signatory} signs an agreement: seat it in delegations.csv as a member or "
                "a contributor",
            )
    named = [(f"titles sourced {n}", t.signatory) for n, t in enumerate(plan.titles.sourced, 1)]
    named += [("titles article", code) for code in plan.titles.article]
    named += [(f"later_years {n}", y.signatory) for n, y in enumerate(plan.later_years, 1)]
    named += [("report", code) for code in plan.report.signatories]
    named += [(f"offer_link {n}", link.member) for n, link in enumerate(plan.offer_links, 1)]
    for where, code in named:
        if code not in signatories:
            raise InvalidInput(f"guarantees.toml {where}", f"{code!r} signed no agreement")
    for n, later in enumerate(plan.later_years, start=1):
        if signatories[later.signatory].currency != EURO:
            raise InvalidInput(
                f"guarantees.toml later_years {n}",
                "later years are in euros: give them for a signatory whose 2024 figure is",
            )
    _check_people(plan, seated)


def _check_people(plan: GuaranteesPlan, seated: dict[str, str]) -> None:
    if seated.get(plan.exercise.declared_by) not in ("partner", "secretariat"):
        raise InvalidInput("guarantees.toml exercise", "declared_by: the partner or the chair")


def check_exercise(exercise: Exercise, agreements: list[Agreement]) -> None:
    """The exercise's consultation is scheduled before the shortest consultation clock runs
    out, so that holding it meets the due items."""
    clocks = [a.consult_within_hours for a in agreements if a.consult_within_hours]
    if clocks and exercise.hours_before_present + exercise.consultation_in_hours >= min(clocks):
        raise InvalidInput(
            "guarantees.toml exercise",
            f"declared and consulted within {min(clocks)} h: the shortest consultation clock",
        )


def resolve_offer_links(links: tuple[OfferLink, ...], lives: list[Lifecycle]) -> list[int]:
    """The index in ``lives`` of the one demo offer each link names (its member and item, or
    its member and Kiel category)."""
    found = []
    for n, link in enumerate(links, start=1):
        matches = [
            i
            for i, life in enumerate(lives)
            if (life.member, life.item, life.kiel_category)
            == (link.member, link.item, link.kiel_category)
        ]
        if len(matches) != 1:
            named = link.item or link.kiel_category
            raise InvalidInput(
                f"guarantees.toml offer_link {n}",
                f"{link.member}'s offers of {named!r}: {len(matches)} in the demo, name one",
            )
        found.append(matches[0])
    return found
