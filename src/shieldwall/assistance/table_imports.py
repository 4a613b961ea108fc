"""Writing a table of requests, offers and deliveries (``importers.tables``) to the ledger.

One file, one transaction: every row is checked by the same rules as the use cases of
``service`` (the rule functions of ``model``: seated member, addressees, the request an offer
answers, delivered ≤ committed ≤ offered …) and written as they would write it — a request and
its addressees; an offer, its *offered* entry, and its *committed* entry when the row says it
was committed; a delivery, and its *delivered* entry when the partner confirmed it. Each entry
carries the file (``imported_file``) and the line it came from. The whole file is checked even
after a bad row, so the report names every one; then, unless ``skip_bad`` was asked, one bad
row applies nothing (the rows are written inside a savepoint that is rolled back), and a dry
run applies nothing either. A row whose key the platform already holds with the same values
is unchanged; with other values it is refused, naming them. One audit record per file that
changed something.

Speed (``benchmarks/import.py``): rows are written in batches — per batch one query for the
keys it names, one for the records it refers to, then one multi-row INSERT per table (Core
``executemany``; no ORM object per row) with ids allocated for the batch: on SQLite from the
largest id, read once under the write lock the unit of work holds; on PostgreSQL from the
table's sequence. The offers' balances are upserted with each batch (the next batch's rows are
checked against them); the roll-ups once per file, after its last batch, in the database
(``balances.roll_up``): upserted batch by batch they took a fifth of an import's CPU.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import operator
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from sqlalchemy import (
    ARRAY,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor, widened
from shieldwall.assistance import balances, model
from shieldwall.assistance.model import (
    Amount,
    Balances,
    DeliveryState,
    EntryType,
    Measure,
    Movement,
    OfferAction,
    OfferState,
    RequestState,
)
from shieldwall.assistance.policy import OFFER_DEFAULT, REQUEST_DEFAULT, Action, require
from shieldwall.assistance.service import OFFERING_KINDS, offer_value, require_seated
from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    Delivery,
    ImportedFile,
    LedgerEntry,
    Offer,
    RequestAddressee,
    offer_balance,
)
from shieldwall.delegations.model import DelegationKind, is_seated
from shieldwall.delegations.tables import Delegation
from shieldwall.importers.common import ImportOutcome, Rejection, all_or_nothing
from shieldwall.importers.tables import (
    CHECKS,
    DeliveryRow,
    OfferRow,
    RecordType,
    RequestRow,
    Sheet,
)
from shieldwall.kit.errors import DomainError, InvalidInput
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.uow import UnitOfWork

BATCH = 5000
# A key as stored: prefixed with its record type, so that it never meets a tracker's keys.
PREFIX = {
    RecordType.REQUESTS: "table:request:",
    RecordType.OFFERS: "table:offer:",
    RecordType.DELIVERIES: "table:delivery:",
}
T = TypeVar("T")
IMPORTED: Table = ImportedFile.__table__  # type: ignore[assignment]


class Bad(Exception):
    """A row refused: the column and the reason."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def checked(column: str, check: Callable[[], T]) -> T:
    """``check()``'s answer; a refusal of the platform's rules as ``Bad`` naming ``column``
    (or the column an InvalidInput names, when it names one of the file's)."""
    try:
        return check()
    except DomainError as exc:
        errors = exc.extra.get("errors")
        if errors:
            named = str(errors[0]["field"])
            _raise(named if named in COLUMN_NAMES else column, str(errors[0]["message"]))
        _raise(column, exc.detail)


def _raise(column: str, reason: str) -> NoReturn:
    raise Bad(column, reason)


COLUMN_NAMES = frozenset(
    {"area", "item", "quantity", "value_eur", "need_by", "addressees", "releasability"}
    | {"committed_quantity", "delivered_on", "confirmed_on", "justification", "priority"}
)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cycle collector run less often while a file is imported, then as before.
    A batch keeps tens of thousands of objects alive (rows, their values, their plans), so at
    the default threshold (a collection every 700 new objects) the collector walked them over
    and over: a quarter of an import's CPU time (``benchmarks/import.py``). It still runs, so
    memory stays flat; the rows themselves hold no cycles and are freed as each batch ends."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 50_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def batched(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


@dataclass(frozen=True)
class Seat:
    id: int
    code: str
    kind: str
    joined_on: dt.date | None
    left_on: dt.date | None


