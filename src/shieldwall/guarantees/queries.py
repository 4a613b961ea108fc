"""Reads of security guarantees, each inside the reader's releasability (DESIGN rule 4)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, extract, func, select
from sqlalchemy.orm import Session, aliased

from shieldwall.access.model import Actor
from shieldwall.assistance import balances
from shieldwall.assistance.model import Measure
from shieldwall.assistance.queries import (
    cents_to_eur,
    measure_sums,
    measure_totals,
    rollup_sums,
)
from shieldwall.assistance.tables import LedgerEntry, Offer, ledger_rollup
from shieldwall.assistance.visibility import readable_offer_ids, readable_offers, readable_rollups
from shieldwall.council.tables import Proposal
from shieldwall.council.visibility import readable_proposals
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees import model
from shieldwall.guarantees.policy import SIGNATORY_KINDS
from shieldwall.guarantees.tables import (
    ExchangeRate,
    Instrument,
    InstrumentAmount,
    InstrumentOffer,
    Obligation,
    PathwayStep,
)
from shieldwall.guarantees.visibility import readable_instruments, readable_pathway
from shieldwall.kit.amounts import cents_sums, total
from shieldwall.kit.errors import InvalidInput, NotFound
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.listing import Column, Filter, FilterKind, Listing, Option


@dataclass
class Fulfilment:
    """One instrument's year: what it promised (in EUR, and per original currency) and what the
    ledger shows committed and delivered toward it."""

    instrument_id: int
    member: str
    year: int
    promised_eur_cents: int = 0
    promised_by_currency: dict[str, int] = field(default_factory=dict)  # hundredths
    committed_eur_cents: int = 0
    delivered_eur_cents: int = 0

    @property
    def percent_fulfilled(self) -> float | None:
        return model.percent_fulfilled(self.delivered_eur_cents, self.promised_eur_cents)


def _entry_year() -> ColumnElement[int]:
    """The year a ledger entry counts toward: the link's, else the year it occurred in."""
    return func.coalesce(InstrumentOffer.year, extract("year", LedgerEntry.occurred_on))


def _promised(session: Session, where: list[ColumnElement[bool]]) -> Any:
    """Per instrument, year and currency: the amounts as stated (hundredths) and in EUR."""
    return session.execute(
        select(
            InstrumentAmount.instrument_id,
            InstrumentAmount.year,
            InstrumentAmount.currency,
            func.sum(InstrumentAmount.amount_minor),
            func.sum(InstrumentAmount.eur_cents),
        )
        .join(Instrument, Instrument.id == InstrumentAmount.instrument_id)
        .where(*where)
        .group_by(InstrumentAmount.instrument_id, InstrumentAmount.year, InstrumentAmount.currency)
    )


def _linked_ledger(session: Session, reader: Actor, where: list[ColumnElement[bool]]) -> Any:
    """Per instrument and the year each entry counts toward: the measures' sums over the
    ledger entries of the readable offers linked to it."""
    entry_year = _entry_year().label("year")
    columns: list[Any] = [
        InstrumentOffer.instrument_id,
        entry_year,
        *measure_sums(session.get_bind().dialect.name),
    ]
    return session.execute(
        select(*columns)
        .join(LedgerEntry, LedgerEntry.offer_id == InstrumentOffer.offer_id)
        .join(Instrument, Instrument.id == InstrumentOffer.instrument_id)
        .where(*where, LedgerEntry.offer_id.in_(readable_offer_ids(reader)))
        .group_by(InstrumentOffer.instrument_id, entry_year)
    )


