"""Reported figures: what an outside tracker (the Kiel tracker, UN OCHA FTS) published, written
to the ledger in the one way every such import shares.

An importer (``shieldwall.importers``) reads and checks a file and yields plain records; this
module writes them, in the unit of work it is given: it finds or creates the delegations,
capability areas and offers they name (offers by their external key, in the state
``reported``), and compares each figure — one offer, one measure, one day — with the sum the
ledger already holds for it. Equal: nothing is written. New: an entry of its measure. Changed:
one ``correction`` entry for the difference, with a reason naming the release and the old and
new values (DESIGN rule 1: nothing is edited). A figure the ledger holds from an earlier import
that the file no longer has is corrected to 0. Entries are inserted in bulk, each with the
file it came from (one ``ImportedFile`` row) and its line; the import writes one audit record
for the file — and nothing at all, no file row, no audit record, when it changed nothing.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance import balances
from shieldwall.assistance.model import AssistanceKind, EntryType, Measure, OfferState
from shieldwall.assistance.policy import Action, require
from shieldwall.assistance.tables import CapabilityArea, ImportedFile, LedgerEntry, Offer
from shieldwall.delegations.model import DelegationKind, valid_imported_code
from shieldwall.delegations.service import delegation_by_code, set_gdp, the_partners
from shieldwall.delegations.tables import Delegation
from shieldwall.importers.common import ImportOutcome, Rejection, all_or_nothing
from shieldwall.importers.fts import FtsFlow, FtsOrganisation
from shieldwall.importers.kiel import KielMonth, KielRelease, billions_to_cents, slug
from shieldwall.kit.amounts import MAX_VALUE_CENTS, cents_sums, total
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.locks import lock_name
from shieldwall.kit.uow import UnitOfWork

# An entry's first appearance is written as the fact of its measure.
FIRST_ENTRY = {
    Measure.OFFERED: EntryType.OFFERED,
    Measure.COMMITTED: EntryType.COMMITTED,
    Measure.DELIVERED: EntryType.DELIVERED,
}


@dataclass(frozen=True)
class Party:
    """A delegation an import names: found by its code, else created with this name and
    kind (an existing delegation keeps its own name and kind)."""

    code: str
    name: str
    kind: DelegationKind


@dataclass(frozen=True)
class ReportedOffer:
    """An offer as the source reports it, found again by its external key."""

    key: str
    member: Party
    partner: Party
    kind: AssistanceKind
    area: tuple[str, str]  # code, name
    description: str = ""
    original_currency: str | None = None
    original_amount_cents: int | None = None
    amount_usd_cents: int | None = None


@dataclass(frozen=True)
class Figure:
    """One value the source gives for one offer, measure and day, and the line it is on."""

    offer: str  # the offer's external key
    measure: Measure
    occurred_on: dt.date
    value_cents: int
    line: int


@dataclass
class _Made:
    """What the import created or changed besides ledger entries (for its audit record)."""

    delegations: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    offers: int = 0
    offers_changed: int = 0
    gdp: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.delegations or self.areas or self.offers or self.offers_changed or self.gdp
        )


Key = tuple[str, str, dt.date]  # offer key, measure, day


class ReportedFigures:
    """One file's import of reported figures, in ``uow``'s transaction."""

    def __init__(
        self, uow: UnitOfWork, actor: Actor, outcome: ImportOutcome, source_name: str
    ) -> None:
        require(actor, Action.IMPORT_FIGURES)
        self.uow, self.s, self.actor, self.outcome = uow, uow.session, actor, outcome
        # Two imports of one source at once would both create its offers: one waits (on
        # SQLite the unit of work already holds the database's write lock).
        lock_name(self.s, "import", outcome.source)
        self.source_name = source_name[:80]  # the offers' ``source``
        self.now = uow.clock.now()
        self.prefix = f"{outcome.source}:"
        self.offers = {
            o.external_key: o
            for o in self.s.scalars(select(Offer).where(Offer.external_key.like(f"{self.prefix}%")))
            if o.external_key
        }
        self.held = self._held_sums()
        self.delegations = {d.code: d for d in self.s.scalars(select(Delegation))}
        self.areas = {a.code: a.id for a in self.s.scalars(select(CapabilityArea))}
        self.seen: set[Key] = set()
        self.entries: list[dict[str, Any]] = []
        self.made = _Made()

    def _held_sums(self) -> dict[Key, int]:
        """What the ledger holds from this source, per offer, measure and day: one query."""
        dialect = self.s.get_bind().dialect.name
        rows = self.s.execute(
            select(
                Offer.external_key,
                LedgerEntry.measure,
                LedgerEntry.occurred_on,
                *cents_sums(LedgerEntry.value_cents, "cents", dialect),
            )
            .join(Offer, Offer.id == LedgerEntry.offer_id)
            .where(Offer.external_key.like(f"{self.prefix}%"))
            .group_by(Offer.external_key, LedgerEntry.measure, LedgerEntry.occurred_on)
        )
        return {
            (r.external_key, r.measure, r.occurred_on): total(r._mapping, "cents") for r in rows
        }

    # ---- what the figures hang on ------------------------------------------------------------

    def delegation(self, party: Party) -> Delegation:
        found = self.delegations.get(party.code)
        if found is None:
            if not valid_imported_code(party.code):
                raise InvalidInput(
                    "code", _("{code!r} is not a delegation code").format(code=party.code)
                )
            found = Delegation(code=party.code, name=party.name[:120], kind=party.kind.value)
            self.s.add(found)
            self.s.flush()
            self.delegations[party.code] = found
            self.made.delegations.append(party.code)
        return found

    def record_gdp(self, code: str, gdp_eur_bn: str | None, source: str) -> None:
        if set_gdp(self.delegations[code], gdp_eur_bn, source):
            self.made.gdp.append(code)

    def area(self, code: str, name: str) -> int:
        found = self.areas.get(code)
        if found is None:
            area = CapabilityArea(code=code, name=name, description=self.source_name)
            self.s.add(area)
            self.s.flush()
            found = self.areas[code] = area.id
            self.made.areas.append(code)
        return found

    def offer(self, spec: ReportedOffer) -> Offer:
        """The offer with ``spec.key``, created (state ``reported``, released to the public)
        if absent; an existing one takes the source's latest description, release and amounts
        in other currencies."""
        found = self.offers.get(spec.key)
        if found is not None:
            latest = (
                spec.description,
                self.source_name,
                spec.original_currency,
                spec.original_amount_cents,
                spec.amount_usd_cents,
            )
            if _as_reported(found) != latest:
                (
                    found.description,
                    found.source,
                    found.original_currency,
                    found.original_amount_cents,
                    found.amount_usd_cents,
                ) = latest
                self.made.offers_changed += 1
            return found
        offer = Offer(
            member_id=self.delegation(spec.member).id,
            partner_id=self.delegation(spec.partner).id,
            kind=spec.kind.value,
            area_id=self.area(*spec.area),
            description=spec.description,
            quantity=0,  # a reported figure is a sum of money, not units
            value_cents=0,
            state=OfferState.REPORTED.value,
            offered_at=self.now,
            source=self.source_name,
            illustrative=False,
            releasability="public",  # the source publishes it
            external_key=spec.key,
            original_currency=spec.original_currency,
            original_amount_cents=spec.original_amount_cents,
            amount_usd_cents=spec.amount_usd_cents,
        )
        self.s.add(offer)
        self.s.flush()
        self.offers[spec.key] = offer
        self.made.offers += 1
        return offer

    # ---- the figures ---------------------------------------------------------------------------

    def row(self, figures: Iterable[Figure]) -> None:
        """One row of the file: applied if any of its figures changed the ledger."""
        before = len(self.entries)
        for figure in figures:
            self._figure(figure)
        if len(self.entries) > before:
            self.outcome.applied += 1
        else:
            self.outcome.unchanged += 1

    def _figure(self, f: Figure) -> None:
        key = (f.offer, f.measure.value, f.occurred_on)
        if key in self.seen:
            raise InvalidInput(
                f"{self.outcome.file_name} line {f.line}",
                _("{what} is given twice").format(
                    what=f"{f.offer} {f.measure.value} {f.occurred_on}"
                ),
            )
        self.seen.add(key)
        if abs(f.value_cents) > MAX_VALUE_CENTS:
            raise InvalidInput(
                f"{self.outcome.file_name} line {f.line}",
                _("the value is more than one record holds"),
            )
        held = self.held.get(key)
        if held == f.value_cents or (held is None and f.value_cents == 0):
            return
        if held is None:
            self._post(
                f.offer, f.measure, f.occurred_on, f.value_cents, FIRST_ENTRY[f.measure], f.line
            )
            return
        reason = _("{release}: {measure} on {day} corrected from {old} to {new} (EUR)").format(
            release=self.outcome.release or self.outcome.file_name,
            measure=f.measure.value,
            day=f.occurred_on.isoformat(),
            old=_euros(held),
            new=_euros(f.value_cents),
        )
        delta = f.value_cents - held
        self._post(f.offer, f.measure, f.occurred_on, delta, EntryType.CORRECTION, f.line, reason)

    def _post(
        self,
        key: str,
        measure: Measure,
        day: dt.date,
        cents: int,
        entry_type: EntryType,
        line: int | None,
        reason: str | None = None,
    ) -> None:
        offer = self.offers[key]
        self.entries.append(
            {
                "entry_type": entry_type.value,
                "measure": measure.value,
                "offer_id": offer.id,
                "member_id": offer.member_id,
                "partner_id": offer.partner_id,
                "kind": offer.kind,
                "area_id": offer.area_id,
                "quantity": 0,
                "value_cents": cents,
                "occurred_on": day,
                "month": day.strftime("%Y-%m"),
                "recorded_at": self.now,
                "reason": reason,
                "source_line": line,
            }
        )

    def _gone(self) -> int:
        """Figures the ledger holds from this source that the file no longer gives: each
        corrected to 0, naming the release."""
        gone = 0
        for (key, measure, day), held in sorted(self.held.items()):
            if (key, measure, day) in self.seen or held == 0 or key not in self.offers:
                continue
            reason = _(
                "{release}: {measure} on {day} is no longer reported; {old} corrected to 0"
            ).format(
                release=self.outcome.release or self.outcome.file_name,
                measure=measure,
                day=day.isoformat(),
                old=_euros(held),
            )
            self._post(key, Measure(measure), day, -held, EntryType.CORRECTION, None, reason)
            gone += 1
        return gone

    def finish(self) -> ImportOutcome:
        """Write what changed: the file's row, every entry in bulk, the offers' reported value,
        and one audit record; or nothing at all if nothing changed."""
        gone = self._gone()
        if gone:
            self.outcome.notes.append(
                _("{n} figures no longer in the file were corrected to 0").format(n=gone)
            )
        if not self.entries and not self.made:
            return self.outcome
        o = self.outcome
        imported = ImportedFile(
            source=o.source,
            file_name=o.file_name,
            sha256=o.sha256,
            release=o.release,
            imported_at=self.now,
            imported_by=self.actor.name,
            rows_read=o.rows_read,
            rows_applied=o.applied,
            rows_rejected=len(o.rejected),
        )
        self.s.add(imported)
        self.s.flush()
        o.imported_file_id = imported.id
        for entry in self.entries:
            entry["imported_file_id"] = imported.id
        if self.entries:
            self.s.execute(insert(LedgerEntry), self.entries)
            levels = {o.id: o.releasability for o in self.offers.values()}
            balances.record(self.s, self.entries, levels)
        self._offer_values()
        self.uow.audit(
            self.actor,
            self.now,
            f"import.{o.source}",
            "imported_file",
            imported.id,
            None,
            {
                "file": o.file_name,
                "sha256": o.sha256,
                "release": o.release,
                "rows_read": o.rows_read,
                "rows_applied": o.applied,
                "entries": len(self.entries),
                "delegations_created": self.made.delegations,
                "areas_created": self.made.areas,
                "offers_created": self.made.offers,
                "offers_changed": self.made.offers_changed,
                "gdp_recorded": self.made.gdp,
            },
        )
        return o

    def _offer_values(self) -> None:
        """Each touched offer's value: what the source reports as offered, in sum."""
        offered: dict[int, int] = {}
        for (key, measure, _day), held in self.held.items():
            if measure == Measure.OFFERED.value and key in self.offers:
                offered[self.offers[key].id] = offered.get(self.offers[key].id, 0) + held
        for entry in self.entries:
            if entry["measure"] == Measure.OFFERED.value:
                offered[entry["offer_id"]] = (
                    offered.get(entry["offer_id"], 0) + entry["value_cents"]
                )
        for offer in self.offers.values():
            offer.value_cents = offered.get(offer.id, 0)


