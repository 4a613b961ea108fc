"""The assistance ledger's lists people search — requests, offers and deliveries — declared for
``kit.listing``: their columns, filters, search and sort, and the statements they run. Every
statement starts from what the reader may see (``visibility``), inside the query (DESIGN rule
4), so a filter, a page or a download never reaches a record the reader may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, case, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from shieldwall.access.model import Actor
from shieldwall.assistance import model, queries
from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    LedgerEntry,
    Offer,
    RequestAddressee,
    offer_balance,
)
from shieldwall.assistance.visibility import readable_offers, readable_requests
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.amounts import SPLIT_BITS
from shieldwall.kit.i18n import N_, term
from shieldwall.kit.listing import (
    Column,
    Filter,
    FilterKind,
    Listing,
    Option,
    SummaryTable,
    View,
    in_batches,
)

# The stored words these lists show, for the catalogue (shown with the ``term`` filter).
TERMS = (
    N_("open"),
    N_("partially covered"),
    N_("covered"),
    N_("withdrawn"),
    N_("closed"),
    N_("critical"),
    N_("high"),
    N_("medium"),
    N_("low"),
    N_("arm"),
    N_("train"),
    N_("equip"),
    N_("finance"),
    N_("offered"),
    N_("accepted"),
    N_("declined"),
    N_("committed"),
    N_("delivered"),
    N_("cancelled"),
)

Member = aliased(Delegation, name="member")
Partner = aliased(Delegation, name="partner")


def _ranked(column: Any, order: tuple[str, ...]) -> ColumnElement[int]:
    """A stored word's place in its natural order (priority: critical first), to sort by."""
    return case({word: rank for rank, word in enumerate(order)}, value=column, else_=len(order))


# ---- requests ----------------------------------------------------------------------------------


def _request_committed() -> Any:
    """Per request, the committed quantity and cents over every offer answering it: a request's
    status is a fact about the request, as its page shows it (``model.coverage_unseen``); only
    requests the reader may see are listed, and no donor is named."""
    b = offer_balance.c
    return (
        select(
            Offer.request_id.label("request_id"),
            func.sum(b.committed_quantity).label("quantity"),
            (
                func.sum(b.committed_cents_hi) * literal_column(str(2**SPLIT_BITS))
                + func.sum(b.committed_cents_lo)
            ).label("cents"),
        )
        .join(Offer, Offer.id == b.offer_id)
        .where(Offer.request_id.is_not(None))
        .group_by(Offer.request_id)
        .subquery()
    )


def request_status_column(committed: Any) -> ColumnElement[str]:
    """``model.request_status`` as SQL, so that the list filters and sorts by status in the
    query: withdrawn and closed as stored, else open / partially covered / covered by what is
    committed against what was asked (the quantity of an item, else the value)."""
    by_quantity = AssistanceRequest.item_id.is_not(None)
    got = case(
        (by_quantity, func.coalesce(committed.c.quantity, 0)),
        else_=func.coalesce(committed.c.cents, 0),
    )
    need = case(
        (by_quantity, func.coalesce(AssistanceRequest.quantity, 0)),
        else_=AssistanceRequest.value_cents,
    )
    return case(
        (AssistanceRequest.state == model.RequestState.WITHDRAWN.value, "withdrawn"),
        (AssistanceRequest.state == model.RequestState.CLOSED.value, "closed"),
        (got <= 0, model.RequestStatus.OPEN.value),
        (got >= need, model.RequestStatus.COVERED.value),
        else_=model.RequestStatus.PARTIALLY_COVERED.value,
    )


def _addressed_to(member_id: int) -> ColumnElement[bool]:
    named = select(RequestAddressee.request_id).where(RequestAddressee.delegation_id == member_id)
    return or_(AssistanceRequest.to_all_members.is_(True), AssistanceRequest.id.in_(named))


