"""Reads of the envelope: packages, delivery plans, readiness now, over time and projected.

Every figure is computed for a reader from what that reader may see (DESIGN rule 4): the
ledger's ``delivered`` entries (written when the partner confirms a delivery, dated on the
delivery's day) and the planned tranches of the offers the reader may read, filtered inside
the queries by ``assistance.visibility.readable_offer_ids``. Two readers may therefore see
different readiness for the same package; the secretariat sees it whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance import balances
from shieldwall.assistance.model import Measure, OfferState
from shieldwall.assistance.tables import CapabilityArea, CapabilityItem, LedgerEntry, Offer
from shieldwall.assistance.visibility import readable_offer_ids
from shieldwall.assistance.words import quantity_of
from shieldwall.delegations.tables import Delegation
from shieldwall.envelope import model
from shieldwall.envelope.model import Delivered, Outstanding, Package, Tranche
from shieldwall.envelope.tables import CapabilityPackage, PackageComponent, PlannedDelivery
from shieldwall.envelope.visibility import readable_tranches
from shieldwall.kit.errors import NotFound
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.inbox import days_left_text

HISTORY_MONTHS = 12  # how far back the monthly series reaches before the date asked for
LONGEST_AHEAD_MONTHS = 60


@dataclass(frozen=True)
class PackageRow:
    """A package as stored, and as the rules see it."""

    id: int
    rule: Package
    area_name: str
    description: str
    sources: str
    illustrative: bool


@dataclass
class OfferPlan:
    """A committed offer of an item some package needs: its balances and its tranches."""

    offer_id: int
    member: str
    item: str
    committed: int
    delivered: int
    delivered_before_plan: int = 0  # confirmed before its first tranche was recorded
    tranches: list[Tranche] = field(default_factory=list)

    @property
    def outstanding(self) -> list[Outstanding]:
        return model.outstanding_tranches(
            self.tranches, self.delivered, self.committed, self.delivered_before_plan
        )

    @property
    def unplanned(self) -> int:
        return model.unplanned(self.committed, self.delivered, self.outstanding)


@dataclass
class Situation:
    """What one reader may know of the envelope today."""

    today: dt.date
    packages: list[PackageRow]
    actual: dict[str, list[Delivered]]  # confirmed deliveries by item code
    offers: dict[int, OfferPlan]
    items: dict[str, tuple[str, str]]  # item code → (name, unit)
    areas: dict[str, str]  # area code → name

    @property
    def rules(self) -> list[Package]:
        return [p.rule for p in self.packages]

    @property
    def outstanding(self) -> list[Outstanding]:
        return [o for plan in self.offers.values() for o in plan.outstanding]

    @property
    def candidates(self) -> list[Outstanding]:
        """Every outstanding tranche, and each offer's committed quantity no tranche plans."""
        unplanned = [
            Outstanding(None, p.offer_id, p.item, p.unplanned, None)
            for p in self.offers.values()
            if p.unplanned > 0
        ]
        return [*self.outstanding, *unplanned]

    def projected(self, outstanding: Iterable[Outstanding]) -> dict[str, list[Delivered]]:
        return model.merged(self.actual, model.projected(outstanding, self.today))


# ---- loading --------------------------------------------------------------------------------


def _packages(session: Session) -> list[PackageRow]:
    rows = session.execute(
        select(CapabilityPackage, CapabilityArea.code, CapabilityArea.name)
        .join(CapabilityArea, CapabilityArea.id == CapabilityPackage.area_id)
        .order_by(CapabilityArea.name, CapabilityPackage.name, CapabilityPackage.id)
    ).all()
    parts = session.execute(
        select(PackageComponent, CapabilityItem)
        .join(CapabilityItem, CapabilityItem.id == PackageComponent.item_id)
        .order_by(CapabilityItem.code)
    ).all()
    components: dict[int, list[model.Component]] = {}
    for c, item in parts:
        kind = model.ComponentKind(c.kind)
        part = model.Component(
            item.code, kind, c.quantity_per_unit, c.per_month, item.name, item.unit
        )
        components.setdefault(c.package_id, []).append(part)
    packages = []
    for p, area_code, area_name in rows:
        found = sorted(components.get(p.id, []), key=lambda c: model.KIND_ORDER.index(c.kind))
        rule = Package(
            p.code, p.name, area_code, p.units_needed, p.sustain_window_months, tuple(found)
        )
        packages.append(PackageRow(p.id, rule, area_name, p.description, p.sources, p.illustrative))
    return packages