def _as_reported(o: Offer) -> tuple[str, str, str | None, int | None, int | None]:
    return (
        o.description,
        o.source,
        o.original_currency,
        o.original_amount_cents,
        o.amount_usd_cents,
    )


def _euros(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f}"


# ---- the Kiel tracker ----------------------------------------------------------------------

# Kiel's columns → (offer key suffix, kind, capability area code and name). ``financial`` is
# the demo catalogue's own area; the others are made for Kiel's split if absent.
KIEL_OFFERS: dict[str, tuple[AssistanceKind, tuple[str, str]]] = {
    "military": (AssistanceKind.ARM, ("military-aid", "Military aid")),
    "financial": (AssistanceKind.FINANCE, ("financial", "Financial")),
    "humanitarian": (AssistanceKind.FINANCE, ("humanitarian-aid", "Humanitarian aid")),
    # Commitments not yet allocated to any area: what Kiel counts as promised, not specified.
    "to-be-allocated": (AssistanceKind.FINANCE, ("not-yet-allocated", "Not yet allocated (Kiel)")),
}
# Kiel's recipient, seated as the partner on a platform that has none.
KIEL_PARTNER = Party("UKR", "Ukraine", DelegationKind.PARTNER)


def kiel_partner(session: Session, code: str | None, notes: list[str]) -> Party:
    """The partner the aid went to: ``code``, else the one partner seated; on a platform with
    none, Ukraine (Kiel's recipient) is seated, with a note; several and none named: refused."""
    if code is not None:
        found = delegation_by_code(session, code, "--partner")
        if found.kind != DelegationKind.PARTNER:
            raise InvalidInput("--partner", _("{code} is not a partner").format(code=found.code))
        return Party(found.code, found.name, DelegationKind.PARTNER)
    partners = the_partners(session)
    if len(partners) > 1:
        raise InvalidInput(
            "--partner",
            _("several partners are seated ({codes}): name one with --partner").format(
                codes=", ".join(p.code for p in partners)
            ),
        )
    if partners:
        return Party(partners[0].code, partners[0].name, DelegationKind.PARTNER)
    if session.scalar(select(Delegation.id).where(Delegation.code == KIEL_PARTNER.code)):
        raise InvalidInput("--partner", _("UKR is seated but not as a partner: name the partner"))
    notes.append(_("no partner was seated: Ukraine (UKR), Kiel's recipient, is seated as partner"))
    return KIEL_PARTNER