@dataclass(frozen=True)
class Known:
    """The council and the catalogue, read once per import: small, and looked up per row."""

    seats: dict[str, Seat]
    seat_codes: dict[int, str]
    areas: dict[str, int]
    area_codes: dict[int, str]
    items: dict[str, CapabilityItem]
    item_codes: dict[int, str]
    partners: list[int]

    @classmethod
    def read(cls, s: Session) -> Known:
        seats = {
            d.code: Seat(d.id, d.code, d.kind, d.joined_on, d.left_on)
            for d in s.scalars(select(Delegation))
        }
        areas = {a.code: a.id for a in s.scalars(select(CapabilityArea))}
        items = {i.code: i for i in s.scalars(select(CapabilityItem))}
        return cls(
            seats,
            {d.id: d.code for d in seats.values()},
            areas,
            {v: k for k, v in areas.items()},
            items,
            {i.id: c for c, i in items.items()},
            [d.id for d in seats.values() if d.kind == DelegationKind.PARTNER],
        )

    def seat(self, column: str, code: str, kinds: Collection[str]) -> Seat:
        found = self.seats.get(code.upper())
        if found is None:
            raise Bad(column, _("no delegation with code {code!r}").format(code=code))
        if found.kind not in kinds:
            allowed = sorted(kinds)
            raise Bad(
                column,
                _("{code} is not a {kind} delegation").format(
                    code=found.code, kind=" or ".join(allowed)
                ),
            )
        return found

    def area(self, code: str) -> int:
        if code not in self.areas:
            raise Bad("area", _("no capability area {code!r}").format(code=code))
        return self.areas[code]

    def item(self, code: str) -> CapabilityItem:
        if code not in self.items:
            raise Bad("item", _("no catalogue item {code!r}").format(code=code))
        return self.items[code]

    def what(self, area: str | None, item: str | None) -> tuple[int, CapabilityItem | None]:
        """The area and the item a row names; an item named with an area belongs to it."""
        if item:
            row = self.item(item)
            if area:
                checked(
                    "area",
                    lambda: model.require_item_in_area(item, row.area_id, area, self.area(area)),
                )
            return row.area_id, row
        if area:
            return self.area(area), None
        raise Bad("item", _("name a catalogue item or a capability area"))


class Driver:
    """Multi-row INSERTs handed straight to the database driver (one ``executemany`` per
    table and batch): SQLAlchemy's processing of each row's parameters took a third of an
    import's time (``benchmarks/import.py``). Dates and instants are given as SQLAlchemy itself
    stores them: ISO text on SQLite, date and datetime objects on PostgreSQL."""

    def __init__(self, s: Session) -> None:
        self.connection = s.connection()
        self.sqlite = s.get_bind().dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self._midnights: dict[dt.date, Any] = {}

    def day(self, day: dt.date | None) -> Any:
        return day.isoformat() if self.sqlite and day is not None else day

    def instant(self, at: dt.datetime | None) -> Any:
        if not self.sqlite or at is None:
            return at
        # As strftime("%Y-%m-%d %H:%M:%S.%f") writes it, in half the time.
        return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def midnight(self, day: dt.date) -> Any:
        """The instant a day begins, as stored: a file's rows share a few hundred days."""
        stored = self._midnights.get(day)
        if stored is None:
            stored = self._midnights[day] = self.instant(midnight(day))
        return stored

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        names = list(rows[0])
        marks = ", ".join([self.mark] * len(names))
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
        values = operator.itemgetter(*names)  # one tuple per row, in the names' order
        self.connection.exec_driver_sql(sql, [values(r) for r in rows])


class Ids:
    """Ids for the rows of a batch, allocated before they are inserted so that the rows
    referring to them (entries to offers, addressees to requests) go in the same batch."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.postgres = s.get_bind().dialect.name == "postgresql"
        self.next: dict[str, int] = {}
        self.first: dict[str, int] = {}

    def allocated_here(self, table: Table, record_id: int) -> bool:
        """Whether this import gave the record its id (a key repeated in the file)."""
        return record_id >= self.first.get(table.name, record_id + 1)

    def take(self, table: Table, n: int) -> list[int]:
        if n == 0:
            return []
        if self.postgres:
            seq = f"{table.name}_id_seq"
            got = self.s.execute(
                text(f"SELECT nextval('{seq}') FROM generate_series(1, :n)"), {"n": n}
            )
            taken = [int(i) for (i,) in got]
            self.first.setdefault(table.name, taken[0])
            return taken
        if table.name not in self.next:  # under the write lock the unit of work holds
            largest = self.s.scalar(select(func.max(table.c.id)))
            self.next[table.name] = int(largest or 0) + 1
            self.first[table.name] = self.next[table.name]
        first = self.next[table.name]
        self.next[table.name] = first + n
        return list(range(first, first + n))


def _shown(value: Any) -> str:
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, tuple):
        return " ".join(value)
    return str(value)


def differences(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """``quantity 10 ≠ 12; note — ≠ late`` (the platform's value first, then the file's)."""
    return "; ".join(
        f"{name} {_shown(ours[name])} ≠ {_shown(theirs[name])}"
        for name in theirs
        if ours.get(name) != theirs[name]
    )


def euros(cents: int | None) -> str | None:
    return None if cents is None else f"{cents // 100}.{cents % 100:02d}"


@dataclass
class Found:
    """A record the platform holds under a row's key: what a row is compared with."""

    id: int
    values: dict[str, Any]
    line: int | None = None  # the line it was imported from, when its entries say


@dataclass
class Plan:
    """A row checked: its values as compared with a record already there, and what writing
    it needs besides."""

    values: dict[str, Any]
    extra: Any = None