def fulfilment(
    session: Session,
    reader: Actor,
    *,
    instrument_id: int | None = None,
    member_id: int | None = None,
) -> list[Fulfilment]:
    """Per readable instrument and year: promised, committed and delivered (EUR cents), from
    the instrument's amounts and the ledger entries of the (readable) offers linked to it."""
    where = [readable_instruments(reader)]
    if instrument_id is not None:
        where.append(Instrument.id == instrument_id)
    if member_id is not None:
        where.append(Instrument.member_id == member_id)
    rows: dict[tuple[int, int], Fulfilment] = {}
    code = {
        i: c
        for i, c in session.execute(
            select(Instrument.id, Delegation.code)
            .join(Delegation, Delegation.id == Instrument.member_id)
            .where(*where)
        )
    }

    def row(i: int, year: int) -> Fulfilment:
        return rows.setdefault((i, year), Fulfilment(i, code[i], year))

    by_currency: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for i, year, currency, minor, cents in _promised(session, where):
        r = row(i, int(year))
        r.promised_eur_cents += int(cents)
        by_currency[(i, int(year))][currency] = int(minor)
    for key, currencies in by_currency.items():
        rows[key].promised_by_currency = currencies
    for entry in _linked_ledger(session, reader, where):
        totals = measure_totals(entry._mapping)
        f = row(entry.instrument_id, int(entry.year))
        f.committed_eur_cents = totals[Measure.COMMITTED.value].value_cents
        f.delivered_eur_cents = totals[Measure.DELIVERED.value].value_cents
    return sorted(rows.values(), key=lambda f: (f.member, f.instrument_id, f.year))


class PromiseFigures(Protocol):
    """What was promised toward a year (in EUR cents, and per currency in hundredths) and what
    was committed and delivered toward it: an instrument's year, or compliance's rows."""

    promised_eur_cents: int
    promised_by_currency: dict[str, int]
    committed_eur_cents: int
    delivered_eur_cents: int

    @property
    def percent_fulfilled(self) -> float | None: ...


def fulfilment_dict(f: Fulfilment) -> dict[str, Any]:
    return {"year": f.year, **promise_figures(f)}


def promise_figures(f: PromiseFigures) -> dict[str, Any]:
    """The figures as the API answers them, in EUR as every summary does."""
    return {
        "promised_eur": cents_to_eur(f.promised_eur_cents),
        "promised": [
            {"currency": c, "amount": cents_to_eur(minor)}
            for c, minor in sorted(f.promised_by_currency.items())
        ],
        "committed_eur": cents_to_eur(f.committed_eur_cents),
        "delivered_eur": cents_to_eur(f.delivered_eur_cents),
        "percent_fulfilled": f.percent_fulfilled,
    }


# ---- instruments ---------------------------------------------------------------------------


def _codes(session: Session) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(Delegation.id, Delegation.code, Delegation.name))
    return {d: (code, name) for d, code, name in rows}


def _split(sources: str) -> list[str]:
    return sources.split() if sources else []


def instrument_dict(
    i: Instrument, codes: dict[int, tuple[str, str]], today: dt.date
) -> dict[str, Any]:
    """An instrument's terms, with the day it ends and whether it binds ``today``: both by
    ``model.ends_on`` and ``model.in_force`` (a termination notice is respected)."""
    ends = model.ends_on(i.valid_until, i.notice_given_on, i.termination_notice_months)
    return {
        "id": i.id,
        "member": codes[i.member_id][0],
        "member_name": codes[i.member_id][1],
        "member_id": i.member_id,  # for the policy's questions (pages)
        "partner": codes[i.partner_id][0],
        "partner_id": i.partner_id,
        "title": i.title,
        "signed_on": i.signed_on,
        "place": i.place,
        "valid_from": i.valid_from,
        "valid_until": i.valid_until,
        "duration_years": i.duration_years,
        "until_accession": i.until_accession,
        "termination_notice_months": i.termination_notice_months,
        "notice_given_on": i.notice_given_on,
        "notice_given_by": codes[i.notice_given_by_id][0] if i.notice_given_by_id else None,
        "notice_takes_effect": model.notice_takes_effect(
            i.notice_given_on, i.termination_notice_months
        )
        if i.notice_given_on
        else None,
        "ends_on": ends,
        "in_force": model.in_force(
            today, i.valid_from, i.valid_until, i.notice_given_on, i.termination_notice_months
        ),
        "notes": i.notes,
        "sources": _split(i.sources),
        "illustrative": i.illustrative,
        "releasability": i.releasability,
    }