@dataclass
class _Donor:
    committed: Decimal = Decimal(0)  # Σ total (allocations)
    offered: Decimal = Decimal(0)  # Σ commitments


def import_kiel(
    uow: UnitOfWork,
    actor: Actor,
    outcome: ImportOutcome,
    release: KielRelease,
    months: Iterable[KielMonth],
    partner: str | None = None,
    step: Callable[[], None] = lambda: None,
) -> ImportOutcome:
    """Kiel's data explorer as reported figures: per donor and month, each area's allocation
    offered and committed, and what is committed but not yet allocated offered (module
    docstring; README "Importing data"). ``step`` is called after each row."""

    def write() -> None:
        writer = ReportedFigures(uow, actor, outcome, release.source)
        to = kiel_partner(uow.session, partner, outcome.notes)
        donors: dict[str, _Donor] = {}
        rounded = 0
        gdp_source = f"{release.source}, column gdp"
        for row in months:
            outcome.rows_read += 1
            member = Party(row.iso, row.country, DelegationKind.CONTRIBUTOR)
            if row.iso not in donors:
                writer.delegation(member)
                writer.record_gdp(row.iso, row.gdp, gdp_source)
            donor = donors.setdefault(row.iso, _Donor())
            donor.committed += row.values["total"]
            donor.offered += row.values["commitments"]
            figures = []
            for column, (kind, area) in KIEL_OFFERS.items():
                spec = ReportedOffer(
                    f"kiel:{row.iso}:{column}",
                    member,
                    to,
                    kind,
                    area,
                    _kiel_description(row.country, column),
                )
                writer.offer(spec)
                cents, inexact = billions_to_cents(row.values[column.replace("-", "_")])
                rounded += inexact
                measures = [Measure.OFFERED]
                if column != "to-be-allocated":
                    measures.append(Measure.COMMITTED)
                figures += [Figure(spec.key, m, row.month, cents, row.line) for m in measures]
            writer.row(figures)
            step()
        _kiel_notes(outcome, donors, rounded)
        writer.finish()

    all_or_nothing(
        uow.session,
        outcome,
        write,
        skip_bad=False,
        changed=lambda: outcome.imported_file_id is not None,
    )
    return outcome