def _actual(session: Session, reader: Actor, items: dict[int, str]) -> dict[str, list[Delivered]]:
    """Confirmed deliveries per item and day, of the offers ``reader`` may see."""
    rows = session.execute(
        select(LedgerEntry.item_id, LedgerEntry.occurred_on, func.sum(LedgerEntry.quantity))
        .where(
            LedgerEntry.measure == Measure.DELIVERED.value,
            LedgerEntry.item_id.in_(list(items)),
            LedgerEntry.offer_id.in_(readable_offer_ids(reader)),
        )
        .group_by(LedgerEntry.item_id, LedgerEntry.occurred_on)
    ).all()
    events: dict[str, list[Delivered]] = {}
    for item_id, on, quantity in rows:
        if item_id is not None:  # the query asks for items only; this tells the type checker
            events.setdefault(items[item_id], []).append(Delivered(on, int(quantity)))
    return events


def offer_plans(
    session: Session, reader: Actor, items: dict[int, str], offer_ids: Sequence[int] | None = None
) -> dict[int, OfferPlan]:
    """The committed offers of these items ``reader`` may see (or the offers named), with
    their balances from the ledger and their tranches."""
    stmt = (
        select(Offer.id, Offer.item_id, Delegation.code)
        .join(Delegation, Delegation.id == Offer.member_id)
        .where(Offer.id.in_(readable_offer_ids(reader)))
    )
    if offer_ids is None:
        stmt = stmt.where(Offer.state == OfferState.COMMITTED.value, Offer.item_id.in_(list(items)))
    else:
        stmt = stmt.where(Offer.id.in_(list(offer_ids)))
    offers = session.execute(stmt).all()
    ids = [o.id for o in offers]
    held = balances.offer_balances(session, ids)  # maintained with the entries
    plans = {
        o.id: OfferPlan(
            o.id,
            o.code,
            items.get(o.item_id, ""),
            held[o.id].committed.quantity if o.id in held else 0,
            held[o.id].delivered.quantity if o.id in held else 0,
        )
        for o in offers
    }
    first: dict[int, dt.datetime] = {}
    for t in session.scalars(select(PlannedDelivery).where(PlannedDelivery.offer_id.in_(ids))):
        plan = plans[t.offer_id]
        plan.tranches.append(Tranche(t.id, t.offer_id, plan.item, t.quantity, t.expected_on))
        first[t.offer_id] = min(first.get(t.offer_id, t.recorded_at), t.recorded_at)
    for offer_id, planned_at in first.items():
        plans[offer_id].delivered_before_plan = delivered_by(session, offer_id, planned_at)
    return plans


def delivered_by(session: Session, offer_id: int, at: dt.datetime) -> int:
    """The quantity of an offer confirmed delivered (its ledger entries recorded) by ``at``:
    what a plan made at ``at`` already knew of."""
    found = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
            LedgerEntry.offer_id == offer_id,
            LedgerEntry.measure == Measure.DELIVERED.value,
            LedgerEntry.recorded_at <= at,
        )
    )
    return int(found or 0)


def first_planned_at(session: Session, offer_id: int) -> dt.datetime | None:
    """When the offer's plan was made: its first tranche's recording, if it has one."""
    found: dt.datetime | None = session.scalar(
        select(func.min(PlannedDelivery.recorded_at)).where(PlannedDelivery.offer_id == offer_id)
    )
    return found