# ---- the instruments' list (kit.listing) -------------------------------------------------------

Signatory = aliased(Delegation, name="signatory")
YES_NO = (N_("yes"), N_("no"))


def _in_force_ids(session: Session, reader: Actor, today: dt.date) -> list[int]:
    """The ids of the instruments ``reader`` may see that are in force on ``today``: whether
    one is in force is ``model.in_force`` (a notice's effect counts), which SQL cannot say."""
    terms = session.execute(
        select(
            Instrument.id,
            Instrument.valid_from,
            Instrument.valid_until,
            Instrument.notice_given_on,
            Instrument.termination_notice_months,
        ).where(readable_instruments(reader))
    ).all()
    return [
        i
        for i, valid_from, until, notice, months in terms
        if model.in_force(today, valid_from, until, notice, months)
    ]


def instruments_listing(
    session: Session, reader: Actor, today: dt.date
) -> tuple[Listing, Select[Any]]:
    """The instruments list — by holder, in force or not, signing and term-end dates, and the
    title or signatory searched — and the statement it runs for ``reader``. Whether an
    instrument is in force is ``model.in_force`` (a notice's effect counts), so that filter
    is the ids the rule keeps, read from the instruments the reader may see."""
    binding = _in_force_ids(session, reader, today)
    holders = [
        Option(code, f"{name} ({code})", delegation_id)
        for delegation_id, code, name in session.execute(
            select(Delegation.id, Delegation.code, Delegation.name)
            .where(Delegation.kind.in_([k.value for k in SIGNATORY_KINDS]))
            .order_by(Delegation.code)
        )
    ]
    listing = Listing(
        path="/instruments",
        name="instruments",
        tiebreak=Instrument.id,
        default_sort="signed",
        columns=(
            Column("member", N_("Signatory"), Signatory.code),
            Column("member_name", N_("Signatory's name"), shown=False),
            Column("title", N_("Instrument"), func.lower(Instrument.title)),
            Column("signed", N_("Signed"), Instrument.signed_on),
            Column("valid_from", N_("Valid from"), Instrument.valid_from, shown=False),
            Column("term_ends", N_("Term ends"), Instrument.valid_until, shown=False),
            Column("ends", N_("Ends")),
            Column("in_force", N_("In force")),
            Column("promised", N_("Promised this year (EUR)"), numeric=True, euros=True),
            Column("delivered", N_("Delivered this year (EUR)"), numeric=True, euros=True),
            Column("fulfilled", N_("Fulfilled"), numeric=True),
        ),
        filters=(
            Filter("member", N_("Signatory"), Instrument.member_id, options=tuple(holders)),
            Filter(
                "in_force",
                N_("In force"),
                options=tuple(Option(w, _(w)) for w in YES_NO),
                where=lambda yes: (
                    Instrument.id.in_(binding) if yes == "yes" else Instrument.id.not_in(binding)
                ),
            ),
            Filter("signed_from", N_("Signed from"), Instrument.signed_on, FilterKind.DATE_FROM),
            Filter("signed_to", N_("Signed until"), Instrument.signed_on, FilterKind.DATE_TO),
            Filter("ends_from", N_("Term ends from"), Instrument.valid_until, FilterKind.DATE_FROM),
            Filter("ends_to", N_("Term ends until"), Instrument.valid_until, FilterKind.DATE_TO),
        ),
        search=(Instrument.title, Signatory.name),
        search_label=N_("Search titles and signatories"),
        page_size=50,
    )
    stmt = cast(
        Select[Any],
        select(Instrument)
        .join(Signatory, Signatory.id == Instrument.member_id)
        .where(readable_instruments(reader)),
    )
    return listing, stmt