@dataclass
class Batch:
    """The rows of one record type in a batch, ready to insert, table by table."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


class TableImport:
    """One file's import, in the unit of work it is given (see the module's docstring)."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        file_name: str,
        sha256: str,
        dry_run: bool = False,
        skip_bad: bool = False,
        on_rows: Callable[[int], None] | None = None,
    ) -> None:
        self.uow = uow
        self.s = uow.session
        self.actor = actor
        self.now = uow.clock.now()
        self.today = self.now.date()
        self.skip_bad = skip_bad
        self.on_rows = on_rows or (lambda n: None)
        self.outcome = ImportOutcome("table", file_name, sha256, dry_run=dry_run)
        self.ids = Ids(self.s)
        self.driver = Driver(self.s)
        self.recorded_at = self.driver.instant(self.now)
        self.file_id = 0

    def run(self, sheets: Callable[[], list[Sheet]]) -> ImportOutcome:
        """Check and write every table of the file; keep what was written only if the file
        (or, with ``skip_bad``, some of its rows) may be applied."""
        require(self.actor, Action.IMPORT_TABLES, record=self.outcome.file_name)

        def write() -> None:
            self._write_file_row()
            self.known = Known.read(self.s)
            # The entries this import writes come after these (ids only grow), for the
            # roll-ups summed once the whole file is written.
            before = self.s.scalar(select(func.max(LedgerEntry.id))) or 0
            with fewer_collections():
                for sheet in sheets():
                    self._import_sheet(sheet)
            e = LedgerEntry
            balances.roll_up(self.s, (e.id > before) & (e.imported_file_id == self.file_id))

        if all_or_nothing(self.s, self.outcome, write, skip_bad=self.skip_bad, keep=self._finish):
            self.outcome.imported_file_id = self.file_id
        return self.outcome

    def _write_file_row(self) -> None:
        (self.file_id,) = self.ids.take(IMPORTED, 1)
        self.s.execute(
            insert(IMPORTED),
            [
                {
                    "id": self.file_id,
                    "source": "table",
                    "file_name": self.outcome.file_name[:255],
                    "sha256": self.outcome.sha256,
                    "release": None,
                    "imported_at": self.now,
                    "imported_by": self.actor.name,
                    "rows_read": 0,
                    "rows_applied": 0,
                    "rows_rejected": 0,
                }
            ],
        )

    def _finish(self) -> None:
        o = self.outcome
        counts = {
            "rows_read": o.rows_read,
            "rows_applied": o.applied,
            "rows_rejected": len(o.rejected),
        }
        self.s.execute(update(IMPORTED).where(IMPORTED.c.id == self.file_id).values(**counts))
        self.uow.audit(
            self.actor,
            self.now,
            "import.table",
            "imported_file",
            self.file_id,
            None,
            {"file_name": o.file_name, "sha256": o.sha256, **counts, "created": o.created},
        )

    def _import_sheet(self, sheet: Sheet) -> None:
        writer = WRITERS[sheet.kind](self)
        check = CHECKS[sheet.kind]
        o = self.outcome
        for chunk in batched(sheet.rows, BATCH):
            start = len(o.rejected)  # this batch's rejections are listed by line
            good = []
            for line, values in chunk:
                result = check(line, values)
                if isinstance(result, list):
                    o.rejected.extend(result)
                else:
                    good.append((result, values))
            o.rows_read += len(chunk)
            writer.write(good)
            o.rejected[start:] = sorted(o.rejected[start:], key=lambda r: r.line)
            self.on_rows(len(chunk))

    def reject(self, line: int, column: str, reason: str, values: dict[str, str]) -> None:
        self.outcome.rejected.append(Rejection(line, column, reason, values))

    def insert(self, batch: Batch) -> None:
        for table, rows in batch.rows.items():
            if rows:
                self.driver.insert(TABLES[table], rows)
        # The offers' balances now (a later batch's deliveries are checked against them);
        # the roll-ups once the file is written (``run``).
        balances.record(self.s, batch.rows.get("entry", []), rolled_up=False)

    def created(self, kind: RecordType, n: int) -> None:
        self.outcome.applied += n
        self.outcome.created[kind.value] = self.outcome.created.get(kind.value, 0) + n

    def entry(
        self, offer: dict[str, Any], movement: Movement, on: dt.date, line: int, **extra: Any
    ) -> dict[str, Any]:
        """A ledger entry's row, carrying the offer's keys and the file and line it came
        from (as ``AssistanceService._post`` writes one)."""
        return {
            "entry_type": movement.entry_type.value,
            "measure": movement.measure.value,
            "offer_id": offer["id"],
            "delivery_id": extra.get("delivery_id"),
            "request_id": offer["request_id"],
            "member_id": offer["member_id"],
            "partner_id": offer["partner_id"],
            "kind": offer["kind"],
            "area_id": offer["area_id"],
            "item_id": offer["item_id"],
            "quantity": movement.delta.quantity,
            "value_cents": movement.delta.value_cents,
            "occurred_on": self.driver.day(on),
            "month": on.isoformat()[:7],
            "recorded_at": self.recorded_at,
            "reason": None,
            "corrects_entry_id": None,
            "imported_file_id": self.file_id,
            "source_line": line,
        }


TABLES: dict[str, Table] = {
    "request": AssistanceRequest.__table__,  # type: ignore[dict-item]
    "addressee": RequestAddressee.__table__,  # type: ignore[dict-item]
    "offer": Offer.__table__,  # type: ignore[dict-item]
    "delivery": Delivery.__table__,  # type: ignore[dict-item]
    "entry": LedgerEntry.__table__,  # type: ignore[dict-item]
}


def among(s: Session, column: Any, values: list[Any]) -> Any:
    """``column IN (values)`` for a batch's thousands of values, bound as one parameter (a JSON
    array on SQLite, an array on PostgreSQL): SQLAlchemy renders an IN list of 5,000 values
    anew at each execution, which took longer than the query itself."""
    if s.get_bind().dialect.name == "sqlite":
        listed: Any = select(literal_column("value")).select_from(
            func.json_each(bindparam(None, json.dumps(values), type_=String()))
        )
        return column.in_(listed)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