def requests_listing(reader: Actor) -> tuple[Listing, Callable[[View], Select[Any]]]:
    """The requests list, and the statement it runs for ``reader`` and a view: it sums the
    commitments per request only when the view filters or sorts by status."""
    committed = _request_committed()
    status = request_status_column(committed)
    listing = Listing(
        path="/requests",
        name="requests",
        tiebreak=AssistanceRequest.id,
        default_sort="id",
        columns=(
            Column("id", N_("Request"), AssistanceRequest.id, numeric=True),
            Column("title", N_("Title"), func.lower(AssistanceRequest.title)),
            Column("area", N_("Capability area"), CapabilityArea.name),
            Column("priority", N_("Priority"), _ranked(AssistanceRequest.priority, PRIORITIES)),
            Column("need_by", N_("Needed by"), AssistanceRequest.need_by),
            Column("addressees", N_("Addressed to")),
            Column("status", N_("Status"), _ranked(status, STATUSES)),
            Column("requested", N_("Requested"), numeric=True),
            Column("committed", N_("Committed"), numeric=True),
            Column("delivered", N_("Delivered"), numeric=True),
            Column("coverage", N_("Coverage"), numeric=True),
            Column("filed", N_("Filed"), AssistanceRequest.filed_at),
            Column("unit", N_("Unit"), shown=False),
        ),
        filters=(
            Filter("status", N_("Status"), status, options=_options(STATUSES)),
            Filter(
                "priority", N_("Priority"), AssistanceRequest.priority, options=_options(PRIORITIES)
            ),
            Filter("area", N_("Capability area"), AssistanceRequest.area_id),
            Filter("member", N_("Addressed to"), where=_addressed_to),
            Filter(
                "filed_from", N_("Filed from"), AssistanceRequest.filed_at, FilterKind.DATE_FROM
            ),
            Filter("filed_to", N_("Filed until"), AssistanceRequest.filed_at, FilterKind.DATE_TO),
            Filter("need_from", N_("Needed from"), AssistanceRequest.need_by, FilterKind.DATE_FROM),
            Filter(
                "need_to",
                N_("Needed by (at the latest)"),
                AssistanceRequest.need_by,
                FilterKind.DATE_TO,
            ),
        ),
        search=(AssistanceRequest.title, AssistanceRequest.justification),
        search_label=N_("Search titles and texts"),
    )

    def statement(view: View) -> Select[Any]:
        stmt = (
            select(AssistanceRequest)
            .join(CapabilityArea, CapabilityArea.id == AssistanceRequest.area_id)
            .where(readable_requests(reader))
        )
        if view.sort_key == "status" or "status" in view.values:
            stmt = stmt.outerjoin(committed, committed.c.request_id == AssistanceRequest.id)
        return stmt

    return listing, statement


PRIORITIES = tuple(p.value for p in model.Priority)
STATUSES = tuple(s.value for s in model.RequestStatus)


def _options(words: tuple[str, ...]) -> tuple[Option, ...]:
    """Options of stored words, labelled in the viewer's language (lists are declared per
    request)."""
    return tuple(Option(w, term(w)) for w in words)


def request_rows(session: Session, reader: Actor, rows: list[Any]) -> list[dict[str, Any]]:
    """The requests of a page (rows of ``requests_listing``'s statement), as the page shows
    them, in their order."""
    return [v.as_dict() for v in queries.request_views(session, reader, [r[0] for r in rows])]


def request_export(row: dict[str, Any]) -> dict[str, Any]:
    """A request as a download's row: names, numbers and dates as themselves."""
    by_quantity = row["item"] is not None
    return {
        "id": row["id"],
        "title": row["title"],
        "area": row["area_name"],
        "priority": term(row["priority"]),
        "need_by": row["need_by"],
        "addressees": ", ".join(row["addressees"]) if row["addressees"] else None,
        "status": term(row["status"]),
        "requested": row["quantity"] if by_quantity else row["requested_eur"],
        "committed": row["committed_quantity"] if by_quantity else row["committed_eur"],
        "delivered": row["delivered_quantity"] if by_quantity else row["delivered_eur"],
        "coverage": row["coverage"],
        "filed": row["filed_at"],
        "unit": row["unit"],
    }