def instrument_rows(
    session: Session, reader: Actor, instruments: list[Instrument], today: dt.date
) -> list[dict[str, Any]]:
    """The instruments of a page (or a download), as the list shows them: their terms, and
    this year's promise and delivery (``fulfilment``)."""
    codes = _codes(session)
    ids = {i.id for i in instruments}
    this_year = {
        f.instrument_id: fulfilment_dict(f)
        for f in fulfilment(session, reader)
        if f.year == today.year and f.instrument_id in ids
    }
    return [
        {**instrument_dict(i, codes, today), "this_year": this_year.get(i.id)} for i in instruments
    ]


def instrument_export(row: dict[str, Any]) -> dict[str, Any]:
    """An instrument as a download's row: names, numbers and dates as themselves."""
    year = row["this_year"] or {}
    fulfilled = year.get("percent_fulfilled")
    return {
        "member": row["member"],
        "member_name": row["member_name"],
        "title": row["title"],
        "signed": row["signed_on"],
        "valid_from": row["valid_from"],
        "term_ends": row["valid_until"],
        "ends": row["ends_on"],
        "in_force": _("yes") if row["in_force"] else _("no"),
        "promised": year.get("promised_eur"),
        "delivered": year.get("delivered_eur"),
        "fulfilled": None if fulfilled is None else fulfilled / 100,
    }


def _delegation_id(session: Session, field_name: str, code: str) -> int:
    found = session.scalar(select(Delegation.id).where(Delegation.code == code.strip().upper()))
    if found is None:
        raise InvalidInput(field_name, _("no delegation with code {code!r}").format(code=code))
    return found


def list_instruments(
    session: Session,
    reader: Actor,
    today: dt.date,
    *,
    member: str | None = None,
    partner: str | None = None,
    in_force_on: dt.date | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """The instruments ``reader`` may see, by signing date; ``in_force_on`` keeps those that
    bind on that day (``model.in_force``)."""
    stmt = select(Instrument).where(readable_instruments(reader))
    if member:
        stmt = stmt.where(Instrument.member_id == _delegation_id(session, "member", member))
    if partner:
        stmt = stmt.where(Instrument.partner_id == _delegation_id(session, "partner", partner))
    rows = list(session.scalars(stmt.order_by(Instrument.signed_on, Instrument.id)))
    if in_force_on is not None:
        rows = [
            i
            for i in rows
            if model.in_force(
                in_force_on,
                i.valid_from,
                i.valid_until,
                i.notice_given_on,
                i.termination_notice_months,
            )
        ]
    codes = _codes(session)
    page = [instrument_dict(i, codes, today) for i in rows[offset : offset + limit]]
    return len(rows), page


def _amounts(session: Session, instrument_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(InstrumentAmount, ExchangeRate)
        .outerjoin(ExchangeRate, ExchangeRate.id == InstrumentAmount.rate_id)
        .where(InstrumentAmount.instrument_id == instrument_id)
        .order_by(InstrumentAmount.year, InstrumentAmount.category)
    ).all()
    return [
        {
            "id": a.id,
            "year": a.year,
            "category": a.category,
            "amount": cents_to_eur(a.amount_minor),
            "currency": a.currency,
            "eur": cents_to_eur(a.eur_cents),
            "rate": None if r is None else rate_dict(r),
            "basis": a.basis,
            "sources": _split(a.sources),
            "illustrative": a.illustrative,
        }
        for a, r in rows
    ]


def _obligations(session: Session, instrument_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Obligation).where(Obligation.instrument_id == instrument_id).order_by(Obligation.id)
    )
    return [
        {
            "id": o.id,
            "trigger": o.trigger,
            "action": o.action,
            "within_hours": o.within_hours,
            "description": o.description,
            "sources": _split(o.sources),
            "illustrative": o.illustrative,
        }
        for o in rows
    ]


