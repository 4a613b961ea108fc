"""The consolidated views: one query layer for the API, the CLI, the pages and the exports.

Everything here is derived from ledger entries (DESIGN rule 1): summaries and balances read the
roll-ups and offer balances maintained with the entries (``balances``), the entries themselves
only where a filter needs them. Aggregation runs in the database on ids; names are attached
afterwards from the small reference tables, so a summary is one GROUP BY over the roll-ups.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance import balances, model, policy, words
from shieldwall.assistance.model import Amount
from shieldwall.assistance.tables import (
    MEASURE_NAMES,
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    Delivery,
    ImportedFile,
    LedgerEntry,
    Offer,
    RequestAddressee,
    ledger_rollup,
    offer_balance,
)
from shieldwall.assistance.visibility import (
    Seat,
    readable_offer_ids,
    readable_offers,
    readable_requests,
    readable_rollups,
    seat,
    seated,
)
from shieldwall.audit.tables import AuditRecord
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.amounts import SPLIT_BITS, cents_sums, quantity_sums, total
from shieldwall.kit.answers import READ_ONLY, kept
from shieldwall.kit.errors import InvalidInput, NotFound
from shieldwall.kit.i18n import N_, format_eur_exact
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.inbox import Waiting

# The dimensions a summary may be grouped by, and the entry column behind each.
GROUP_KEYS: dict[str, Any] = {
    "member": LedgerEntry.member_id,
    "partner": LedgerEntry.partner_id,
    "kind": LedgerEntry.kind,
    "area": LedgerEntry.area_id,
    "item": LedgerEntry.item_id,
    "month": LedgerEntry.month,
    "request": LedgerEntry.request_id,
}

MEASURE_COLUMNS = (
    "offered_eur",
    "committed_eur",
    "delivered_eur",
    "offered_quantity",
    "committed_quantity",
    "delivered_quantity",
)


def parse_group_by(text: str | Sequence[str] | None) -> list[str]:
    """``"member,kind"`` → ``["member", "kind"]``; unknown keys name themselves in the error."""
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else list(text)
    keys = [p.strip() for p in parts if p.strip()]
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown:
        raise InvalidInput(
            "group_by",
            _("unknown key {keys}; use any of {choices}").format(
                keys=", ".join(unknown), choices=", ".join(GROUP_KEYS)
            ),
        )
    if len(set(keys)) != len(keys):
        raise InvalidInput("group_by", _("a key is named twice"))
    return keys


def measure_sums(dialect: str) -> list[ColumnElement[Any]]:
    """Per measure, the sums of cents and of quantities, as conditional aggregates over one
    scan, that cannot overflow (``kit.amounts``); read back with ``measure_totals``."""
    return list(_measure_sums(dialect))


@functools.cache
def _measure_sums(dialect: str) -> tuple[ColumnElement[Any], ...]:
    # Built once per dialect: SQL expressions are immutable, and building these eighteen took
    # about a millisecond of every request that reads a balance (benchmarks/api_load.py).
    columns: list[ColumnElement[Any]] = []
    for m in model.MEASURES:
        where = LedgerEntry.measure == m.value
        columns += cents_sums(LedgerEntry.value_cents, f"{m.value}_cents", dialect, where)
        columns += quantity_sums(LedgerEntry.quantity, f"{m.value}_quantity", where)
    return tuple(columns)


def measure_totals(mapping: Any) -> dict[str, Amount]:
    """measure → its exact total, from a row of ``measure_sums``."""
    # A plain dict: a row's mapping answers ``in`` (which ``total`` asks) far more slowly.
    row = dict(mapping)
    return {m: Amount(total(row, quantity), total(row, cents)) for m, quantity, cents in _LABELS}


# Each measure with the labels of its sums.
_LABELS = tuple((m.value, f"{m.value}_quantity", f"{m.value}_cents") for m in model.MEASURES)


@dataclass
class EntryFilter:
    member: str | None = None
    kind: str | None = None
    area: str | None = None
    item: str | None = None
    request_id: int | None = None
    offer_id: int | None = None
    entry_type: str | None = None
    month_from: str | None = None
    month_to: str | None = None

    def apply(self, session: Session, stmt: Select[Any], columns: Any = LedgerEntry) -> Select[Any]:
        """The filters as conditions on ``columns``: the entries, or the roll-ups (which
        have every column a filter reads but ``offer_id`` and ``entry_type``)."""
        c = columns
        if self.member:
            stmt = stmt.where(c.member_id == _delegation_id(session, self.member))
        if self.kind:
            stmt = stmt.where(c.kind == model.AssistanceKind(self.kind).value)
        if self.area:
            area_id = session.scalar(
                select(CapabilityArea.id).where(CapabilityArea.code == self.area)
            )
            if area_id is None:
                raise InvalidInput("area", _("no capability area {code!r}").format(code=self.area))
            stmt = stmt.where(c.area_id == area_id)
        if self.item:
            item_id = session.scalar(
                select(CapabilityItem.id).where(CapabilityItem.code == self.item)
            )
            if item_id is None:
                raise InvalidInput("item", _("no catalogue item {code!r}").format(code=self.item))
            stmt = stmt.where(c.item_id == item_id)
        if self.request_id is not None:
            stmt = stmt.where(c.request_id == self.request_id)
        if self.offer_id is not None:
            stmt = stmt.where(c.offer_id == self.offer_id)
        if self.entry_type:
            stmt = stmt.where(c.entry_type == model.EntryType(self.entry_type).value)
        if self.month_from:
            stmt = stmt.where(c.month >= _month(self.month_from, "month_from"))
        if self.month_to:
            stmt = stmt.where(c.month <= _month(self.month_to, "month_to"))
        return stmt

    def grain(self, keys: Sequence[str]) -> int | None:
        """The finest roll-up the summary needs (``balances``), or None if only the entries
        can answer it (a filter by offer or by entry type)."""
        if self.offer_id is not None or self.entry_type:
            return None
        if "item" in keys or self.item:
            return balances.FULL
        if "month" in keys or self.month_from or self.month_to:
            return balances.BY_MONTH
        return balances.COARSE


def _month(text: str, field_name: str) -> str:
    try:
        return dt.datetime.strptime(text, "%Y-%m").strftime("%Y-%m")
    except ValueError:
        raise InvalidInput(
            field_name, _("{text!r} is not a month like 2024-03").format(text=text)
        ) from None


def _delegation_id(session: Session, code: str) -> int:
    found = session.scalar(select(Delegation.id).where(Delegation.code == code.upper()))
    if found is None:
        raise InvalidInput("member", _("no delegation with code {code!r}").format(code=code))
    return found


_NAMES = "shieldwall_names"  # where a read-only session keeps its Names


class Names:
    """Codes and names of the reference tables, each read when first asked for (a summary by
    member needs the delegations only), once per view (once per read-only session: a page
    reads them for each of its parts)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @classmethod
    def load(cls, session: Session) -> Names:
        # A session that only reads sees one snapshot (``Platform.reading``): what it read once
        # it may keep. One that writes may add an item or a delegation meanwhile: read again.
        found: Names | None = session.info.get(_NAMES)
        if found is not None:
            return found
        names = cls(session)
        if session.info.get(READ_ONLY):
            session.info[_NAMES] = names
        return names

    @functools.cached_property
    def delegations(self) -> dict[int, tuple[str, str]]:
        rows = self._session.execute(select(Delegation.id, Delegation.code, Delegation.name))
        return {r.id: (r.code, r.name) for r in rows}

    @functools.cached_property
    def areas(self) -> dict[int, tuple[str, str]]:
        rows = self._session.execute(
            select(CapabilityArea.id, CapabilityArea.code, CapabilityArea.name)
        )
        return {r.id: (r.code, r.name) for r in rows}

    @functools.cached_property
    def _items(self) -> list[Any]:
        return list(
            self._session.execute(
                select(
                    CapabilityItem.id, CapabilityItem.code, CapabilityItem.name, CapabilityItem.unit
                )
            )
        )

    @functools.cached_property
    def items(self) -> dict[int, tuple[str, str]]:
        return {r.id: (r.code, r.name) for r in self._items}

    @functools.cached_property
    def units(self) -> dict[int, str]:
        """Each catalogue item's unit ("rounds", "systems"), read with the items."""
        return {r.id: r.unit for r in self._items}

    @functools.cached_property
    def files(self) -> dict[int, tuple[str, str | None]]:
        """Imported files, for the provenance of entries: id → (file name, release)."""
        rows = self._session.execute(
            select(ImportedFile.id, ImportedFile.file_name, ImportedFile.release)
        )
        return {r.id: (r.file_name, r.release) for r in rows}

    def label(self, key: str, raw: Any) -> Any:
        if raw is None:
            return None
        if key in ("member", "partner"):
            return self.delegations[raw][0]
        if key == "area":
            return self.areas[raw][0]
        if key == "item":
            return self.items[raw][0]
        return raw