def _kiel_description(country: str, column: str) -> str:
    if column == "to-be-allocated":
        return f"{country}: committed, not yet allocated (Kiel Ukraine Support Tracker)"
    return f"{country}: {column} aid allocated (Kiel Ukraine Support Tracker)"


def _kiel_notes(outcome: ImportOutcome, donors: dict[str, _Donor], rounded: int) -> None:
    """Say what the figures are, where they break a rule of the platform's own offers."""
    for iso, donor in sorted(donors.items()):
        if donor.offered < donor.committed:
            outcome.notes.append(
                _(
                    "Kiel reports more allocated than committed for {donor}: {gap} bn; kept as "
                    "published"
                ).format(donor=iso, gap=f"{(donor.committed - donor.offered).normalize():f}")
            )
    if rounded:
        outcome.notes.append(
            _("{n} values had digits below the cent: rounded half to even").format(n=rounded)
        )


# ---- UN OCHA FTS -----------------------------------------------------------------------------

# FTS's status → the measures its amount is reported in (so delivered ≤ committed ≤ offered).
FTS_MEASURES: dict[str, tuple[Measure, ...]] = {
    "pledge": (Measure.OFFERED,),
    "commitment": (Measure.OFFERED, Measure.COMMITTED),
    "paid": (Measure.OFFERED, Measure.COMMITTED, Measure.DELIVERED),
}
# A side of a flow FTS names no organisation for.
FTS_UNNAMED = ("FTSNONE", "Not named in FTS")