def linked_offers(session: Session, reader: Actor, instrument_id: int) -> list[dict[str, Any]]:
    """The offers linked to the instrument that ``reader`` may see, with the year each counts
    toward (None: each entry's own year)."""
    rows = session.execute(
        select(InstrumentOffer, Offer)
        .join(Offer, Offer.id == InstrumentOffer.offer_id)
        .where(InstrumentOffer.instrument_id == instrument_id, readable_offers(reader))
        .order_by(Offer.id)
    ).all()
    return [
        {
            "offer_id": o.id,
            "year": link.year,
            "linked_at": link.linked_at,
            "kind": o.kind,
            "description": o.description,
            "state": o.state,
            "value_eur": cents_to_eur(o.value_cents),
            "illustrative": o.illustrative,
        }
        for link, o in rows
    ]


def get_instrument(
    session: Session, reader: Actor, instrument_id: int, today: dt.date
) -> dict[str, Any]:
    """An instrument with its amounts, obligations, linked offers and fulfilment per year."""
    instrument = session.scalar(
        select(Instrument).where(Instrument.id == instrument_id, readable_instruments(reader))
    )
    if instrument is None:
        raise NotFound(
            _("instrument {instrument_id} does not exist").format(instrument_id=instrument_id)
        )
    view = instrument_dict(instrument, _codes(session), today)
    view["amounts"] = _amounts(session, instrument.id)
    view["obligations"] = _obligations(session, instrument.id)
    view["offers"] = linked_offers(session, reader, instrument.id)
    years = fulfilment(session, reader, instrument_id=instrument.id)
    view["fulfilment"] = [fulfilment_dict(f) for f in years]
    return view


def linkable_offers(session: Session, reader: Actor, instrument_id: int) -> list[dict[str, Any]]:
    """The offers ``reader`` may see that could fulfil the instrument: the same member and
    partner, not linked to it yet."""
    instrument = session.scalar(
        select(Instrument).where(Instrument.id == instrument_id, readable_instruments(reader))
    )
    if instrument is None:
        return []
    linked = select(InstrumentOffer.offer_id).where(InstrumentOffer.instrument_id == instrument_id)
    rows = session.scalars(
        select(Offer)
        .where(
            Offer.member_id == instrument.member_id,
            Offer.partner_id == instrument.partner_id,
            Offer.id.not_in(linked),
            readable_offers(reader),
        )
        .order_by(Offer.id)
    )
    return [
        {"id": o.id, "description": o.description, "kind": o.kind, "state": o.state} for o in rows
    ]


# ---- exchange rates ------------------------------------------------------------------------


def rate_dict(r: ExchangeRate) -> dict[str, Any]:
    return {
        "id": r.id,
        "currency": r.currency,
        "rate_on": r.rate_on,
        "units_per_eur": float(r.units_per_eur),
        "source": r.source,
    }


def rates_of(session: Session, currency: str) -> list[tuple[dt.date, Decimal]]:
    """A currency's recorded rates (units per euro), by day: what an import converts at."""
    code = model.currency("currency", currency)
    rows = session.execute(
        select(ExchangeRate.rate_on, ExchangeRate.units_per_eur)
        .where(ExchangeRate.currency == code)
        .order_by(ExchangeRate.rate_on)
    )
    return [(r.rate_on, r.units_per_eur) for r in rows]


def list_rates(session: Session, currency: str | None = None) -> list[dict[str, Any]]:
    """The dated reference rates (reference data: every signed-in reader sees them)."""
    stmt = select(ExchangeRate)
    if currency:
        stmt = stmt.where(ExchangeRate.currency == model.currency("currency", currency))
    rows = session.scalars(stmt.order_by(ExchangeRate.currency, ExchangeRate.rate_on))
    return [rate_dict(r) for r in rows]


# ---- burden-sharing ------------------------------------------------------------------------