def cents_to_eur(cents: int) -> float:
    return round(cents / 100, 2)


def visible_entries(reader: Actor, stmt: Select[Any]) -> Select[Any]:
    """Entries inherit their offer's releasability; the secretariat sees the whole ledger."""
    if reader.sees_everything:
        return stmt
    return stmt.where(LedgerEntry.offer_id.in_(readable_offer_ids(reader)))


# The roll-ups' column behind each group key: item and request 0 stand for none.
_R = ledger_rollup.c
ROLLUP_GROUP_KEYS: dict[str, Any] = {
    "member": _R.member_id,
    "partner": _R.partner_id,
    "kind": _R.kind,
    "area": _R.area_id,
    "item": func.nullif(_R.item_id, balances.NO_ID),
    "month": _R.month,
    "request": func.nullif(_R.request_id, balances.NO_ID),
}


def rollup_sums() -> list[ColumnElement[Any]]:
    """Per measure, the sums of the roll-ups' quantities and cents (the cents in their two
    halves on every database, read back with ``measure_totals``)."""
    return list(_rollup_sums())


@functools.cache
def _rollup_sums() -> tuple[ColumnElement[Any], ...]:
    # Built once: building these nine sums was a tenth of a summary's CPU (api_load.py).
    return tuple(func.coalesce(func.sum(_R[n]), 0).label(n) for n in balances.ROLLUP_SUMS)


def summary_statement(
    reader: Actor, keys: list[str], session: Session, where: EntryFilter
) -> Select[Any]:
    """The summary as one GROUP BY: over the roll-ups of the grain it needs, else (filtered
    by offer or entry type) over the entries; either way releasability-filtered inside."""
    grain = where.grain(keys)
    if grain is not None:
        return where.apply(session, _rollup_summary(reader, keys, grain), _R)
    dims = [GROUP_KEYS[k] for k in keys]
    dialect = session.get_bind().dialect.name
    stmt = select(*[d.label(k) for d, k in zip(dims, keys, strict=True)])
    stmt = stmt.add_columns(*measure_sums(dialect)).select_from(LedgerEntry)
    stmt = visible_entries(reader, where.apply(session, stmt))
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt


def _rollup_summary(reader: Actor, keys: Sequence[str], grain: int) -> Select[Any]:
    """The summary over the roll-ups of ``grain`` that ``reader`` may see, before filters."""
    dims = [ROLLUP_GROUP_KEYS[k] for k in keys]
    stmt = select(*[d.label(k) for d, k in zip(dims, keys, strict=True)])
    stmt = stmt.add_columns(*rollup_sums()).select_from(ledger_rollup).where(_R.grain == grain)
    if not reader.sees_everything:
        stmt = stmt.where(readable_rollups(reader))
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt


@functools.lru_cache(maxsize=4096)
def _unfiltered_summary(seat: Seat, keys: tuple[str, ...]) -> Select[Any]:
    """The summary without filters (the API's, the dashboard's) for a reader at ``seat``, with
    its codes: it depends on nothing else, so it is built once, not with its subquery's
    columns and its cache key again for each request (a third of the summary's CPU)."""
    grain = EntryFilter().grain(keys)
    assert grain is not None  # only a filter by offer or entry type needs the entries
    return _with_codes(_rollup_summary(seated(seat), keys, grain), keys)


