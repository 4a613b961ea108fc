"""Maintained balances: the ledger's roll-ups and each offer's balances, kept in the same
transaction as the entries they sum (DESIGN rule 1: the entries stay the source of truth).

Every writer of ledger entries — the service's ``_post``, the Kiel and FTS imports and the
table import — hands the entries it has just written to ``record``, which sums them per key
first (a batch of 5,000 entries does one upsert per distinct key, not one per entry) and adds
the sums to ``ledger_rollup`` and ``offer_balance``; the table import has ``record`` keep only
its offers' balances and adds a whole file's entries to the roll-ups at its end, in the same
transaction, by the rebuild's own query on those entries (``roll_up``). An offer whose
releasability is widened moves its contribution from the old key to the new (``move_offer``).
``rebuild`` recomputes both tables from the entries; ``differences`` compares them with the
entries.

Cents are summed in two halves, as ``kit.amounts.cents_sums`` does (the high bits and the low
32 bits of each entry): a roll-up row's sums, and any sum of roll-up rows, are then bounded by
the same argument as a sum over the entries, and cannot overflow 64 bits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Select,
    SmallInteger,
    String,
    Table,
    and_,
    case,
    delete,
    except_,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shieldwall.assistance.model import Amount, Balances
from shieldwall.assistance.tables import (
    MEASURE_NAMES,
    LedgerEntry,
    Offer,
    ledger_rollup,
    offer_balance,
)
from shieldwall.kit.amounts import LOW_MASK, SPLIT_BITS

# The grains of ``ledger_rollup``: which of the item and the month a row keeps.
FULL, BY_MONTH, COARSE = 0, 1, 2
GRAINS = (FULL, BY_MONTH, COARSE)
NO_ID = 0  # item_id or request_id of a roll-up row: none
NO_MONTH = ""

KEY_COLUMNS = (
    "grain",
    "member_id",
    "partner_id",
    "kind",
    "area_id",
    "item_id",
    "month",
    "request_id",
    "releasability",
)
ROLLUP_SUMS = tuple(f"{m}_{p}" for m in MEASURE_NAMES for p in ("quantity", "cents_hi", "cents_lo"))
OFFER_SUMS = ROLLUP_SUMS

Key = tuple[Any, ...]
CHUNK = 5000  # ids per IN list: within every driver's limit of parameters
MEASURE_INDEX = {name: i for i, name in enumerate(MEASURE_NAMES)}


def _grain_keys(e: Mapping[str, Any], releasability: str) -> tuple[Key, Key, Key]:
    """The entry's roll-up key at each grain (``GRAINS``' order)."""
    member, partner, kind, area = e["member_id"], e["partner_id"], e["kind"], e["area_id"]
    request = e.get("request_id") or NO_ID
    month = e["month"]
    return (
        (FULL, member, partner, kind, area, e.get("item_id") or NO_ID, month, request,
         releasability),
        (BY_MONTH, member, partner, kind, area, NO_ID, month, request, releasability),
        (COARSE, member, partner, kind, area, NO_ID, NO_MONTH, request, releasability),
    )  # fmt: skip


@dataclass
class Sums:
    """Deltas summed per roll-up key and per offer, before they are written."""

    rollups: dict[Key, list[int]]
    offers: dict[int, list[int]]

    @classmethod
    def empty(cls) -> Sums:
        return cls({}, {})

    def add(self, e: Mapping[str, Any], releasability: str, sign: int = 1) -> None:
        # Called once per entry a batch writes (10,000 for 5,000 offers): the keys are built
        # once per entry and each row's three sums found by position.
        m = 3 * MEASURE_INDEX[e["measure"]]
        quantity, cents = sign * int(e["quantity"]), sign * int(e["value_cents"])
        high, low = cents >> SPLIT_BITS, cents & LOW_MASK
        rollups = self.rollups
        for key in _grain_keys(e, releasability):
            row = rollups.get(key)
            if row is None:
                row = rollups[key] = [0] * 9
            row[m] += quantity
            row[m + 1] += high
            row[m + 2] += low
        self._add_offer(e, m, quantity, high, low)

    def add_offer(self, e: Mapping[str, Any]) -> None:
        """The entry's delta to its offer's balances only (``record``'s ``rolled_up=False``)."""
        cents = int(e["value_cents"])
        m = 3 * MEASURE_INDEX[e["measure"]]
        self._add_offer(e, m, int(e["quantity"]), cents >> SPLIT_BITS, cents & LOW_MASK)

    def _add_offer(self, e: Mapping[str, Any], m: int, quantity: int, high: int, low: int) -> None:
        offer_id = int(e["offer_id"])
        row = self.offers.get(offer_id)
        if row is None:
            row = self.offers[offer_id] = [0] * 9
        row[m] += quantity
        row[m + 1] += high
        row[m + 2] += low


def _upsert_sql(table: Table, keys: Sequence[str], mark: str) -> str:
    """INSERT … ON CONFLICT DO UPDATE adding each sum to the row already there (the same
    statement on SQLite and PostgreSQL), for the driver itself: SQLAlchemy's processing of
    each row's parameters took longer than the upsert (as ``table_imports.Driver`` found)."""
    names = [c.name for c in table.c]
    added = ", ".join(f"{n} = {table.name}.{n} + excluded.{n}" for n in names if n not in keys)
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}"
    )