def _referenced(
    s: Session, id_column: Any, key_column: Any, pairs: list[tuple[int | None, str | None]]
) -> Any:
    """Rows named by id or by key: one IN list each, only those given (an OR with an empty
    list keeps SQLite from using the key's index)."""
    ids = [i for i, _k in pairs if i]
    keys = [k for _i, k in pairs if k]
    named = [among(s, c, v) for c, v in ((id_column, ids), (key_column, keys)) if v]
    return or_(*named) if len(named) > 1 else named[0]


def _reference(text_: str, prefix: str) -> tuple[int | None, str | None]:
    """``#12`` → (12, None); ``R-1`` → (None, ``table:request:R-1``)."""
    if text_.startswith("#") and text_[1:].isdigit():
        return int(text_[1:]), None
    return None, prefix + text_


class Writer:
    """What the three record types' writers share: a batch's rows, each new, the same as
    the platform holds, or refused."""

    kind: RecordType
    table: Table

    def __init__(self, job: TableImport) -> None:
        self.fresh = True
        self.job = job
        self.s = job.s
        self.known = job.known

    def write(self, rows: list[tuple[Any, dict[str, str]]]) -> None:
        prefix = PREFIX[self.kind]
        found = self.found([prefix + r.key for r, _v in rows]) if rows else {}
        self.prepare([r for r, _v in rows])
        first_line: dict[str, int] = {}
        fresh: list[tuple[Any, str, Plan]] = []
        for row, values in rows:
            key = prefix + row.key
            try:
                if key in first_line:
                    raise Bad("key", _repeated(row.key, first_line[key]))
                first_line[key] = row.line
                # A row already imported is compared, not checked again: what happened to its
                # record since (an offer delivered, a request closed) is no reason to refuse it.
                self.fresh = key not in found
                planned = self.plan(row)
                if key in found:
                    self.same(row, found[key], planned.values)
                    continue
                self.count(planned)
                fresh.append((row, key, planned))
            except Bad as bad:
                self.job.reject(row.line, bad.column, bad.reason, values)
        batch = Batch()
        for (row, key, planned), new_id in zip(
            fresh, self.job.ids.take(self.table, len(fresh)), strict=True
        ):
            self.add(batch, row, key, planned, new_id)
        self.job.insert(batch)
        self.after(batch)
        self.job.created(self.kind, len(fresh))

    def same(self, row: Any, found: Found, planned: dict[str, Any]) -> None:
        if self.job.ids.allocated_here(self.table, found.id):
            raise Bad("key", _repeated(row.key, found.line))
        diff = differences(found.values, planned)
        if diff:
            raise Bad(
                "key",
                _("key {key} already imported with different values: {differences}").format(
                    key=row.key, differences=diff
                ),
            )
        self.job.outcome.unchanged += 1

    def count(self, planned: Plan) -> None:
        """A new row's effect on what later rows of the batch are checked against."""

    def found(self, keys: list[str]) -> dict[str, Found]:
        raise NotImplementedError

    def prepare(self, rows: list[Any]) -> None:
        """Read what the batch's rows refer to, in one query or two."""

    def plan(self, row: Any) -> Plan:
        """The row checked against the platform's rules: the values it would be stored with,
        as compared with a record already there (or Bad)."""
        raise NotImplementedError

    def add(self, batch: Batch, row: Any, key: str, planned: Plan, new_id: int) -> None:
        raise NotImplementedError

    def after(self, batch: Batch) -> None:
        """What follows the batch's inserts (an offer's new state)."""


def _repeated(key: str, line: int | None) -> str:
    if line is None:
        return _("key {key} appears more than once in the file").format(key=key)
    return _("key {key} appears more than once in the file (first on line {line})").format(
        key=key, line=line
    )


# ---- requests ------------------------------------------------------------------------------