# ---- offers ------------------------------------------------------------------------------------


def _offer_balance(measure: model.Measure) -> Any:
    """An offer's balance of ``measure`` (a quantity), read per row only where the list sorts
    by it, as maintained with its entries (``balances``)."""
    balance = offer_balance.c[f"{measure.value}_quantity"]
    return func.coalesce(
        select(balance).where(offer_balance.c.offer_id == Offer.id).scalar_subquery(), 0
    )


Item = aliased(CapabilityItem, name="item")


def offers_listing(reader: Actor) -> tuple[Listing, Select[Any]]:
    """The offers list and the statement it runs for ``reader``."""
    what = func.lower(
        func.coalesce(Item.name, func.nullif(Offer.description, ""), CapabilityArea.name)
    )
    listing = Listing(
        path="/offers",
        name="offers",
        tiebreak=Offer.id,
        default_sort="id",
        columns=(
            Column("id", N_("Offer"), Offer.id, numeric=True),
            Column("member", N_("Member"), Member.name),
            Column("member_code", N_("Member code"), shown=False),
            Column("kind", N_("Kind"), Offer.kind),
            Column("item", N_("What"), what),
            Column("area", N_("Capability area"), CapabilityArea.name, shown=False),
            Column("request", N_("Request"), Offer.request_id, numeric=True),
            Column("state", N_("State"), _ranked(Offer.state, OFFER_STATES)),
            Column("offered", N_("Offered"), _offer_balance(model.Measure.OFFERED), numeric=True),
            Column(
                "committed", N_("Committed"), _offer_balance(model.Measure.COMMITTED), numeric=True
            ),
            Column(
                "delivered", N_("Delivered"), _offer_balance(model.Measure.DELIVERED), numeric=True
            ),
            Column("value", N_("Value (EUR)"), Offer.value_cents, numeric=True, euros=True),
            Column("offered_on", N_("Offered on"), Offer.offered_at),
        ),
        filters=(
            Filter("member", N_("Member"), Offer.member_id),
            Filter("kind", N_("Kind"), Offer.kind, options=_options(KINDS)),
            Filter("area", N_("Capability area"), Offer.area_id),
            Filter("state", N_("State"), Offer.state, options=_options(OFFER_STATES)),
            Filter("request", N_("Request"), Offer.request_id),
            Filter("from", N_("Offered from"), Offer.offered_at, FilterKind.DATE_FROM),
            Filter("to", N_("Offered until"), Offer.offered_at, FilterKind.DATE_TO),
        ),
        search=(Item.name, Offer.description, CapabilityArea.name),
        search_label=N_("Search items and descriptions"),
    )
    stmt = (
        select(Offer)
        .join(Member, Member.id == Offer.member_id)
        .join(CapabilityArea, CapabilityArea.id == Offer.area_id)
        .outerjoin(Item, Item.id == Offer.item_id)
        .where(readable_offers(reader))
    )
    return listing, stmt


KINDS = tuple(k.value for k in model.AssistanceKind)
OFFER_STATES = tuple(s.value for s in model.OfferState)


def offer_rows(session: Session, reader: Actor, rows: list[Any]) -> list[dict[str, Any]]:
    """The offers of a page, as the page shows them, in their order."""
    return queries.offer_views(session, reader, [r[0] for r in rows])


def offer_export(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "member": o["member_name"],
        "member_code": o["member"],
        "kind": term(o["kind"]),
        "item": o["item_name"] or o["description"] or o["area_name"],
        "area": o["area_name"],
        "request": o["request_id"],
        "state": term(o["state"]),
        "offered": o["offered_quantity"],
        "committed": o["committed_quantity"],
        "delivered": o["delivered_quantity"],
        "value": o["value_eur"],
        "offered_on": o["offered_at"],
    }