def _item_names(session: Session) -> tuple[dict[int, str], dict[str, tuple[str, str]]]:
    rows = session.execute(
        select(CapabilityItem.id, CapabilityItem.code, CapabilityItem.name, CapabilityItem.unit)
    ).all()
    return {r.id: r.code for r in rows}, {r.code: (r.name, r.unit) for r in rows}


def situation(session: Session, reader: Actor, today: dt.date) -> Situation:
    """Everything ``reader`` may know of the envelope on ``today``."""
    packages = _packages(session)
    codes, names = _item_names(session)
    needed = {c.item for p in packages for c in p.rule.components}
    items = {i: code for i, code in codes.items() if code in needed}
    areas = {
        r.code: r.name for r in session.execute(select(CapabilityArea.code, CapabilityArea.name))
    }
    return Situation(
        today,
        packages,
        _actual(session, reader, items),
        offer_plans(session, reader, items),
        names,
        areas,
    )


# ---- views ----------------------------------------------------------------------------------


def ratio(value: Fraction) -> float:
    """Readiness as a number from 0 to 1, to four places."""
    return round(float(value), 4)


def _limiting(c: model.Cover | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "item": c.component.item,
        "item_name": c.component.item_name,
        "kind": c.component.kind.value,
        "covered": max(c.covered, 0),
        "need": c.need,
        "per_month": c.component.per_month,
        "words": model.limited_by(c),
    }


def _cover(c: model.Cover) -> dict[str, Any]:
    component = c.component
    return {
        "item": component.item,
        "item_name": component.item_name,
        "unit": component.unit,
        "kind": component.kind.value,
        "quantity_per_unit": component.quantity_per_unit,
        "per_month": component.per_month,
        "need": c.need,
        "covered": max(c.covered, 0),
        "coverage": ratio(c.coverage),
        "units": c.units,
    }


def package_view(row: PackageRow, events: model.Events, on: dt.date) -> dict[str, Any]:
    p, ready = row.rule, model.package_readiness(row.rule, events, on)
    return {
        "id": row.id,
        "code": p.code,
        "name": p.name,
        "area": p.area,
        "area_name": row.area_name,
        "description": row.description,
        "sources": row.sources,
        "illustrative": row.illustrative,
        "units_needed": p.units_needed,
        "sustain_window_months": p.window_months,
        "readiness": ratio(ready.value),
        "units_ready": ready.units_ready,
        "limiting": _limiting(ready.limiting),
        "components": [_cover(c) for c in ready.covers],
    }


def _area_series(
    sit: Situation, events: model.Events, days: list[dt.date]
) -> dict[str, list[dict[str, Any]]]:
    series: dict[str, list[dict[str, Any]]] = {}
    for day in days:
        for area, value in model.envelope(sit.rules, events, day).items():
            point = {"on": day, "readiness": ratio(value), "projected": day > sit.today}
            series.setdefault(area, []).append(point)
    return series


def _areas(sit: Situation, events: model.Events, as_of: dt.date, days: list[dt.date]) -> list[Any]:
    now = model.envelope(sit.rules, events, as_of)
    series = _area_series(sit, events, days)
    return [
        {
            "area": area,
            "name": sit.areas.get(area, area),
            "readiness": ratio(value),
            "packages": sum(1 for p in sit.rules if p.area == area),
            "series": series[area],
        }
        for area, value in sorted(now.items(), key=lambda kv: sit.areas.get(kv[0], kv[0]))
    ]