class RequestWriter(Writer):
    kind = RecordType.REQUESTS

    def found(self, keys: list[str]) -> dict[str, Found]:
        r = AssistanceRequest
        rows = self.s.execute(select(r).where(among(self.s, r.external_key, keys))).scalars().all()
        named: dict[int, list[str]] = {}
        for request_id, delegation_id in self.s.execute(
            select(RequestAddressee.request_id, RequestAddressee.delegation_id).where(
                among(self.s, RequestAddressee.request_id, [x.id for x in rows])
            )
        ):
            named.setdefault(request_id, []).append(self.known.seat_codes[delegation_id])
        out = {}
        for x in rows:
            values = self._values(
                x.partner_id,
                x.title,
                x.area_id,
                x.item_id,
                x.quantity,
                x.value_cents,
                x.priority,
                x.need_by,
                x.justification,
                tuple(sorted(named.get(x.id, []))),
                x.releasability,
                x.filed_at.date(),
            )
            out[str(x.external_key)] = Found(x.id, values)
        return out

    def _values(self, *v: Any) -> dict[str, Any]:
        k = self.known
        names: tuple[str, ...] = (
            "partner",
            "title",
            "area",
            "item",
            "quantity",
            "value_eur",
            "priority",
        )
        names += ("need_by", "justification", "addressees", "releasability", "filed_on")
        shown = (
            k.seat_codes[v[0]],
            v[1],
            k.area_codes[v[2]],
            k.item_codes.get(v[3]),
            v[4],
            euros(v[5]),
            *v[6:],
        )
        return dict(zip(names, shown, strict=True))

    def plan(self, row: RequestRow) -> Plan:
        partner = self.known.seat("partner", row.partner, {DelegationKind.PARTNER})
        filed_on = row.filed_on or self.job.today
        checked("filed_on", lambda: model.require_not_future("filed_on", filed_on, self.job.today))
        checked("justification", lambda: model.require_justification(row.justification))
        checked("need_by", lambda: model.require_need_by_ahead(row.need_by, filed_on))
        priority = checked("priority", lambda: _choice("priority", model.Priority, row.priority))
        level = checked(
            "releasability", lambda: widened("releasability", REQUEST_DEFAULT, row.releasability)
        )
        area_id, item = self.known.what(row.area, row.item)
        value = row.value_cents
        if item is not None:
            if row.quantity is None:
                raise Bad("quantity", _("a request for an item needs a quantity"))
            if value is None:
                unit = item.reference_unit_value_cents
                value = checked(
                    "value_eur",
                    lambda: model.value_at_reference_price(row.quantity or 0, unit, "value_eur"),
                )
        elif value is None:
            raise Bad("value_eur", _("a request for a whole capability area needs a value in EUR"))
        named = []
        for code in row.addressees:
            seat = self.known.seat("addressees", code, {DelegationKind.MEMBER})
            if not is_seated(seat.joined_on, seat.left_on, filed_on):
                raise Bad(
                    "addressees",
                    _("{code} is not a member on {day}").format(code=seat.code, day=filed_on),
                )
            named.append(seat.code)
        title = row.title.strip() or "Untitled request"
        return Plan(
            self._values(
                partner.id,
                title,
                area_id,
                item.id if item else None,
                row.quantity,
                value,
                priority,
                row.need_by,
                row.justification,
                tuple(sorted(set(named))),
                level.value,
                filed_on,
            )
        )

    def add(self, batch: Batch, row: RequestRow, key: str, plan: Plan, request_id: int) -> None:
        k, planned, d = self.known, plan.values, self.job.driver
        batch.add(
            "request",
            {
                "id": request_id,
                "partner_id": k.seats[planned["partner"]].id,
                "title": planned["title"],
                "area_id": k.areas[planned["area"]],
                "item_id": k.items[planned["item"]].id if planned["item"] else None,
                "quantity": planned["quantity"],
                "value_cents": _cents(planned["value_eur"]),
                "priority": planned["priority"],
                "need_by": d.day(planned["need_by"]),
                "justification": planned["justification"],
                "to_all_members": not planned["addressees"],
                "state": RequestState.ACTIVE.value,
                "state_reason": None,
                "filed_at": d.midnight(planned["filed_on"]),
                "illustrative": False,
                "releasability": planned["releasability"],
                "external_key": key,
            },
        )
        for code in planned["addressees"]:
            batch.add("addressee", {"request_id": request_id, "delegation_id": k.seats[code].id})


RequestWriter.table = AssistanceRequest.__table__  # type: ignore[assignment]


def _cents(text_: str) -> int:
    whole, _dot, part = text_.partition(".")
    return int(whole) * 100 + int(part or 0)


def _choice(column: str, choices: Any, value: str) -> str:
    try:
        return str(choices(value).value)
    except ValueError:
        raise InvalidInput(
            column, _("use one of {choices}").format(choices=", ".join(c.value for c in choices))
        ) from None


# ---- offers --------------------------------------------------------------------------------

# What an entry copies from its offer, and the offer's level its roll-up is keyed by.
OFFER_DIMENSIONS = (
    "id",
    "request_id",
    "member_id",
    "partner_id",
    "kind",
    "area_id",
    "item_id",
    "releasability",
)


@dataclass(frozen=True)
class RequestRef:
    id: int
    partner_id: int
    area_id: int
    item_id: int | None
    state: str
    to_all_members: bool
    addressees: frozenset[int]