@dataclass
class Burden:
    """One member's (or contributor's) share: committed and delivered from the ledger (all
    its readable offers), what its instruments promised, and its GDP (EUR billion, as the
    delegation records it: the Kiel tracker's)."""

    member: str
    name: str
    kind: str
    committed_eur_cents: int = 0
    delivered_eur_cents: int = 0
    promised_eur_cents: int = 0
    gdp_eur_billion: Decimal | None = None
    committed_share: float | None = None  # % of everyone's committed
    delivered_share: float | None = None

    @property
    def committed_pct_gdp(self) -> float | None:
        return model.percent_of_gdp(self.committed_eur_cents, self.gdp_eur_billion)

    @property
    def delivered_pct_gdp(self) -> float | None:
        return model.percent_of_gdp(self.delivered_eur_cents, self.gdp_eur_billion)

    @property
    def committed_share_of_gdp(self) -> Decimal | None:
        """Committed as % of GDP, unrounded (``committed_pct_gdp`` is to three decimals)."""
        return model.share_of_gdp(self.committed_eur_cents, self.gdp_eur_billion)

    @property
    def delivered_of_promised(self) -> float | None:
        return model.percent_fulfilled(self.delivered_eur_cents, self.promised_eur_cents)

    def as_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "name": self.name,
            "kind": self.kind,
            "committed_eur": cents_to_eur(self.committed_eur_cents),
            "delivered_eur": cents_to_eur(self.delivered_eur_cents),
            "committed_share": self.committed_share,
            "delivered_share": self.delivered_share,
            "gdp_eur_billion": None
            if self.gdp_eur_billion is None
            else float(self.gdp_eur_billion),
            "committed_pct_gdp": self.committed_pct_gdp,
            "delivered_pct_gdp": self.delivered_pct_gdp,
            "promised_eur": cents_to_eur(self.promised_eur_cents),
            "delivered_of_promised": self.delivered_of_promised,
        }


@dataclass
class BurdenSharing:
    year: int | None
    rows: list[Burden]
    committed_eur_cents: int
    delivered_eur_cents: int
    promised_eur_cents: int
    gdp_source: str = ""  # where the GDPs shown come from (each delegation records its own)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "gdp_source": self.gdp_source,
            "committed_eur": cents_to_eur(self.committed_eur_cents),
            "delivered_eur": cents_to_eur(self.delivered_eur_cents),
            "promised_eur": cents_to_eur(self.promised_eur_cents),
            "rows": [r.as_dict() for r in self.rows],
        }


def _ledger_by_member(session: Session, reader: Actor, year: int | None) -> dict[int, Any]:
    """Per member, the ledger's balances (of one year: its months), from the roll-ups."""
    r = ledger_rollup.c
    where = [r.grain == (balances.COARSE if year is None else balances.BY_MONTH)]
    if year is not None:
        where += [r.month >= f"{year:04d}-01", r.month <= f"{year:04d}-12"]
    if not reader.sees_everything:
        where.append(readable_rollups(reader))
    rows = session.execute(select(r.member_id, *rollup_sums()).where(*where).group_by(r.member_id))
    return {r.member_id: measure_totals(r._mapping) for r in rows}


def _promised_by_member(session: Session, reader: Actor, year: int | None) -> dict[int, int]:
    where = [readable_instruments(reader)]
    if year is not None:
        where.append(InstrumentAmount.year == year)
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(Instrument.member_id, *cents_sums(InstrumentAmount.eur_cents, "p", dialect))
        .join(Instrument, Instrument.id == InstrumentAmount.instrument_id)
        .where(*where)
        .group_by(Instrument.member_id)
    )
    return {r.member_id: total(r._mapping, "p") for r in rows}