def ledger_summary(
    session: Session,
    reader: Actor,
    group_by: str | Sequence[str] | None,
    where: EntryFilter | None = None,
) -> list[dict[str, Any]]:
    """Offered, committed and delivered (EUR and quantity) grouped by any of GROUP_KEYS,
    over the entries ``reader`` may see (kept while the database is unchanged: a reader's
    answer depends on its seat, the keys and the filters only)."""
    keys = parse_group_by(group_by)
    where = where or EntryFilter()
    rows = kept(
        session,
        ("ledger_summary", seat(reader), tuple(keys), tuple(vars(where).values())),
        lambda: _read_summary(session, reader, keys, where),
    )
    return [dict(row) for row in rows]  # the kept rows stay as they were read


def _read_summary(
    session: Session, reader: Actor, keys: list[str], where: EntryFilter
) -> list[dict[str, Any]]:
    if where == EntryFilter():
        stmt = _unfiltered_summary(seat(reader), tuple(keys))
    else:
        stmt = _with_codes(summary_statement(reader, keys, session, where), keys)
    result = session.execute(stmt)
    columns = list(result.keys())
    # Read by position: a summary by item and month has tens of thousands of rows.
    measures = [
        (m.value, columns.index(f"{m.value}_quantity"), _cents_at(columns, f"{m.value}_cents"))
        for m in model.MEASURES
    ]
    out = []
    for row in result:
        record: dict[str, Any] = {k: row[i] for i, k in enumerate(keys)}
        for m, _q, cents in measures:
            record[f"{m}_eur"] = cents_to_eur(
                int(row[cents[0]])
                if len(cents) == 1
                else (int(row[cents[0]]) << SPLIT_BITS) + int(row[cents[1]])
            )
        for m, q, _cents in measures:
            record[f"{m}_quantity"] = int(row[q])
        out.append(record)
    return out


# The reference table whose code names each group key's id.
_CODED_KEYS: dict[str, Any] = {
    "member": Delegation.__table__,
    "partner": Delegation.__table__,
    "area": CapabilityArea.__table__,
    "item": CapabilityItem.__table__,
}


def _with_codes(summary: Select[Any], keys: Sequence[str]) -> Select[Any]:
    """The summary's rows with the codes of their members, partners, areas and items in
    place of their ids, joined in the same statement (no query of the names after it),
    ordered by what is shown: the codes (by id, "CZE, DNK, EST, FRA, DEU" read as unsorted)."""
    grouped = summary.order_by(None).subquery("summary")
    joined: Any = grouped
    columns: list[Any] = []
    order: list[Any] = []
    for key in keys:
        if key in _CODED_KEYS:
            named = _CODED_KEYS[key].alias(f"{key}_named")
            joined = joined.outerjoin(named, named.c.id == grouped.c[key])
            columns.append(named.c.code.label(key))
            order.append(named.c.code)
        else:
            columns.append(grouped.c[key])
            order.append(grouped.c[key])
    sums = [c for c in grouped.c if c.key not in keys]
    return select(*columns, *sums).select_from(joined).order_by(*order)


def _cents_at(columns: list[str], label: str) -> tuple[int, ...]:
    """Where a row of ``measure_sums`` or ``rollup_sums`` holds the cents under ``label``:
    one column, or its high and low halves (``kit.amounts.total``)."""
    if label in columns:
        return (columns.index(label),)
    return columns.index(f"{label}_hi"), columns.index(f"{label}_lo")


def totals(session: Session, reader: Actor) -> dict[str, Any]:
    rows = ledger_summary(session, reader, [])
    return rows[0] if rows else {c: 0 for c in MEASURE_COLUMNS}


# ---- requests ----------------------------------------------------------------------------------


@dataclass
class RequestView:
    id: int
    title: str
    partner: str
    partner_id: int
    area: str
    area_name: str
    item: str | None
    item_name: str | None
    unit: str | None
    quantity: int | None
    requested_eur: float
    priority: str
    need_by: dt.date | None
    justification: str
    addressees: list[str]
    state: str
    state_reason: str | None
    status: str
    filed_at: dt.datetime
    illustrative: bool
    releasability: str
    offered: Amount = field(default_factory=Amount)
    committed: Amount = field(default_factory=Amount)
    delivered: Amount = field(default_factory=Amount)
    # The part of ``committed`` and ``delivered`` that comes from offers the reader may not see
    # (model.coverage_unseen): counted in the totals, never named.
    committed_unseen: Amount = field(default_factory=Amount)
    delivered_unseen: Amount = field(default_factory=Amount)
    coverage: float = 0.0
    partner_name: str = ""
    addressee_names: list[str] = field(default_factory=list)

    def as_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        """The request as the API and the pages show it; with ``today`` (the platform clock's),
        also how its need-by date stands."""
        by_quantity = self.item is not None
        gap_q = max((self.quantity or 0) - self.committed.quantity, 0) if by_quantity else None
        requested = Amount(self.quantity or 0, round(self.requested_eur * 100))
        days_left = (
            model.days_left(self.need_by, today)
            if today is not None
            and self.need_by is not None
            and model.request_awaits_delivery(self.state, requested, self.delivered, by_quantity)
            else None
        )
        return {
            "id": self.id,
            "title": self.title,
            "partner": self.partner,
            "partner_name": self.partner_name,
            "partner_id": self.partner_id,
            "area": self.area,
            "area_name": self.area_name,
            "item": self.item,
            "item_name": self.item_name,
            "unit": self.unit,
            "quantity": self.quantity,
            "requested_eur": self.requested_eur,
            "priority": self.priority,
            "need_by": self.need_by,
            "justification": self.justification,
            "addressees": self.addressees,
            "addressee_names": self.addressee_names,
            "to_all_members": not self.addressees,
            "state": self.state,
            "state_reason": self.state_reason,
            "status": self.status,
            "filed_at": self.filed_at,
            "illustrative": self.illustrative,
            "releasability": self.releasability,
            "offered_quantity": self.offered.quantity,
            "committed_quantity": self.committed.quantity,
            "delivered_quantity": self.delivered.quantity,
            "offered_eur": cents_to_eur(self.offered.value_cents),
            "committed_eur": cents_to_eur(self.committed.value_cents),
            "delivered_eur": cents_to_eur(self.delivered.value_cents),
            "committed_unseen_quantity": self.committed_unseen.quantity,
            "committed_unseen_eur": cents_to_eur(self.committed_unseen.value_cents),
            "delivered_unseen_quantity": self.delivered_unseen.quantity,
            "delivered_unseen_eur": cents_to_eur(self.delivered_unseen.value_cents),
            "gap_quantity": gap_q,
            "gap_eur": cents_to_eur(
                max(round(self.requested_eur * 100) - self.committed.value_cents, 0)
            ),
            "coverage": round(self.coverage, 4),
            "days_left": days_left,
            "overdue": days_left is not None and days_left < 0,
        }