# ---- deliveries (the ledger's entries of what was delivered) ------------------------------------


def deliveries_listing(reader: Actor) -> tuple[Listing, Select[Any]]:
    """The ledger's delivered entries the reader may see (confirmed deliveries, and their
    corrections), and the statement that reads them with the names they are shown with."""
    what = func.coalesce(Item.name, CapabilityArea.name)
    listing = Listing(
        path="/deliveries",
        name="deliveries",
        tiebreak=LedgerEntry.id,
        default_sort="-date",
        columns=(
            Column("date", N_("Delivered on"), LedgerEntry.occurred_on),
            Column("member", N_("Member"), Member.name),
            Column("member_code", N_("Member code"), shown=False),
            Column("item", N_("What"), func.lower(what)),
            Column("area", N_("Capability area"), CapabilityArea.name, shown=False),
            Column("quantity", N_("Quantity"), LedgerEntry.quantity, numeric=True),
            Column("unit", N_("Unit"), shown=False),
            Column("value", N_("Value (EUR)"), LedgerEntry.value_cents, numeric=True, euros=True),
            Column("offer", N_("Offer"), LedgerEntry.offer_id, numeric=True),
            Column("request", N_("Request"), LedgerEntry.request_id, numeric=True),
            Column("entry", N_("Ledger entry"), LedgerEntry.id, numeric=True, shown=False),
            Column("reason", N_("Correction"), shown=False),
        ),
        filters=(
            Filter("member", N_("Member"), LedgerEntry.member_id),
            Filter("area", N_("Capability area"), LedgerEntry.area_id),
            Filter("from", N_("Delivered from"), LedgerEntry.occurred_on, FilterKind.DATE_FROM),
            Filter("to", N_("Delivered until"), LedgerEntry.occurred_on, FilterKind.DATE_TO),
        ),
        search=(Item.name, CapabilityArea.name, Member.name, Offer.description),
        search_label=N_("Search items, members and descriptions"),
    )
    # One entity and its names: typed as the generic statement the listing kit takes.
    stmt = cast(
        Select[Any],
        select(
            LedgerEntry,
            Member.name.label("member_name"),
            Member.code.label("member_code"),
            CapabilityArea.name.label("area_name"),
            Item.name.label("item_name"),
            Item.unit.label("unit"),
        )
        .join(Offer, Offer.id == LedgerEntry.offer_id)
        .join(Member, Member.id == LedgerEntry.member_id)
        .join(CapabilityArea, CapabilityArea.id == LedgerEntry.area_id)
        .outerjoin(Item, Item.id == LedgerEntry.item_id)
        .where(LedgerEntry.measure == model.Measure.DELIVERED.value),
    )
    return listing, queries.visible_entries(reader, stmt)


def delivery_row(row: Any) -> dict[str, Any]:
    """A delivered entry as the page shows it and the download writes it."""
    e: LedgerEntry = row[0]
    return {
        "date": e.occurred_on,
        "member": row.member_name,
        "member_code": row.member_code,
        "item": row.item_name or row.area_name,
        "area": row.area_name,
        "quantity": e.quantity,
        "unit": row.unit,
        "value": queries.cents_to_eur(e.value_cents),
        "offer": e.offer_id,
        "request": e.request_id,
        "entry": e.id,
        "reason": e.reason,
    }


# ---- what the filters offer --------------------------------------------------------------------


def member_options(session: Session, *, contributors: bool = True) -> list[Option]:
    """The delegations that make offers (members, and contributors unless not asked for: they
    are never a request's addressees), by name."""
    kinds = [DelegationKind.MEMBER.value]
    if contributors:
        kinds.append(DelegationKind.CONTRIBUTOR.value)
    return [
        Option(code, f"{name} ({code})", delegation_id)
        for delegation_id, code, name in session.execute(
            select(Delegation.id, Delegation.code, Delegation.name)
            .where(Delegation.kind.in_(kinds))
            .order_by(Delegation.name)
        )
    ]