def burden_sharing(session: Session, reader: Actor, *, year: int | None = None) -> BurdenSharing:
    """Per member and contributor, over the offers and instruments ``reader`` may see (in
    ``year``, or over all years): committed and delivered (the ledger, every offer, linked to
    an instrument or not), each as a share of everyone's, and as % of GDP (Kiel's ``gdp``;
    none for the EU); and what its instruments promised, with delivered against it."""
    if year is not None:
        model.year("year", year)
    ledger = _ledger_by_member(session, reader, year)
    promised = _promised_by_member(session, reader, year)
    rows: list[Burden] = []
    sources: set[str] = set()
    signatories = session.scalars(
        select(Delegation)
        .where(Delegation.kind.in_([DelegationKind.MEMBER, DelegationKind.CONTRIBUTOR]))
        .order_by(Delegation.code)
    )
    for d in signatories:
        sums = ledger.get(d.id)
        gdp = Decimal(d.gdp_eur_bn) if d.gdp_eur_bn is not None else None
        row = Burden(d.code, d.name, d.kind, gdp_eur_billion=gdp)
        if sums is not None:
            row.committed_eur_cents = sums[Measure.COMMITTED.value].value_cents
            row.delivered_eur_cents = sums[Measure.DELIVERED.value].value_cents
        row.promised_eur_cents = promised.get(d.id, 0)
        if row.committed_eur_cents or row.delivered_eur_cents or row.promised_eur_cents:
            rows.append(row)
            if gdp is not None and d.gdp_source:
                sources.add(d.gdp_source)
    committed = sum(r.committed_eur_cents for r in rows)
    delivered = sum(r.delivered_eur_cents for r in rows)
    for r in rows:
        r.committed_share = model.share_percent(r.committed_eur_cents, committed)
        r.delivered_share = model.share_percent(r.delivered_eur_cents, delivered)
    rows.sort(key=lambda r: (-r.committed_eur_cents, -r.promised_eur_cents, r.member))
    promised_total = sum(r.promised_eur_cents for r in rows)
    return BurdenSharing(
        year, rows, committed, delivered, promised_total, "; ".join(sorted(sources))
    )


# ---- the membership pathway ----------------------------------------------------------------


def list_pathway(session: Session, reader: Actor) -> list[dict[str, Any]]:
    """The pathway's steps ``reader`` may see, milestones and conditions, with the invitation
    question's proposal and its state where the reader may see that proposal too."""
    codes = _codes(session)
    steps = list(
        session.scalars(
            select(PathwayStep)
            .where(readable_pathway(reader))
            .order_by(PathwayStep.due_on.is_(None), PathwayStep.due_on, PathwayStep.id)
        )
    )
    wanted = [s.proposal_id for s in steps if s.proposal_id]
    proposals = {
        p.id: (p.title, p.state)
        for p in session.scalars(
            select(Proposal).where(Proposal.id.in_(wanted), readable_proposals(reader))
        )
    }
    return [step_dict(s, codes, proposals) for s in steps]


def step_dict(
    s: PathwayStep, codes: dict[int, tuple[str, str]], proposals: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    shown = proposals.get(s.proposal_id) if s.proposal_id else None
    return {
        "id": s.id,
        "partner": codes[s.partner_id][0],
        "partner_id": s.partner_id,
        "kind": s.kind,
        "title": s.title,
        "description": s.description,
        "status": s.status,
        "evidence": s.evidence,
        "due_on": s.due_on,
        "updated_at": s.updated_at,
        "proposal": None
        if shown is None
        else {"id": s.proposal_id, "title": shown[0], "state": shown[1]},
        "sources": _split(s.sources),
        "illustrative": s.illustrative,
        "releasability": s.releasability,
    }


def get_step(session: Session, reader: Actor, step_id: int) -> dict[str, Any]:
    for step in list_pathway(session, reader):
        if step["id"] == step_id:
            return step
    raise NotFound(_("pathway step {step_id} does not exist").format(step_id=step_id))


def offer_link(session: Session, reader: Actor, offer_id: int) -> dict[str, Any]:
    """The instrument (and year) an offer ``reader`` may see counts toward."""
    link = session.scalar(
        select(InstrumentOffer)
        .join(Offer, Offer.id == InstrumentOffer.offer_id)
        .where(InstrumentOffer.offer_id == offer_id, readable_offers(reader))
    )
    if link is None:
        raise NotFound(_("offer {offer_id} is linked to no instrument").format(offer_id=offer_id))
    return {
        "offer_id": link.offer_id,
        "instrument_id": link.instrument_id,
        "year": link.year,
        "linked_at": link.linked_at,
    }