def envelope(
    session: Session,
    reader: Actor,
    *,
    today: dt.date,
    as_of: dt.date | None = None,
    months_ahead: int = 12,
    slip: int | None = None,
    slip_months: int = 3,
) -> dict[str, Any]:
    """Readiness per capability area and package on ``as_of`` (today by default), with a
    monthly series from a year before it to ``months_ahead`` after (actual up to today,
    projected from the plans after); with ``slip``, the what-if of that tranche slipping
    ``slip_months`` months."""
    on = as_of or today
    sit = situation(session, reader, today)
    events = sit.projected(sit.outstanding)
    days = model.series_days(on, HISTORY_MONTHS, months_ahead)
    return {
        "as_of": on,
        "today": today,
        "projected": on > today,
        "months_ahead": months_ahead,
        "areas": _areas(sit, events, on, days),
        "packages": [package_view(p, events, on) for p in sit.packages],
        "tranches": [_outstanding_view(sit, o) for o in sit.outstanding],
        "what_if": None if slip is None else what_if(sit, slip, slip_months, on, days),
    }


def _outstanding_view(sit: Situation, o: Outstanding) -> dict[str, Any]:
    name, unit = sit.items.get(o.item, (o.item, ""))
    plan = sit.offers[o.offer_id]
    return {
        "tranche_id": o.tranche_id,
        "offer_id": o.offer_id,
        "member": plan.member,
        "item": o.item,
        "item_name": name,
        "unit": unit,
        "quantity": o.quantity,
        "words": quantity_of(o.quantity, name, unit),
        "expected_on": o.expected_on,
        "overdue": o.expected_on is not None and o.expected_on < sit.today,
        "time_left": days_left_text(o.expected_on, sit.today),
    }


def what_if(
    sit: Situation, tranche_id: int, months: int, on: dt.date, days: list[dt.date]
) -> dict[str, Any]:
    """Readiness before and after one outstanding tranche slips ``months`` months: on ``on``
    and over the series, for the packages that need its item and their areas."""
    before_plan = sit.outstanding
    after_plan = model.slipped(before_plan, tranche_id, months, sit.today)
    moved = next(o for o in before_plan if o.tranche_id == tranche_id)
    later = next(o for o in after_plan if o.tranche_id == tranche_id)
    before, after = sit.projected(before_plan), sit.projected(after_plan)
    concerned = [p for p in sit.packages if any(c.item == moved.item for c in p.rule.components)]
    areas = sorted({p.rule.area for p in concerned})
    rules = [p.rule for p in sit.packages if p.rule.area in areas]
    return {
        "tranche": _outstanding_view(sit, moved),
        "months": months,
        "expected_on_before": model.expected_arrival(moved, sit.today),
        "expected_on_after": later.expected_on,
        "on": on,
        "areas": [
            {
                "area": a,
                "name": sit.areas.get(a, a),
                "before": ratio(model.envelope(rules, before, on)[a]),
                "after": ratio(model.envelope(rules, after, on)[a]),
                "series": [
                    {
                        "on": day,
                        "before": ratio(model.envelope(rules, before, day)[a]),
                        "after": ratio(model.envelope(rules, after, day)[a]),
                    }
                    for day in days
                ],
            }
            for a in areas
        ],
        "packages": [_package_change(p, before, after, on) for p in concerned],
    }


def _package_change(
    row: PackageRow, before: model.Events, after: model.Events, on: dt.date
) -> dict[str, Any]:
    was, will = (model.package_readiness(row.rule, e, on) for e in (before, after))
    return {
        "id": row.id,
        "code": row.rule.code,
        "name": row.rule.name,
        "before": ratio(was.value),
        "after": ratio(will.value),
        "limiting_before": _limiting(was.limiting),
        "limiting_after": _limiting(will.limiting),
    }


def best_deliveries(
    session: Session, reader: Actor, today: dt.date, limit: int = 20
) -> list[dict[str, Any]]:
    """The single deliveries that would raise readiness most if delivered today, largest
    first: every outstanding tranche, and every commitment no tranche plans."""
    sit = situation(session, reader, today)
    names = {p.rule.code: (p.id, p.rule.name) for p in sit.packages}
    gains = model.best_single_delivery(sit.rules, sit.actual, sit.candidates, today)
    return [
        {
            **_outstanding_view(sit, g.candidate),
            "planned": g.candidate.tranche_id is not None,
            "gain": ratio(g.gain),
            "areas": [
                {"area": a, "name": sit.areas.get(a, a), "before": ratio(b), "after": ratio(x)}
                for a, (b, x) in g.areas.items()
            ],
            "packages": [
                {
                    "id": names[code][0],
                    "code": code,
                    "name": names[code][1],
                    "before": ratio(b),
                    "after": ratio(x),
                }
                for code, (b, x) in g.packages.items()
            ],
        }
        for g in gains[:limit]
    ]