def area_options(session: Session) -> list[Option]:
    return [
        Option(code, name, area_id)
        for area_id, code, name in session.execute(
            select(CapabilityArea.id, CapabilityArea.code, CapabilityArea.name).order_by(
                CapabilityArea.name
            )
        )
    ]


def request_options(session: Session, reader: Actor) -> list[Option]:
    """The requests the reader may see, to filter offers by the request they answer."""
    return [
        Option(str(request_id), f"{request_id}: {title}", request_id)
        for request_id, title in session.execute(
            select(AssistanceRequest.id, AssistanceRequest.title)
            .where(readable_requests(reader))
            .order_by(AssistanceRequest.id)
        )
    ]


# ---- every row of a list, as its download gives it ------------------------------------------

LISTS = ("requests", "offers", "deliveries")


def list_download(
    session: Session, reader: Actor, name: str
) -> tuple[list[Column], Iterator[dict[str, Any]]]:
    """The columns and every row of the list ``name`` (one of ``LISTS``) that ``reader`` may
    see, as the page's download gives them (the same statement, shaping and columns), in its
    default order: for the CLI's ``shieldwall export --what``."""
    view: View
    if name == "requests":
        listing, statement = requests_listing(reader)
        view = listing.parse({})
        found = view.all(session, statement(view))
        shaped = in_batches(found, _shaper(session, reader, request_rows))
        rows = (request_export(r) for r in shaped)
    elif name == "offers":
        listing, stmt = offers_listing(reader)
        view = listing.parse({})
        found = view.all(session, stmt)
        rows = (offer_export(o) for o in in_batches(found, _shaper(session, reader, offer_rows)))
    else:
        listing, stmt = deliveries_listing(reader)
        view = listing.parse({})
        rows = (delivery_row(r) for r in view.all(session, stmt))
    return [c for c in listing.columns if c.exported], rows


def _shaper(
    session: Session,
    reader: Actor,
    shape: Callable[[Session, Actor, list[Any]], list[dict[str, Any]]],
) -> Callable[[list[Any]], list[dict[str, Any]]]:
    return lambda batch: shape(session, reader, batch)


# ---- the consolidated ledger -------------------------------------------------------------------

# The ledger's summary by any of its keys (``queries.GROUP_KEYS``): the keys' columns first.
GROUP_LABELS = {
    "member": N_("Member"),
    "partner": N_("Partner"),
    "kind": N_("Kind"),
    "area": N_("Capability area"),
    "item": N_("Item"),
    "month": N_("Month"),
    "request": N_("Request"),
}
MEASURE_LABELS = {
    "offered_eur": N_("Offered (EUR)"),
    "committed_eur": N_("Committed (EUR)"),
    "delivered_eur": N_("Delivered (EUR)"),
    "offered_quantity": N_("Offered (quantity)"),
    "committed_quantity": N_("Committed (quantity)"),
    "delivered_quantity": N_("Delivered (quantity)"),
}


def ledger_summary_table(keys: list[str], name: str = "ledger-summary") -> SummaryTable:
    """The consolidated ledger grouped by ``keys``: each key, then offered, committed and
    delivered in EUR and in quantity (the API's ``/ledger/summary`` rows)."""
    return SummaryTable(
        name,
        (
            *(Column(k, GROUP_LABELS[k]) for k in keys),
            *(_measure(m) for m in queries.MEASURE_COLUMNS),
        ),
    )


def _measure(key: str) -> Column:
    return Column(key, MEASURE_LABELS[key], numeric=True, euros=key.endswith("_eur"))


# The ledger's entries as ``shieldwall export`` and ``GET /ledger/export.csv`` write them,
# headed by their keys.
ENTRY_COLUMNS = tuple(Column(k, k, euros=k == "value_eur") for k in queries.ENTRY_COLUMNS)