def rate_on_or_before(rates: Sequence[tuple[dt.date, Decimal]], day: dt.date) -> Decimal | None:
    """The latest rate (units per euro) recorded on or before ``day``; ``rates`` sorted by day."""
    at = bisect_right(rates, day, key=lambda r: r[0])
    return rates[at - 1][1] if at else None


class FtsParties:
    """Codes for FTS organisations: a government's is the ISO alpha-3 code of its Location
    when no other delegation holds it (one named as the organisation or its Location is that
    state), else ``F`` and FTS's organisation id."""

    def __init__(self, writer: ReportedFigures) -> None:
        self.writer = writer
        self.chosen: dict[str, str] = {}

    def party(self, org: FtsOrganisation | None, kind: DelegationKind) -> Party:
        if org is None:
            return Party(*FTS_UNNAMED, kind)
        code = self.chosen.get(org.id)
        if code is None:
            code = f"F{org.id}"
            iso = org.iso3
            holder = self.writer.delegations.get(iso) if iso else None
            if iso and (holder is None or holder.name in (org.name, org.location)):
                code = iso
            self.chosen[org.id] = code
        return Party(code, org.name, kind)


def fts_area(clusters: tuple[str, ...]) -> tuple[str, str]:
    """The capability area of a flow's global cluster (``fts-<slug>``); several or none have
    one area each, the names kept in the offer's description."""
    if not clusters:
        return "fts-no-cluster", "No cluster given (FTS)"
    if len(set(clusters)) > 1:
        return "fts-several-clusters", "Several clusters (FTS)"
    return f"fts-{slug(clusters[0])}"[:40], f"{clusters[0]} (FTS)"