# ---- packages and plans ---------------------------------------------------------------------


def list_packages(
    session: Session, reader: Actor, today: dt.date, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """Every package, with its readiness for ``reader`` on ``as_of`` (today by default)."""
    sit = situation(session, reader, today)
    events = sit.projected(sit.outstanding)
    return [package_view(p, events, as_of or today) for p in sit.packages]


def get_package(session: Session, reader: Actor, package_id: int, today: dt.date) -> dict[str, Any]:
    """A package with its readiness today and the planned tranches of the items it needs."""
    sit = situation(session, reader, today)
    found = [p for p in sit.packages if p.id == package_id]
    if not found:
        raise NotFound(_("capability package {id} does not exist").format(id=package_id))
    row = found[0]
    items = {c.item for c in row.rule.components}
    view = package_view(row, sit.projected(sit.outstanding), today)
    view["tranches"] = [_outstanding_view(sit, o) for o in sit.outstanding if o.item in items]
    view["unplanned"] = [
        _outstanding_view(sit, o)
        for o in sit.candidates
        if o.tranche_id is None and o.item in items
    ]
    return view


def list_tranches(
    session: Session, reader: Actor, today: dt.date, *, offer_id: int | None = None
) -> list[dict[str, Any]]:
    """The planned tranches ``reader`` may see (of one offer, if named), in date order, each
    with what is still outstanding of it once the delivered quantity has used up the earliest
    tranches."""
    stmt = select(PlannedDelivery.offer_id).where(readable_tranches(reader)).distinct()
    if offer_id is not None:
        stmt = stmt.where(PlannedDelivery.offer_id == offer_id)
    offer_ids = list(session.scalars(stmt))
    codes, names = _item_names(session)
    plans = offer_plans(session, reader, codes, offer_ids)
    found = session.execute(select(Offer.id, Offer.state).where(Offer.id.in_(offer_ids)))
    states = {r.id: r.state for r in found}
    tranches = session.scalars(
        select(PlannedDelivery)
        .where(PlannedDelivery.offer_id.in_(offer_ids))
        .order_by(PlannedDelivery.expected_on, PlannedDelivery.id)
    )
    rows = []
    for t in tranches:
        plan = plans[t.offer_id]
        committed = states[t.offer_id] == OfferState.COMMITTED
        left = {o.tranche_id: o.quantity for o in plan.outstanding} if committed else {}
        name, unit = names.get(plan.item, (plan.item, ""))
        rows.append(
            {
                "id": t.id,
                "offer_id": t.offer_id,
                "member": plan.member,
                "item": plan.item,
                "item_name": name,
                "unit": unit,
                "quantity": t.quantity,
                "outstanding": left.get(t.id, 0),
                "expected_on": t.expected_on,
                "overdue": left.get(t.id, 0) > 0 and t.expected_on < today,
                # Only what is still to come has a deadline.
                "time_left": days_left_text(t.expected_on, today) if left.get(t.id, 0) else None,
                "note": t.note,
                "recorded_at": t.recorded_at,
            }
        )
    return rows


def get_tranche(session: Session, reader: Actor, tranche_id: int, today: dt.date) -> dict[str, Any]:
    offer_id = session.scalar(
        select(PlannedDelivery.offer_id).where(
            PlannedDelivery.id == tranche_id, readable_tranches(reader)
        )
    )
    if offer_id is None:
        raise NotFound(_("planned delivery {id} does not exist").format(id=tranche_id))
    return next(
        t for t in list_tranches(session, reader, today, offer_id=offer_id) if t["id"] == tranche_id
    )