class OfferWriter(Writer):
    kind = RecordType.OFFERS

    def found(self, keys: list[str]) -> dict[str, Found]:
        o = Offer
        rows = self.s.execute(
            select(
                o.id,
                o.external_key,
                o.member_id,
                o.partner_id,
                o.request_id,
                o.kind,
                o.area_id,
                o.item_id,
                o.quantity,
                o.value_cents,
                o.description,
                o.conditions,
                o.offered_at,
                o.releasability,
            ).where(among(self.s, o.external_key, keys))
        ).all()
        if not rows:
            return {}
        e = LedgerEntry
        committed, lines = {}, {}
        for offer_id, entry_type, quantity, on, line in self.s.execute(
            select(e.offer_id, e.entry_type, e.quantity, e.occurred_on, e.source_line).where(
                among(self.s, e.offer_id, [r.id for r in rows]),
                e.entry_type.in_([EntryType.OFFERED.value, EntryType.COMMITTED.value]),
                e.imported_file_id.is_not(None),
            )
        ):
            if entry_type == EntryType.COMMITTED:
                committed[offer_id] = (quantity, on)
            else:
                lines[offer_id] = line
        return {
            str(r.external_key): Found(
                r.id,
                self._values(
                    *r[2:12],
                    r.offered_at.date(),
                    *committed.get(r.id, (None, None)),
                    r.releasability,
                ),
                lines.get(r.id),
            )
            for r in rows
        }

    def _values(self, *v: Any) -> dict[str, Any]:
        k = self.known
        names: tuple[str, ...] = (
            "member",
            "partner",
            "request",
            "kind",
            "area",
            "item",
            "quantity",
            "value_eur",
        )
        names += ("description", "conditions", "offered_on", "committed_quantity")
        names += ("committed_on", "releasability")
        shown = (
            k.seat_codes[v[0]],
            k.seat_codes[v[1]],
            None if v[2] is None else f"#{v[2]}",
            v[3],
            k.area_codes[v[4]],
            k.item_codes.get(v[5]),
            v[6],
            euros(v[7]),
            *v[8:],
        )
        return dict(zip(names, shown, strict=True))

    def prepare(self, rows: list[OfferRow]) -> None:
        refs = {r.request_key for r in rows if r.request_key}
        self.requests: dict[str, RequestRef] = {}
        if not refs:
            return
        pairs = [_reference(ref, PREFIX[RecordType.REQUESTS]) for ref in refs]
        r = AssistanceRequest
        found = self.s.execute(
            select(
                r.id, r.external_key, r.partner_id, r.area_id, r.item_id, r.state, r.to_all_members
            )
            .where(_referenced(self.s, r.id, r.external_key, pairs))
            .with_for_update(read=True)
        ).all()
        named: dict[int, set[int]] = {}
        for request_id, delegation_id in self.s.execute(
            select(RequestAddressee.request_id, RequestAddressee.delegation_id).where(
                among(self.s, RequestAddressee.request_id, [x.id for x in found])
            )
        ):
            named.setdefault(request_id, set()).add(delegation_id)
        prefix = PREFIX[RecordType.REQUESTS]
        for x in found:
            ref = RequestRef(
                x.id,
                x.partner_id,
                x.area_id,
                x.item_id,
                x.state,
                x.to_all_members,
                frozenset(named.get(x.id, ())),
            )
            self.requests[f"#{x.id}"] = ref
            if x.external_key and x.external_key.startswith(prefix):
                self.requests[x.external_key.removeprefix(prefix)] = ref

    def _request(self, row: OfferRow, member: Seat) -> RequestRef | None:
        if not row.request_key:
            return None
        found = self.requests.get(row.request_key)
        if found is None:
            raise Bad("request_key", _("no request {key}").format(key=row.request_key))
        addressed = found.to_all_members or member.id in found.addressees
        contributor = member.kind == DelegationKind.CONTRIBUTOR
        if not self.fresh:
            return found
        checked(
            "request_key",
            lambda: model.check_request_answerable(
                found.id, found.state, addressed, member.code, contributor
            ),
        )
        return found

    def _partner(self, row: OfferRow, request: RequestRef | None) -> int:
        """The request's partner, else the one named, else the council's only partner (as
        ``AssistanceService._offer_partner`` decides)."""
        named = None
        if row.partner:
            named = self.known.seat("partner", row.partner, {DelegationKind.PARTNER}).id
        if request is not None:
            if named is not None and named != request.partner_id:
                raise Bad("partner", _("differs from the partner who filed the request"))
            return request.partner_id
        if named is not None:
            return named
        partners = self.known.partners
        if len(partners) != 1:
            raise Bad("partner", _("name the partner the offer is for"))
        return partners[0]

    def _what(self, row: OfferRow, request: RequestRef | None) -> tuple[int, CapabilityItem | None]:
        if request is not None and not row.item and request.item_id is not None:
            return self.known.what(row.area, self.known.item_codes[request.item_id])
        if request is not None and not row.item and not row.area:
            return request.area_id, None
        area_id, item = self.known.what(row.area, row.item)
        if request is not None:
            item_id = item.id if item else None
            checked(
                "request_key",
                lambda: model.check_offer_fits_request(
                    request.id,
                    request.area_id,
                    request.item_id,
                    area_id,
                    item_id,
                    self._shares_a_tag(request.item_id, item),
                ),
            )
        return area_id, item

    def _shares_a_tag(self, requested: int | None, item: CapabilityItem | None) -> bool:
        """The offered item stands in for the requested one (``model.stands_in_for``), the
        requested one from the catalogue read once."""
        known = self.known
        asked = known.items[known.item_codes[requested]] if requested is not None else None
        return model.stands_in_for(asked, item)

    def plan(self, row: OfferRow) -> Plan:
        today = self.job.today
        member = self.known.seat("member", row.member, OFFERING_KINDS)
        checked("offered_on", lambda: model.require_not_future("offered_on", row.offered_on, today))
        checked("member", lambda: require_seated(member, row.offered_on))
        kind = checked("kind", lambda: _choice("kind", model.AssistanceKind, row.kind))
        request = self._request(row, member)
        area_id, item = self._what(row, request)
        partner_id = self._partner(row, request)
        value = checked("value_eur", lambda: offer_value(item, row.quantity, row.value_cents))
        level = checked(
            "releasability", lambda: widened("releasability", OFFER_DEFAULT, row.releasability)
        )
        state, commitment = self._steps(row, Amount(row.quantity, value))
        values = self._values(
            member.id,
            partner_id,
            request.id if request else None,
            kind,
            area_id,
            item.id if item else None,
            row.quantity,
            value,
            row.description,
            row.conditions,
            row.offered_on,
            commitment.delta.quantity if commitment else None,
            row.committed_on if commitment else None,
            level.value,
        )
        return Plan(values, (member.id, partner_id, area_id, item, value, state, commitment))

    def _steps(self, row: OfferRow, offered: Amount) -> tuple[OfferState, Movement | None]:
        """The state the row's dates lead to, through the offer's own transitions, and the
        commitment it records (committed ≤ offered)."""
        today, key, state = self.job.today, f"offer {row.key}", OfferState.OFFERED
        accepted_on = row.accepted_on
        if accepted_on is not None:
            checked(
                "accepted_on", lambda: model.require_not_future("accepted_on", accepted_on, today)
            )
            checked(
                "accepted_on",
                lambda: model.require_in_order(
                    "accepted_on", accepted_on, "offered_on", row.offered_on
                ),
            )
            state = OfferState.ACCEPTED
            checked(
                "accepted_on", lambda: model.transition(key, OfferState.OFFERED, OfferAction.ACCEPT)
            )
        committed_on = row.committed_on
        if committed_on is None:
            if row.committed_quantity is not None:
                raise Bad("committed_on", _("a value is required"))
            return state, None
        checked(
            "committed_on", lambda: model.require_not_future("committed_on", committed_on, today)
        )
        checked(
            "committed_on",
            lambda: model.require_in_order(
                "committed_on", committed_on, "accepted_on", accepted_on or row.offered_on
            ),
        )
        target = checked("committed_on", lambda: model.transition(key, state, OfferAction.COMMIT))
        before = Balances(offered=offered)
        movement = checked(
            "committed_quantity",
            lambda: model.offer_movement(OfferAction.COMMIT, before, row.committed_quantity),
        )
        assert movement is not None and target is not None
        checked(
            "committed_quantity",
            lambda: model.check_balances(before.moved(Measure.COMMITTED, movement.delta)),
        )
        return target, movement

    def add(self, batch: Batch, row: OfferRow, key: str, plan: Plan, offer_id: int) -> None:
        member_id, partner_id, area_id, item, value, state, commitment = plan.extra
        v = plan.values
        offer = {
            "id": offer_id,
            "member_id": member_id,
            "partner_id": partner_id,
            "request_id": int(v["request"][1:]) if v["request"] else None,
            "kind": v["kind"],
            "area_id": area_id,
            "item_id": item.id if item else None,
            "description": row.description,
            "quantity": row.quantity,
            "value_cents": value,
            "conditions": row.conditions,
            "state": state.value,
            "state_reason": None,
            "offered_at": self.job.driver.midnight(row.offered_on),
            "source": "",
            "illustrative": False,
            "releasability": v["releasability"],
            "external_key": key,
            "original_currency": None,
            "original_amount_cents": None,
            "amount_usd_cents": None,
        }
        batch.add("offer", offer)
        offered = Movement(EntryType.OFFERED, Measure.OFFERED, Amount(row.quantity, value))
        batch.add("entry", self.job.entry(offer, offered, row.offered_on, row.line))
        if commitment is not None:
            assert row.committed_on is not None
            batch.add("entry", self.job.entry(offer, commitment, row.committed_on, row.line))