def _request_balances(
    session: Session, reader: Actor | None, ids: list[int]
) -> dict[int, dict[str, Amount]]:
    """Balances per request over the offers ``reader`` may see, from the roll-ups; with no
    reader, over all offers (only for a request's own totals: ``model.coverage_unseen``)."""
    if not ids:
        return {}
    stmt = select(_R.request_id.label("key"), *rollup_sums()).where(
        _R.grain == balances.COARSE, _R.request_id.in_(ids)
    )
    if reader is not None and not reader.sees_everything:
        stmt = stmt.where(readable_rollups(reader))
    rows = session.execute(stmt.group_by(_R.request_id)).all()
    return {r._mapping["key"]: measure_totals(r._mapping) for r in rows}


def list_requests(
    session: Session,
    reader: Actor,
    *,
    status: str | None = None,
    area: str | None = None,
    partner: str | None = None,
    addressed_to: str | None = None,
) -> list[RequestView]:
    stmt = select(AssistanceRequest).where(readable_requests(reader)).order_by(AssistanceRequest.id)
    if area:
        stmt = stmt.join(CapabilityArea, CapabilityArea.id == AssistanceRequest.area_id).where(
            CapabilityArea.code == area
        )
    if partner:
        stmt = stmt.where(AssistanceRequest.partner_id == _delegation_id(session, partner))
    if addressed_to:
        member_id = _delegation_id(session, addressed_to)
        named = select(RequestAddressee.request_id).where(
            RequestAddressee.delegation_id == member_id
        )
        stmt = stmt.where(
            AssistanceRequest.to_all_members.is_(True) | AssistanceRequest.id.in_(named)
        )
    views = _request_views(session, reader, list(session.scalars(stmt)))
    if status:
        wanted = model.RequestStatus(status)
        views = [v for v in views if v.status == wanted]
    return views