_UPSERTS = {
    mark: (
        _upsert_sql(ledger_rollup, KEY_COLUMNS, mark),
        _upsert_sql(offer_balance, ("offer_id",), mark),
    )
    for mark in ("?", "%s")
}


def _write(session: Session, sums: Sums) -> None:
    """One upsert per distinct key, in key order (concurrent writers lock rows in one order,
    so they never wait for each other in a circle)."""
    connection = session.connection()
    rollups, offers = _UPSERTS["?" if connection.dialect.name == "sqlite" else "%s"]
    if sums.rollups:
        connection.exec_driver_sql(
            rollups, [(*key, *values) for key, values in sorted(sums.rollups.items())]
        )
    if sums.offers:
        connection.exec_driver_sql(
            offers, [(offer_id, *values) for offer_id, values in sorted(sums.offers.items())]
        )


def _releasabilities(session: Session, offer_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(offer_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            (i, level)
            for i, level in session.execute(
                select(Offer.id, Offer.releasability).where(Offer.id.in_(chunk))
            )
        )
    return found


def record(
    session: Session,
    entries: Sequence[Mapping[str, Any]],
    releasability: Mapping[int, str] | None = None,
    *,
    rolled_up: bool = True,
) -> None:
    """Add the entries just written to the roll-ups and their offers' balances. Each entry is
    a mapping of ``ledger_entry``'s columns; ``releasability`` (offer id → level) spares a
    query when the writer knows its offers' levels. Without ``rolled_up``, only the offers'
    balances: the writer adds its entries to the roll-ups itself, later in the same
    transaction (``roll_up``)."""
    if not entries:
        return
    sums = Sums.empty()
    if rolled_up:
        levels = releasability or _releasabilities(session, (e["offer_id"] for e in entries))
        for e in entries:
            sums.add(e, levels[int(e["offer_id"])])
    else:
        for e in entries:
            sums.add_offer(e)
    _write(session, sums)


def roll_up(session: Session, entries: ColumnElement[bool]) -> None:
    """Add the entries ``entries`` selects (a condition on ``ledger_entry``) to the roll-ups,
    summed in the database by the very query a rebuild runs (``rollup_from_entries``): one
    statement per grain for a whole file's entries, where ``record`` upserts each batch's
    keys again and again (the table import's roll-ups took 22 µs of an offer row's ~110,
    ``benchmarks/import.py``)."""
    for statement in roll_up_statements(session.get_bind().dialect.name, entries):
        session.execute(statement)


def roll_up_statements(dialect: str, entries: ColumnElement[bool]) -> list[Insert]:
    """``roll_up``'s statements, one per grain: rows in key order, as ``_write`` writes them
    (concurrent writers lock rows in one order)."""
    insert_into = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statements: list[Insert] = []
    for grain in GRAINS:
        summed = rollup_from_entries(grain, ordered=True).where(entries)
        statement = insert_into(ledger_rollup).from_select(list(KEY_COLUMNS + ROLLUP_SUMS), summed)
        statements.append(
            statement.on_conflict_do_update(
                index_elements=list(KEY_COLUMNS),
                set_={n: ledger_rollup.c[n] + statement.excluded[n] for n in ROLLUP_SUMS},
            )
        )
    return statements


def move_offer(session: Session, offer_id: int, old: str, new: str) -> None:
    """An offer released more widely: its entries' sums leave the roll-up rows of the old
    level for those of the new one (a row left with nothing is removed, as a rebuild would
    not have it)."""
    e = LedgerEntry
    entries = [
        r._asdict()
        for r in session.execute(
            select(
                e.offer_id,
                e.member_id,
                e.partner_id,
                e.kind,
                e.area_id,
                e.item_id,
                e.month,
                e.request_id,
                e.measure,
                e.quantity,
                e.value_cents,
            ).where(e.offer_id == offer_id)
        )
    ]
    sums = Sums.empty()
    for entry in entries:
        sums.add(entry, old, -1)
        sums.add(entry, new)
    sums.offers.clear()  # the offer's own balances stay as they are
    _write(session, sums)
    emptied = [k for k in sums.rollups if k[-1] == old]
    nothing = and_(*[ledger_rollup.c[name] == 0 for name in ROLLUP_SUMS])
    for key in emptied:
        session.execute(
            delete(ledger_rollup).where(
                nothing, *[ledger_rollup.c[n] == v for n, v in zip(KEY_COLUMNS, key, strict=True)]
            )
        )


def balances_of(row: Any) -> Balances:
    """An ``offer_balance`` row (offer id, then quantity and cents' halves of each measure)."""
    return Balances(
        *[Amount(int(row[i]), (int(row[i + 1]) << SPLIT_BITS) + int(row[i + 2])) for i in (1, 4, 7)]
    )


def offer_balances(session: Session, offer_ids: Sequence[int]) -> dict[int, Balances]:
    """The maintained balances of the offers (an offer with no entry has none)."""
    out: dict[int, Balances] = {}
    ids = list(offer_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = session.execute(select(offer_balance).where(offer_balance.c.offer_id.in_(chunk)))
        out.update((int(r[0]), balances_of(r)) for r in rows)
    return out


# ---- recomputed from the entries ----------------------------------------------------------------


def _measure_sums() -> list[ColumnElement[Any]]:
    e = LedgerEntry
    columns: list[ColumnElement[Any]] = []
    for m in MEASURE_NAMES:
        high = e.value_cents.op(">>")(literal_column(str(SPLIT_BITS)))
        low = e.value_cents.op("&")(literal_column(str(LOW_MASK)))
        parts = {"quantity": e.quantity, "cents_hi": high, "cents_lo": low}
        for name, expression in parts.items():
            summed = func.sum(case((e.measure == m, expression), else_=0))
            columns.append(func.coalesce(summed, 0).label(f"{m}_{name}"))
    return columns


def rollup_from_entries(grain: int, *, ordered: bool = False) -> Select[Any]:
    """``ledger_rollup``'s rows of ``grain`` as the entries give them; ``ordered``: in key
    order (grouped in that order too, so that SQLite sorts them once)."""
    e = LedgerEntry
    request = func.coalesce(e.request_id, NO_ID)
    item: Any = literal_column(str(NO_ID), BigInteger)
    month: Any = literal_column(f"'{NO_MONTH}'", String)
    grouped: list[Any] = [e.member_id, e.partner_id, e.kind, e.area_id]
    if grain == FULL:
        item = func.coalesce(e.item_id, NO_ID)
        grouped.append(item)
    if grain != COARSE:
        month = e.month
        grouped.append(month)
    grouped += [request, Offer.releasability]
    keys = [
        literal_column(str(grain), SmallInteger).label("grain"),
        e.member_id.label("member_id"),
        e.partner_id.label("partner_id"),
        e.kind.label("kind"),
        e.area_id.label("area_id"),
        item.label("item_id"),
        month.label("month"),
        request.label("request_id"),
        Offer.releasability.label("releasability"),
    ]
    query = (
        select(*keys, *_measure_sums())
        .select_from(e)
        .join(Offer, Offer.id == e.offer_id)
        .group_by(*grouped)
    )
    return query.order_by(*grouped) if ordered else query


def offers_from_entries() -> Select[Any]:
    e = LedgerEntry
    return select(e.offer_id.label("offer_id"), *_measure_sums()).group_by(e.offer_id)


def rebuild(session: Session, step: Callable[[str], None] = lambda _name: None) -> None:
    """Recompute the roll-ups and the offers' balances from the entries, in the caller's
    transaction; ``step`` is told each part as it begins."""
    session.execute(delete(ledger_rollup))
    session.execute(delete(offer_balance))
    for grain in GRAINS:
        step(f"roll-ups, grain {grain}")
        query = rollup_from_entries(grain)
        session.execute(ledger_rollup.insert().from_select(list(KEY_COLUMNS + ROLLUP_SUMS), query))
    step("offer balances")
    session.execute(
        offer_balance.insert().from_select(["offer_id", *OFFER_SUMS], offers_from_entries())
    )


@dataclass(frozen=True)
class Difference:
    table: str
    key: dict[str, Any]
    maintained: dict[str, int] | None
    from_entries: dict[str, int] | None


def _not_nothing(columns: Sequence[ColumnElement[Any]]) -> ColumnElement[bool]:
    return ~and_(*[c == 0 for c in columns])


def _compare(
    session: Session, table: str, keys: Sequence[str], stored: Select[Any], expected: Select[Any]
) -> list[Difference]:
    """Rows on one side and not on the other, computed in the database; rows summing to
    nothing count as absent."""
    stored_q = stored.subquery()
    expected_q = expected.subquery()
    sums = [c for c in stored_q.c if c.name not in keys]
    left = select(*stored_q.c).where(_not_nothing(sums))
    right = select(*expected_q.c).where(
        _not_nothing([c for c in expected_q.c if c.name not in keys])
    )
    only_stored = session.execute(except_(left, right)).mappings().all()
    only_expected = session.execute(except_(right, left)).mappings().all()
    found: dict[Key, list[dict[str, int] | None]] = {}
    for side, rows in ((0, only_stored), (1, only_expected)):
        for r in rows:
            values = {name: int(r[name]) for name in r if name not in keys}
            found.setdefault(tuple(r[k] for k in keys), [None, None])[side] = values
    return [
        Difference(table, dict(zip(keys, key, strict=True)), pair[0], pair[1])
        for key, pair in sorted(found.items(), key=lambda kv: tuple(map(str, kv[0])))
    ]


def differences(session: Session) -> list[Difference]:
    """Every roll-up row and offer balance that differs from what the entries give."""
    found: list[Difference] = []
    for grain in GRAINS:
        stored = select(*[ledger_rollup.c[n] for n in KEY_COLUMNS + ROLLUP_SUMS]).where(
            ledger_rollup.c.grain == grain
        )
        found += _compare(session, "ledger_rollup", KEY_COLUMNS, stored, rollup_from_entries(grain))
    stored = select(*[offer_balance.c[n] for n in ("offer_id", *OFFER_SUMS)])
    found += _compare(session, "offer_balance", ("offer_id",), stored, offers_from_entries())
    return found