OfferWriter.table = Offer.__table__  # type: ignore[assignment]


# ---- deliveries ----------------------------------------------------------------------------


# Read back per offer a batch delivers against: looked up, not built anew each time.
NOTHING = Amount()
NO_BALANCES = Balances()
OFFER_STATES = {state.value: state for state in OfferState}


@dataclass
class Running:
    """An offer a batch delivers against: its dimensions, balances, pending quantity, state."""

    offer: dict[str, Any]
    balances: Balances
    pending: int
    state: OfferState
    changed: bool = False


class DeliveryWriter(Writer):
    kind = RecordType.DELIVERIES

    def found(self, keys: list[str]) -> dict[str, Found]:
        d = Delivery
        rows = self.s.execute(
            select(
                d.id,
                d.external_key,
                d.offer_id,
                d.quantity,
                d.delivered_on,
                d.state,
                d.settled_at,
                d.note,
            ).where(among(self.s, d.external_key, keys))
        ).all()
        if not rows:
            return {}
        lines = dict(
            self.s.execute(
                select(LedgerEntry.delivery_id, LedgerEntry.source_line).where(
                    among(self.s, LedgerEntry.delivery_id, [r.id for r in rows])
                )
            ).all()
        )
        return {
            str(r.external_key): Found(
                r.id,
                _delivery_values(
                    r.offer_id,
                    r.quantity,
                    r.delivered_on,
                    r.settled_at.date() if r.state == DeliveryState.CONFIRMED else None,
                    r.note,
                ),
                lines.get(r.id),
            )
            for r in rows
        }

    def prepare(self, rows: list[DeliveryRow]) -> None:
        self.offers: dict[str, Running] = {}
        refs = {r.offer_key for r in rows}
        if not refs:
            return
        pairs = [_reference(ref, PREFIX[RecordType.OFFERS]) for ref in refs]
        o = Offer.__table__.c
        found = self.s.execute(
            select(o.external_key, o.state, *(o[c] for c in OFFER_DIMENSIONS))
            .where(_referenced(self.s, o.id, o.external_key, pairs))
            .with_for_update()
        ).all()
        ids = [x.id for x in found]
        balances, pending = _balances(self.s, ids)
        prefix = PREFIX[RecordType.OFFERS]
        for external_key, state, *dimensions in found:
            offer_id = dimensions[0]
            running = Running(
                dict(zip(OFFER_DIMENSIONS, dimensions, strict=True)),
                balances.get(offer_id, NO_BALANCES),
                pending.get(offer_id, 0),
                OFFER_STATES[state],
            )
            self.offers[f"#{offer_id}"] = running
            if external_key and external_key.startswith(prefix):
                self.offers[external_key.removeprefix(prefix)] = running

    def plan(self, row: DeliveryRow) -> Plan:
        today = self.job.today
        running = self.offers.get(row.offer_key)
        if running is None:
            raise Bad("offer_key", _("no offer {key}").format(key=row.offer_key))
        if not self.fresh:
            confirmed = row.confirmed_on
            values = _delivery_values(
                running.offer["id"], row.quantity, row.delivered_on, confirmed, row.note
            )
            return Plan(values)
        checked(
            "offer_key",
            lambda: model.transition(
                f"offer {row.offer_key}", running.state, OfferAction.RECORD_DELIVERY
            ),
        )
        checked("quantity", lambda: model.require_quantity("quantity", row.quantity))
        checked(
            "delivered_on",
            lambda: model.require_not_future("delivered_on", row.delivered_on, today),
        )
        before, movement = running.balances, None
        confirmed_on = row.confirmed_on
        if confirmed_on is None:
            checked(
                "quantity", lambda: model.check_balances(before, running.pending + row.quantity)
            )
            after = before
        else:
            checked(
                "confirmed_on",
                lambda: model.require_not_future("confirmed_on", confirmed_on, today),
            )
            checked(
                "confirmed_on",
                lambda: model.require_in_order(
                    "confirmed_on", confirmed_on, "delivered_on", row.delivered_on
                ),
            )
            movement = model.delivery_movement(before, row.quantity)
            after = before.moved(Measure.DELIVERED, movement.delta)
            checked("quantity", lambda: model.check_balances(after, running.pending))
        values = _delivery_values(
            running.offer["id"], row.quantity, row.delivered_on, confirmed_on, row.note
        )
        return Plan(values, (running, movement, after))

    def count(self, planned: Plan) -> None:
        running, movement, after = planned.extra
        if movement is None:
            running.pending += planned.values["quantity"]
            return
        running.balances = after
        state = model.settled_state(running.state, after)
        running.changed = running.changed or state != running.state
        running.state = state

    def add(self, batch: Batch, row: DeliveryRow, key: str, plan: Plan, delivery_id: int) -> None:
        running, movement, _after = plan.extra
        confirmed, d = movement is not None, self.job.driver
        batch.add(
            "delivery",
            {
                "id": delivery_id,
                "offer_id": running.offer["id"],
                "quantity": row.quantity,
                "delivered_on": d.day(row.delivered_on),
                "note": row.note,
                "state": (DeliveryState.CONFIRMED if confirmed else DeliveryState.RECORDED).value,
                "state_reason": None,
                "recorded_at": self.job.recorded_at,
                "settled_at": d.midnight(row.confirmed_on) if row.confirmed_on else None,
                "external_key": key,
            },
        )
        if confirmed:
            batch.add(
                "entry",
                self.job.entry(
                    running.offer, movement, row.delivered_on, row.line, delivery_id=delivery_id
                ),
            )

    def after(self, batch: Batch) -> None:
        changed = {r.offer["id"]: r for r in self.offers.values() if r.changed}
        if changed:
            o: Table = Offer.__table__  # type: ignore[assignment]
            self.s.execute(
                update(o).where(o.c.id == bindparam("offer_id")).values(state=bindparam("to")),
                [{"offer_id": i, "to": r.state.value} for i, r in changed.items()],
            )
            for r in changed.values():
                r.changed = False