def _addressees_by_request(
    session: Session, names: Names, ids: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """The (code, name) of the delegations each request is addressed to, read in one query
    for a whole page rather than one per request."""
    addressees: dict[int, list[tuple[str, str]]] = {}
    if ids:
        for request_id, delegation_id in session.execute(
            select(RequestAddressee.request_id, RequestAddressee.delegation_id).where(
                RequestAddressee.request_id.in_(ids)
            )
        ):
            addressees.setdefault(request_id, []).append(names.delegations[delegation_id])
    return addressees


def _request_views(
    session: Session, reader: Actor, requests: list[AssistanceRequest]
) -> list[RequestView]:
    names = Names.load(session)
    ids = [r.id for r in requests]
    # A request's committed and delivered totals count every offer answering it, so that its
    # status and coverage are the same for every reader; what comes from offers the reader may
    # not see is told apart, without naming their members (model.coverage_unseen).
    everything = _request_balances(session, None, ids)
    seen = _request_balances(session, reader, ids)
    addressees = _addressees_by_request(session, names, ids)
    units = names.units
    views = []
    for r in requests:
        b, mine = everything.get(r.id, {}), seen.get(r.id, {})
        offered = mine.get("offered", Amount())
        committed = b.get("committed", Amount())
        delivered = b.get("delivered", Amount())
        by_quantity = r.item_id is not None
        requested = Amount(r.quantity or 0, r.value_cents)
        views.append(
            RequestView(
                id=r.id,
                title=r.title,
                partner=names.delegations[r.partner_id][0],
                partner_id=r.partner_id,
                area=names.areas[r.area_id][0],
                area_name=names.areas[r.area_id][1],
                item=names.items[r.item_id][0] if r.item_id else None,
                item_name=names.items[r.item_id][1] if r.item_id else None,
                unit=units.get(r.item_id) if r.item_id else "EUR",
                quantity=r.quantity,
                requested_eur=cents_to_eur(r.value_cents),
                priority=r.priority,
                need_by=r.need_by,
                justification=r.justification,
                addressees=sorted(code for code, _name in addressees.get(r.id, [])),
                addressee_names=sorted(name for _code, name in addressees.get(r.id, [])),
                partner_name=names.delegations[r.partner_id][1],
                state=r.state,
                state_reason=r.state_reason,
                status=model.request_status(r.state, requested, committed, by_quantity).value,
                filed_at=r.filed_at,
                illustrative=r.illustrative,
                releasability=r.releasability,
                offered=offered,
                committed=committed,
                delivered=delivered,
                committed_unseen=model.coverage_unseen(committed, mine.get("committed")),
                delivered_unseen=model.coverage_unseen(delivered, mine.get("delivered")),
                coverage=model.coverage_ratio(requested, committed, by_quantity),
            )
        )
    return views


def request_views(
    session: Session, reader: Actor, requests: list[AssistanceRequest]
) -> list[RequestView]:
    """The views of requests already read (a list's page), in their order."""
    return _request_views(session, reader, requests)


def get_request(session: Session, reader: Actor, request_id: int) -> RequestView:
    request = session.scalar(
        select(AssistanceRequest).where(
            AssistanceRequest.id == request_id, readable_requests(reader)
        )
    )
    if request is None:  # unseen and absent look the same: existence is not disclosed
        raise NotFound(_("request {id} does not exist").format(id=request_id))
    return _request_views(session, reader, [request])[0]


# ---- offers ------------------------------------------------------------------------------------


_MEMBER = Delegation.__table__.alias("member_delegation")
_PARTNER = Delegation.__table__.alias("partner_delegation")
_AREA = CapabilityArea.__table__
_ITEM = CapabilityItem.__table__
_BALANCE = offer_balance.c
# An offer's view as plain columns, its names and its maintained balances joined in: the
# views of a page of 100 offers are one statement, not ORM objects with a query for each of
# their balances, names and need-by dates (benchmarks/api_load.py).
_OFFER_VIEW_COLUMNS: tuple[Any, ...] = (
    Offer.id,
    Offer.member_id,
    Offer.partner_id,
    _MEMBER.c.code.label("member"),
    _MEMBER.c.name.label("member_name"),
    _PARTNER.c.code.label("partner"),
    _PARTNER.c.name.label("partner_name"),
    Offer.request_id,
    Offer.kind,
    _AREA.c.code.label("area"),
    _AREA.c.name.label("area_name"),
    _ITEM.c.code.label("item"),
    _ITEM.c.name.label("item_name"),
    _ITEM.c.unit.label("unit"),
    AssistanceRequest.need_by,
    Offer.description,
    Offer.quantity,
    Offer.value_cents,
    Offer.conditions,
    Offer.state,
    Offer.state_reason,
    Offer.offered_at,
    Offer.source,
    Offer.original_currency,
    Offer.original_amount_cents,
    Offer.amount_usd_cents,
    Offer.illustrative,
    Offer.releasability,
    *[_BALANCE[name] for name in balances.OFFER_SUMS],
)


def _offer_view_statement(reader: Actor) -> Select[Any]:
    """The offers ``reader`` may see, as their views' columns. An offer against a request is
    due by the request's need-by date, if the reader may see the request; an offer with no
    entry has no balance row (its sums are then none: zero)."""
    return (
        select(*_OFFER_VIEW_COLUMNS)
        .join(_MEMBER, _MEMBER.c.id == Offer.member_id)
        .join(_PARTNER, _PARTNER.c.id == Offer.partner_id)
        .join(_AREA, _AREA.c.id == Offer.area_id)
        .outerjoin(_ITEM, _ITEM.c.id == Offer.item_id)
        .outerjoin(
            AssistanceRequest,
            and_(AssistanceRequest.id == Offer.request_id, readable_requests(reader)),
        )
        .outerjoin(offer_balance, _BALANCE.offer_id == Offer.id)
        .where(readable_offers(reader))
    )


# The filters of the offers list, each a condition on a bound parameter of the same name.
_OFFER_FILTERS: dict[str, Any] = {
    "member_id": Offer.member_id,
    "state": Offer.state,
    "request_id": Offer.request_id,
    "kind": Offer.kind,
}


@functools.lru_cache(maxsize=4096)
def _offers_page(seat: Seat, filters: tuple[str, ...]) -> tuple[Select[Any], Select[Any]]:
    """The offers list's count and page for a reader at ``seat`` filtered by ``filters``,
    their values bound when executed: built once, so that neither the statements nor their
    cache keys are made again for each request (a tenth of the list's CPU)."""
    reader = seated(seat)
    conditions = [_OFFER_FILTERS[name] == bindparam(name) for name in filters]
    count = select(func.count(Offer.id)).where(readable_offers(reader), *conditions)
    page = (
        _offer_view_statement(reader)
        .where(*conditions)
        .order_by(Offer.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return count, page


# The names of a row's plain columns, in ``_OFFER_VIEW_COLUMNS``' order; its maintained sums
# (quantity and cents' halves of each measure) follow them.
_OFFER_ROW_NAMES = tuple(c.key for c in _OFFER_VIEW_COLUMNS[: -len(balances.OFFER_SUMS)])


def _offer_view(row: Any) -> dict[str, Any]:
    """An offer's view from a row of ``_OFFER_VIEW_COLUMNS`` (by position: a page has 100)."""
    view = dict(zip(_OFFER_ROW_NAMES, row, strict=False))
    view["value_eur"] = cents_to_eur(view.pop("value_cents"))
    # An amount its source stated in another currency (UN OCHA FTS): that currency and amount,
    # and the US dollars it reported.
    original, usd = view.pop("original_amount_cents"), view.pop("amount_usd_cents")
    view["original_amount"] = None if original is None else cents_to_eur(original)
    view["amount_usd"] = None if usd is None else cents_to_eur(usd)
    sums = [int(v or 0) for v in row[len(_OFFER_ROW_NAMES) :]]  # none: the offer has no entry
    for i, measure in enumerate(MEASURE_NAMES):
        quantity, high, low = sums[3 * i : 3 * i + 3]
        view[f"{measure}_quantity"] = quantity
        view[f"{measure}_eur"] = cents_to_eur((high << SPLIT_BITS) + low)
    return view


def list_offers(
    session: Session,
    reader: Actor,
    *,
    member: str | None = None,
    state: str | None = None,
    request_id: int | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the offers ``reader`` may see, and how many there are (kept while the
    database is unchanged, as ``ledger_summary``)."""
    total, rows = kept(
        session,
        ("offers", seat(reader), member, state, request_id, kind, offset, limit),
        lambda: _read_offers(session, reader, member, state, request_id, kind, offset, limit),
    )
    return total, [dict(row) for row in rows]  # the kept views stay as they were read


def _read_offers(
    session: Session,
    reader: Actor,
    member: str | None,
    state: str | None,
    request_id: int | None,
    kind: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    if member:
        values["member_id"] = _delegation_id(session, member)
    if state:
        values["state"] = model.OfferState(state).value
    if request_id is not None:
        values["request_id"] = request_id
    if kind:
        values["kind"] = model.AssistanceKind(kind).value
    count, page = _offers_page(seat(reader), tuple(values))
    # Plain rows through the session's connection: the ORM's result processing is not needed
    # for columns.
    connection = session.connection()
    total = connection.execute(count, values).scalar() or 0
    rows = connection.execute(page, {**values, "offset": offset, "limit": limit})
    return int(total), [_offer_view(row) for row in rows]


def offer_views(session: Session, reader: Actor, offers: list[Offer]) -> list[dict[str, Any]]:
    """The views of offers already read (a list's page), in their order."""
    ids = [o.id for o in offers]
    views: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), balances.CHUNK):
        chunk = ids[start : start + balances.CHUNK]
        rows = session.connection().execute(
            _offer_view_statement(reader).where(Offer.id.in_(chunk))
        )
        views.update((row[0], _offer_view(row)) for row in rows)
    return [views[i] for i in ids]


def get_offer(session: Session, reader: Actor, offer_id: int) -> dict[str, Any]:
    row = (
        session.connection()
        .execute(_offer_view_statement(reader).where(Offer.id == offer_id))
        .first()
    )
    if row is None:
        raise NotFound(_("offer {id} does not exist").format(id=offer_id))
    return _offer_view(row)


def delivery_dict(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "offer_id": d.offer_id,
        "quantity": d.quantity,
        "delivered_on": d.delivered_on,
        "note": d.note,
        "state": d.state,
        "state_reason": d.state_reason,
        "recorded_at": d.recorded_at,
        "settled_at": d.settled_at,
    }


def list_deliveries(
    session: Session, reader: Actor, *, offer_id: int | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    stmt = select(Delivery).order_by(Delivery.id)
    if not reader.sees_everything:
        stmt = stmt.where(Delivery.offer_id.in_(readable_offer_ids(reader)))
    if offer_id is not None:
        stmt = stmt.where(Delivery.offer_id == offer_id)
    if state:
        stmt = stmt.where(Delivery.state == model.DeliveryState(state).value)
    return [delivery_dict(d) for d in session.scalars(stmt)]


def get_delivery(session: Session, reader: Actor, delivery_id: int) -> dict[str, Any]:
    d = session.scalar(
        select(Delivery).where(
            Delivery.id == delivery_id, Delivery.offer_id.in_(readable_offer_ids(reader))
        )
    )
    if d is None:
        raise NotFound(_("delivery {id} does not exist").format(id=delivery_id))
    return delivery_dict(d)


def offer_timeline(session: Session, offer_id: int) -> list[dict[str, Any]]:
    """What happened to an offer, oldest first, from the audit log of the offer and deliveries."""
    delivery_ids = [
        str(i) for i in session.scalars(select(Delivery.id).where(Delivery.offer_id == offer_id))
    ]
    stmt = (
        select(AuditRecord)
        .where(
            ((AuditRecord.record_type == "offer") & (AuditRecord.record_id == str(offer_id)))
            | ((AuditRecord.record_type == "delivery") & AuditRecord.record_id.in_(delivery_ids))
        )
        .order_by(AuditRecord.id)
    )
    return [
        {
            "at": a.at,
            "actor": a.actor,
            "delegation": a.delegation,
            "action": a.action,
            "record": f"{a.record_type} {a.record_id}",
        }
        for a in session.scalars(stmt)
    ]


# ---- ledger ------------------------------------------------------------------------------------


ENTRY_COLUMNS = (
    "id",
    "entry_type",
    "measure",
    "offer_id",
    "delivery_id",
    "request_id",
    "member",
    "partner",
    "kind",
    "area",
    "item",
    "quantity",
    "value_eur",
    "occurred_on",
    "recorded_at",
    "reason",
    "source_file",  # provenance of an imported entry: the file, its line, its release
    "source_line",
    "source_release",
)


def entry_dict(e: LedgerEntry, names: Names) -> dict[str, Any]:
    return {
        "id": e.id,
        "entry_type": e.entry_type,
        "measure": e.measure,
        "offer_id": e.offer_id,
        "delivery_id": e.delivery_id,
        "request_id": e.request_id,
        "member": names.delegations[e.member_id][0],
        "partner": names.delegations[e.partner_id][0],
        "kind": e.kind,
        "area": names.areas[e.area_id][0],
        "item": names.items[e.item_id][0] if e.item_id else None,
        "quantity": e.quantity,
        "value_eur": cents_to_eur(e.value_cents),
        "occurred_on": e.occurred_on,
        "recorded_at": e.recorded_at,
        "reason": e.reason,
        **provenance(e.imported_file_id, e.source_line, names),
    }


def provenance(file_id: int | None, line: int | None, names: Names) -> dict[str, Any]:
    """Where an imported entry came from: its file's name, its line, the file's release."""
    name, release = names.files.get(file_id, (None, None)) if file_id else (None, None)
    return {"source_file": name, "source_line": line, "source_release": release}


def get_entry(session: Session, reader: Actor, entry_id: int) -> dict[str, Any]:
    entry = session.scalar(
        visible_entries(reader, select(LedgerEntry)).where(LedgerEntry.id == entry_id)
    )
    if entry is None:
        raise NotFound(_("ledger entry {id} does not exist").format(id=entry_id))
    return entry_dict(entry, Names.load(session))


def list_entries(
    session: Session, reader: Actor, where: EntryFilter, *, offset: int = 0, limit: int = 100
) -> tuple[int, list[dict[str, Any]]]:
    stmt = visible_entries(reader, where.apply(session, select(LedgerEntry)))
    total = (
        session.scalar(
            visible_entries(
                reader, where.apply(session, select(func.count()).select_from(LedgerEntry))
            )
        )
        or 0
    )
    names = Names.load(session)
    entries = session.scalars(stmt.order_by(LedgerEntry.id).offset(offset).limit(limit))
    return int(total), [entry_dict(e, names) for e in entries]


def iter_entries(session: Session, reader: Actor, where: EntryFilter) -> Any:
    """All matching entries ``reader`` may see, streamed in id order (for exports)."""
    names = Names.load(session)
    stmt = visible_entries(reader, where.apply(session, select(LedgerEntry))).order_by(
        LedgerEntry.id
    )
    for e in session.scalars(stmt.execution_options(yield_per=2000)):
        yield entry_dict(e, names)


# ---- dashboard views ---------------------------------------------------------------------------


def area_coverage(session: Session, reader: Actor) -> list[dict[str, Any]]:
    """Per capability area: what active requests ask for and what is committed against them."""
    requests = [v for v in list_requests(session, reader) if v.state == model.RequestState.ACTIVE]
    areas = {a.code: a.name for a in session.scalars(select(CapabilityArea))}
    by_area: dict[str, dict[str, Any]] = {
        code: {
            "area": code,
            "name": name,
            "requested_eur": 0.0,
            "committed_eur": 0.0,
            "delivered_eur": 0.0,
            "requests": 0,
        }
        for code, name in areas.items()
    }
    for v in requests:
        row = by_area[v.area]
        row["requests"] += 1
        row["requested_eur"] += v.requested_eur
        # Coverage counts commitments up to what was asked: over-delivery on one request
        # does not hide a gap on another.
        row["committed_eur"] += min(cents_to_eur(v.committed.value_cents), v.requested_eur)
        row["delivered_eur"] += min(cents_to_eur(v.delivered.value_cents), v.requested_eur)
    out = []
    for row in by_area.values():
        req = row["requested_eur"]
        row["coverage"] = round(row["committed_eur"] / req, 4) if req else None
        row["requested_eur"] = round(req, 2)
        row["committed_eur"] = round(row["committed_eur"], 2)
        row["delivered_eur"] = round(row["delivered_eur"], 2)
        out.append(row)
    return sorted(out, key=lambda r: r["area"])


def member_gaps(session: Session, reader: Actor) -> list[dict[str, Any]]:
    """Per member: committed vs delivered (EUR) and the gap between them (its delivered share
    in per cent: ``reports.summaries.member_shares``)."""
    rows = ledger_summary(session, reader, ["member"])
    out = [{**r, "gap_eur": round(r["committed_eur"] - r["delivered_eur"], 2)} for r in rows]
    return sorted(out, key=lambda r: -r["committed_eur"])


def list_delegations(session: Session) -> list[dict[str, Any]]:
    return [
        {"code": d.code, "name": d.name, "kind": d.kind, "joined_on": d.joined_on}
        for d in session.scalars(select(Delegation).order_by(Delegation.kind, Delegation.code))
    ]


def catalogue(session: Session) -> list[dict[str, Any]]:
    areas = list(session.scalars(select(CapabilityArea).order_by(CapabilityArea.code)))
    items = list(session.scalars(select(CapabilityItem).order_by(CapabilityItem.code)))
    by_area: dict[int, list[dict[str, Any]]] = {}
    for i in items:
        by_area.setdefault(i.area_id, []).append(
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "reference_unit_value_eur": None
                if i.reference_unit_value_cents is None
                else cents_to_eur(i.reference_unit_value_cents),
                "price_date": i.price_date,
                "tags": list(i.tags or []),
            }
        )
    return [
        {
            "code": a.code,
            "name": a.name,
            "description": a.description,
            "items": by_area.get(a.id, []),
        }
        for a in areas
    ]


def pending_deliveries(session: Session, reader: Actor) -> list[dict[str, Any]]:
    return list_deliveries(session, reader, state=model.DeliveryState.RECORDED.value)


# ---- what waits for a delegation ("needs you now") ---------------------------------------------

# kind of line, and what the delegation is to do, for each step an offer or delivery waits for
_OFFER_STEPS: dict[model.OfferAction, tuple[str, str]] = {
    model.OfferAction.ACCEPT: (N_("offer awaiting your answer"), N_("accept or decline")),
    model.OfferAction.COMMIT: (N_("offer accepted, awaiting your commitment"), N_("commit")),
}


def waiting_for(session: Session, reader: Actor, now: dt.datetime) -> list[Waiting]:
    """What in the assistance ledger waits for the reader's delegation, one line each:

    - the partner: offers made to it awaiting its answer; deliveries awaiting its confirmation;
    - a member: active requests addressed to it, not yet covered, that no standing offer of its
      own answers (due at the end of their need-by date); its accepted offers awaiting its
      commitment; its deliveries the partner rejected, until it acts on the offer
      (``model.rejection_awaits_member``).

    Only records the reader may see are read (each query carries its releasability); who is to
    act is the policy's answer (``policy.delegation_may``). A viewer or a read-only token sees
    its delegation's lines, each saying it may only read. The secretariat has nothing waiting
    here: what it may do in the ledger (close requests, correct it) it does when it decides to.
    ``now`` is unused: the ledger's deadlines are dates that do not move with the clock.
    """
    if reader.delegation_id is None:
        return []
    names = Names.load(session)
    units = names.units
    return [
        *_requests_awaiting_offers(session, reader, names, units),
        *_offers_awaiting_steps(session, reader, names, units),
        *_deliveries_awaiting_steps(session, reader, names, units),
    ]


def _to_do(
    reader: Actor,
    names: Names,
    verb: str,
    permission: policy.Action,
    owner_id: int | None,
    partner_id: int | None,
) -> str:
    """What to do, as the reader may read it: the verb for who may act; for a viewer or a
    read-only token (the policy says no), the same duty named as its delegation's."""
    if policy.allowed(reader, permission, owner_id, partner_id):
        return _(verb)
    delegation = names.delegations[reader.delegation_id or 0][1]
    return _("{delegation} to {action} (you have read-only access)").format(
        delegation=delegation, action=_(verb)
    )


def _what(
    quantity: int | None,
    item_id: int | None,
    area_id: int,
    value_cents: int,
    names: Names,
    units: dict[int, str],
) -> str:
    """What a request asks for or an offer gives: the item and quantity, else area and value."""
    if item_id is not None and quantity is not None:
        return words.quantity_of(quantity, names.items[item_id][1], units[item_id])
    return _("{area} worth {value}").format(
        area=names.areas[area_id][1], value=format_eur_exact(Decimal(value_cents) / 100)
    )


def _party_to_offer(reader: Actor) -> ColumnElement[bool]:
    """Offers the reader may see to which its delegation is a party (the member making it, or
    the partner it is made to); which party is to act the policy says."""
    return and_(
        readable_offers(reader),
        or_(Offer.member_id == reader.delegation_id, Offer.partner_id == reader.delegation_id),
    )


def _requests_awaiting_offers(
    session: Session, reader: Actor, names: Names, units: dict[int, str]
) -> list[Waiting]:
    rows = {
        r.id: r
        for r in session.scalars(
            select(AssistanceRequest).where(
                readable_requests(reader), AssistanceRequest.state == model.RequestState.ACTIVE
            )
        )
    }
    views = [
        v
        for v in _request_views(session, reader, list(rows.values()))
        if policy.request_awaits(
            reader, v.state == model.RequestState.ACTIVE, not v.addressees, v.addressees
        )
        and model.awaits_cover(v.status)
    ]
    answered = {
        request_id
        for request_id, state in session.execute(
            select(Offer.request_id, Offer.state).where(
                readable_offers(reader),
                Offer.member_id == reader.delegation_id,
                Offer.request_id.in_([v.id for v in views]),
            )
        )
        if model.answers_request(state)
    }
    lines = []
    for v in views:
        if v.id in answered:
            continue
        r = rows[v.id]
        what = _what(r.quantity, r.item_id, r.area_id, r.value_cents, names, units)
        lines.append(
            Waiting(
                kind=_("request addressed to you"),
                title=_("Request {id}: {what} for {partner}").format(
                    id=v.id, what=what, partner=names.delegations[r.partner_id][1]
                ),
                action=_to_do(
                    reader,
                    names,
                    N_("answer with an offer"),
                    policy.Action.MAKE_OFFER,
                    reader.delegation_id,
                    None,
                ),
                link=f"/requests/{v.id}",
                record_type="request",
                record_id=v.id,
                due_at=model.need_by_deadline(v.need_by) if v.need_by else None,
                since=v.filed_at,
            )
        )
    return lines


def _last_changes(session: Session, record_type: str, ids: list[int]) -> dict[int, dt.datetime]:
    """When each record last changed state, from the audit log."""
    if not ids:
        return {}
    rows = session.execute(
        select(AuditRecord.record_id, func.max(AuditRecord.at))
        .where(
            AuditRecord.record_type == record_type, AuditRecord.record_id.in_([str(i) for i in ids])
        )
        .group_by(AuditRecord.record_id)
    )
    return {int(record_id): at for record_id, at in rows}


def _offers_awaiting_steps(
    session: Session, reader: Actor, names: Names, units: dict[int, str]
) -> list[Waiting]:
    waiting = [s.value for s in model.OfferState if model.awaited_step(s) is not None]
    offers = session.scalars(select(Offer).where(_party_to_offer(reader), Offer.state.in_(waiting)))
    lines = []
    for o in offers:
        step = model.awaited_step(o.state)
        if step is None:
            continue
        permission = policy.OFFER_PERMISSION[step]
        if not policy.delegation_may(reader, permission, o.member_id, o.partner_id):
            continue
        kind, verb = _OFFER_STEPS[step]
        what = _what(o.quantity, o.item_id, o.area_id, o.value_cents, names, units)
        lines.append(
            Waiting(
                kind=_(kind),
                title=_("{member}: {what}").format(
                    member=names.delegations[o.member_id][1], what=what
                ),
                action=_to_do(reader, names, verb, permission, o.member_id, o.partner_id),
                link=f"/offers/{o.id}",
                record_type="offer",
                record_id=o.id,
                since=o.offered_at,
            )
        )
    awaiting_commitment = _(_OFFER_STEPS[model.OfferAction.COMMIT][0])
    accepted = [w.record_id for w in lines if w.kind == awaiting_commitment]
    changed = _last_changes(session, "offer", accepted)
    # An accepted offer has waited since it was accepted, its last change of state.
    return [replace(w, since=changed.get(w.record_id, w.since)) for w in lines]


def _delivered(d: Delivery, o: Offer, names: Names, units: dict[int, str]) -> str:
    """A delivery in words: its member, what it brought and when."""
    if o.item_id is not None:
        what = words.quantity_of(d.quantity, names.items[o.item_id][1], units[o.item_id])
    else:
        what = words.quantity_of(d.quantity, names.areas[o.area_id][1], None)
    return _("{member}: {what} delivered on {day}").format(
        member=names.delegations[o.member_id][1], what=what, day=d.delivered_on
    )


def _deliveries_awaiting_steps(
    session: Session, reader: Actor, names: Names, units: dict[int, str]
) -> list[Waiting]:
    rows = session.execute(
        select(Delivery, Offer)
        .join(Offer, Offer.id == Delivery.offer_id)
        .where(
            _party_to_offer(reader),
            Delivery.state.in_([model.DeliveryState.RECORDED, model.DeliveryState.REJECTED]),
        )
    ).all()
    offer_ids = sorted({o.id for _d, o in rows})
    last_recorded: dict[int, dt.datetime] = {
        offer_id: recorded_at
        for offer_id, recorded_at in session.execute(
            select(Delivery.offer_id, func.max(Delivery.recorded_at))
            .where(Delivery.offer_id.in_(offer_ids))
            .group_by(Delivery.offer_id)
        )
    }
    lines = []
    for d, o in rows:
        if d.state == model.DeliveryState.RECORDED:
            permission = policy.Action.SETTLE_DELIVERY
            kind, verb, title, since = (
                _("delivery awaiting your confirmation"),
                N_("confirm or reject delivery"),
                _delivered(d, o, names, units),
                d.recorded_at,
            )
        else:
            rejected_at = d.settled_at or d.recorded_at
            if not model.rejection_awaits_member(o.state, rejected_at, last_recorded.get(o.id)):
                continue
            permission = policy.OFFER_PERMISSION[model.OfferAction.RECORD_DELIVERY]
            kind, verb, title, since = (
                _("delivery rejected"),
                N_("record a new delivery"),
                _("{delivery}, rejected: {reason}").format(
                    delivery=_delivered(d, o, names, units), reason=d.state_reason
                ),
                rejected_at,
            )
        if not policy.delegation_may(reader, permission, o.member_id, o.partner_id):
            continue
        lines.append(
            Waiting(
                kind=kind,
                title=title,
                action=_to_do(reader, names, verb, permission, o.member_id, o.partner_id),
                link=f"/offers/{o.id}",
                record_type="delivery",
                record_id=d.id,
                since=since,
            )
        )
    return lines