def import_fts(
    uow: UnitOfWork,
    actor: Actor,
    outcome: ImportOutcome,
    flows: Sequence[FtsFlow],
    usd_rates: Sequence[tuple[dt.date, Decimal]],
    step: Callable[[], None] = lambda: None,
    skip_bad: bool = False,
) -> ImportOutcome:
    """FTS flows as reported figures, one offer per flow (``fts:<id>``), its amount in EUR:
    as given if FTS's original currency is EUR, else its US dollars at the USD rate recorded
    on or before its date (``usd_rates``); a flow without such a rate is a bad row."""

    def write() -> None:
        writer = ReportedFigures(uow, actor, outcome, "UN OCHA Financial Tracking Service")
        parties = FtsParties(writer)
        for flow in flows:
            outcome.rows_read += 1
            value = _fts_eur_cents(flow, usd_rates, outcome)
            if value is None:
                step()
                continue
            spec = ReportedOffer(
                f"fts:{flow.id}",
                parties.party(flow.source, DelegationKind.CONTRIBUTOR),
                parties.party(flow.destination, DelegationKind.PARTNER),
                AssistanceKind.FINANCE,
                fts_area(flow.clusters),
                _fts_description(flow),
                flow.original_currency,
                flow.original_amount_cents,
                flow.amount_usd_cents,
            )
            writer.offer(spec)
            writer.row(
                Figure(spec.key, m, flow.on, value, flow.index) for m in FTS_MEASURES[flow.status]
            )
            step()
        _fts_notes(outcome, flows)
        writer.finish()

    all_or_nothing(
        uow.session,
        outcome,
        write,
        skip_bad=skip_bad,
        changed=lambda: outcome.imported_file_id is not None,
    )
    return outcome


def _fts_eur_cents(
    flow: FtsFlow, usd_rates: Sequence[tuple[dt.date, Decimal]], outcome: ImportOutcome
) -> int | None:
    if flow.original_currency == "EUR" and flow.original_amount_cents is not None:
        return flow.original_amount_cents
    rate = rate_on_or_before(usd_rates, flow.on)
    if rate is None:
        outcome.rejected.append(
            Rejection(
                flow.index,
                "date",
                _("no USD→EUR rate on or before {day}: record one first").format(
                    day=flow.on.isoformat()
                ),
            )
        )
        return None
    exact = Decimal(flow.amount_usd_cents) / rate
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _fts_description(flow: FtsFlow) -> str:
    clusters = f" [{'; '.join(flow.clusters)}]" if len(flow.clusters) > 1 else ""
    parent = f", part of flow {flow.parent}" if flow.parent else ""
    return (
        f"FTS flow {flow.id} (version {flow.version}, {flow.status}, {flow.boundary}{parent})"
        f"{clusters}: {flow.description}"
    )


def _fts_notes(outcome: ImportOutcome, flows: Sequence[FtsFlow]) -> None:
    ids = {f.id for f in flows}
    children = [f for f in flows if f.parent in ids]
    if children:
        outcome.notes.append(
            _(
                "{n} flows are parts of a flow also in this file (parentFlowId), USD {usd}: a "
                "sum over every flow counts that money twice"
            ).format(n=len(children), usd=_euros(sum(f.amount_usd_cents for f in children)))
        )
    zero = sum(1 for f in flows if f.amount_usd_cents == 0)
    if zero:
        outcome.notes.append(
            _("{n} flows have an amount of 0: their offers are kept, with no entries").format(
                n=zero
            )
        )