DeliveryWriter.table = Delivery.__table__  # type: ignore[assignment]


def _delivery_values(
    offer_id: int, quantity: int, delivered_on: dt.date, confirmed_on: dt.date | None, note: str
) -> dict[str, Any]:
    return {
        "offer": f"#{offer_id}",
        "quantity": quantity,
        "delivered_on": delivered_on,
        "confirmed_on": confirmed_on,
        "note": note,
    }


def _balances(s: Session, ids: list[int]) -> tuple[dict[int, Balances], dict[int, int]]:
    """The offers' balances, as maintained with their entries, and their deliveries awaiting
    confirmation: two queries for a batch (``service.offer_balances`` for many)."""
    b = offer_balance.c
    found = {
        int(r[0]): balances.balances_of(r)
        for r in s.execute(select(offer_balance).where(among(s, b.offer_id, ids))).all()
    }
    pending = dict(
        s.execute(
            select(Delivery.offer_id, func.sum(Delivery.quantity))
            .where(among(s, Delivery.offer_id, ids), Delivery.state == DeliveryState.RECORDED)
            .group_by(Delivery.offer_id)
        ).all()
    )
    return found, {k: int(v) for k, v in pending.items()}


WRITERS: dict[RecordType, type[Writer]] = {
    RecordType.REQUESTS: RequestWriter,
    RecordType.OFFERS: OfferWriter,
    RecordType.DELIVERIES: DeliveryWriter,
}


def import_table(
    uow: UnitOfWork,
    actor: Actor,
    sheets: Callable[[], list[Sheet]],
    *,
    file_name: str,
    sha256: str,
    dry_run: bool = False,
    skip_bad: bool = False,
    on_rows: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import a table file (``sheets`` opens its tables) in ``uow``; see the module."""
    job = TableImport(
        uow,
        actor,
        file_name=file_name,
        sha256=sha256,
        dry_run=dry_run,
        skip_bad=skip_bad,
        on_rows=on_rows,
    )
    return job.run(sheets)
