"""CSV and XLSX tables of requests, offers and deliveries: their formats, their templates, and
their rows read and checked one by one into typed records.

A CSV file holds one record type, told by its header (or named by the caller); an XLSX
workbook holds one sheet per type (``requests``, ``offers``, ``deliveries``), read in that
order. Every file is streamed: CSV through ``importers.common.csv_rows``, XLSX through
openpyxl's read-only workbook. A row becomes a record, or the list of everything wrong with
it — each a ``Rejection`` naming the line, the column and the rule. What needs the platform's
data (does the member exist, is it seated, does the offer fit the request) is checked where the
rows are written, by ``assistance.table_imports``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from shieldwall.kit.amounts import parse_euros, parse_quantity
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput
from shieldwall.kit.exports import csv_lines
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.text import check_text

from .common import MAX_FIELD, Rejection, TextFile, check_header, csv_rows

# A key is stored prefixed with its record type (``table:offer:A-1``) in a column of 160
# characters, so that it never meets a tracker's keys.
MAX_KEY = 120
MAX_LINE_TEXT = 200


class RecordType(StrEnum):
    REQUESTS = "requests"
    OFFERS = "offers"
    DELIVERIES = "deliveries"


# The record types as the pages name them (``term``), marked for the catalogue.
TERMS = (N_("requests"), N_("offers"), N_("deliveries"))

# The order a workbook's sheets are imported in: what a row refers to comes first.
ORDER: tuple[RecordType, ...] = (RecordType.REQUESTS, RecordType.OFFERS, RecordType.DELIVERIES)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    example: str
    note: str


def _c(name: str, required: bool, example: str, note: str) -> Column:
    return Column(name, required, example, note)


# The formats, in the domain's words: each column, whether it must be given, an example, and
# what it means (the README and the templates say the same).
FORMATS: dict[RecordType, tuple[Column, ...]] = {
    RecordType.REQUESTS: (
        _c("key", True, "R-2024-001", N_("this row's key, unique in the file and the platform")),
        _c("partner", True, "UKR", N_("code of the partner delegation filing the request")),
        _c("title", False, "Rounds for the winter", N_("a short title")),
        _c("area", False, "artillery", N_("capability area code (or give an item)")),
        _c("item", False, "155mm-round", N_("catalogue item code")),
        _c("quantity", False, "10000", N_("whole number; needed for an item")),
        _c("value_eur", False, "", N_("euros, at most 2 decimals; default: reference value")),
        _c("priority", True, "critical", N_("critical, high, medium or low")),
        _c("need_by", False, "2024-06-30", N_("YYYY-MM-DD")),
        _c("justification", True, "Counter-battery fire", N_("why it is needed")),
        _c("addressees", False, "DEU USA", N_("member codes separated by spaces; empty: all")),
        _c("releasability", False, "", N_("addressees (default), members, council or public")),
        _c("filed_on", False, "2024-03-01", N_("YYYY-MM-DD; default: the day of the import")),
    ),
    RecordType.OFFERS: (
        _c("key", True, "O-2024-001", N_("this row's key, unique in the file and the platform")),
        _c("member", True, "DEU", N_("code of the offering member (or contributor)")),
        _c("partner", False, "UKR", N_("the partner; default: the request's, or the only one")),
        _c("request_key", False, "R-2024-001", N_("a request's key, or #id of a request")),
        _c("kind", True, "arm", N_("arm, train, equip or finance")),
        _c("area", False, "", N_("capability area code (or give an item)")),
        _c("item", False, "155mm-round", N_("catalogue item code")),
        _c("quantity", True, "5000", N_("whole number")),
        _c("value_eur", False, "", N_("euros, at most 2 decimals; default: reference value")),
        _c("description", False, "From army stocks", N_("free text")),
        _c("conditions", False, "", N_("free text")),
        _c("offered_on", True, "2024-03-05", N_("YYYY-MM-DD")),
        _c("accepted_on", False, "2024-03-10", N_("YYYY-MM-DD: the partner accepted")),
        _c("committed_quantity", False, "5000", N_("whole number; default: all offered")),
        _c("committed_on", False, "2024-03-20", N_("YYYY-MM-DD: the member committed")),
        _c(
            "releasability",
            False,
            "",
            N_("partner (default), addressees, members, council, public"),
        ),
    ),
    RecordType.DELIVERIES: (
        _c("key", True, "D-2024-001", N_("this row's key, unique in the file and the platform")),
        _c("offer_key", True, "O-2024-001", N_("an offer's key, or #id of an offer")),
        _c("quantity", True, "2000", N_("whole number")),
        _c("delivered_on", True, "2024-03-28", N_("YYYY-MM-DD")),
        _c(
            "confirmed_on",
            False,
            "2024-03-30",
            N_("YYYY-MM-DD: the partner confirmed; empty: not yet"),
        ),
        _c("note", False, "", N_("free text")),
    ),
}


def required(kind: RecordType) -> list[str]:
    return [c.name for c in FORMATS[kind] if c.required]


def optional(kind: RecordType) -> list[str]:
    return [c.name for c in FORMATS[kind] if not c.required]


def columns(kind: RecordType) -> list[str]:
    return [c.name for c in FORMATS[kind]]


# ---- the records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestRow:
    line: int
    key: str
    partner: str
    title: str
    area: str | None
    item: str | None
    quantity: int | None
    value_cents: int | None
    priority: str
    need_by: dt.date | None
    justification: str
    addressees: tuple[str, ...]
    releasability: str | None
    filed_on: dt.date | None


@dataclass(frozen=True, slots=True)
class OfferRow:
    line: int
    key: str
    member: str
    partner: str | None
    request_key: str | None
    kind: str
    area: str | None
    item: str | None
    quantity: int
    value_cents: int | None
    description: str
    conditions: str
    offered_on: dt.date
    accepted_on: dt.date | None
    committed_quantity: int | None
    committed_on: dt.date | None
    releasability: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    line: int
    key: str
    offer_key: str
    quantity: int
    delivered_on: dt.date
    confirmed_on: dt.date | None
    note: str


Record = RequestRow | OfferRow | DeliveryRow


@dataclass
class Sheet:
    """One table of a file: its record type, and its rows as (line, {column: text})."""

    kind: RecordType
    name: str
    rows: Iterator[tuple[int, dict[str, str]]]
    estimated_rows: int | None


V = TypeVar("V")


# ---- checking one row -----------------------------------------------------------------------


class _Parsed:
    """Texts already parsed, each with what it parsed to: a file's days, codes and notes
    repeat from row to row (a million generated rows name a few hundred days), and parsing
    them again was a third of reading a row (``benchmarks/import.py``). Only what parsed is
    kept (a refusal is parsed again, so that its message is in the language of the moment),
    and at most ``size`` texts: the memo is emptied when full, so memory stays flat."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.parsed: dict[str, Any] = {}

    def get(self, text: str) -> Any:
        return self.parsed.get(text)

    def keep(self, text: str, value: V) -> V:
        if value is not None:
            if len(self.parsed) >= self.size:
                self.parsed.clear()
            self.parsed[text] = value
        return value


# Shared by every import (a dict's lookups and stores are atomic: threads may share them).
_DAYS, _CODES, _PROSE = _Parsed(), _Parsed(), _Parsed()


class _Fields:
    """The fields of one row, each parsed by the platform's own parser; what fails is kept as
    a Rejection (every field is checked, not only up to the first bad one)."""

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values
        self.rejections: list[Rejection] = []

    def _parse(self, name: str, parse: Callable[[str], Any], need: bool) -> Any:
        text = self.values.get(name, "").strip()
        if not text:
            if need:
                self.reject(name, _("a value is required"))
            return None
        try:
            return parse(text)
        except DomainError as exc:
            self.reject(name, _reason(exc))
            return None

    def reject(self, name: str, reason: str) -> None:
        self.rejections.append(Rejection(self.line, name, reason, self.values))

    def text(self, name: str, need: bool = False, max_length: int = MAX_LINE_TEXT) -> str | None:
        value: str | None = self._parse(
            name, lambda t: check_text(name, t, max_length=max_length), need
        )
        return value

    def prose(self, name: str, need: bool = False) -> str:
        raw = self.values.get(name, "")
        known: str | None = _PROSE.get(raw)
        if known is not None and known:
            return known
        if need and not raw.strip():
            self.reject(name, _("a value is required"))
        try:
            return _PROSE.keep(raw, check_text(name, raw, multiline=True).strip())
        except DomainError as exc:
            self.reject(name, _reason(exc))
            return ""

    def code(self, name: str, need: bool = False) -> str | None:
        raw = self.values.get(name, "")
        known: str | None = _CODES.get(raw)
        if known is not None:
            return known
        value = self.text(name, need, max_length=80)
        return _CODES.keep(raw, None if value is None else value.strip())

    def quantity(self, name: str, need: bool = False) -> int | None:
        value: int | None = self._parse(name, lambda t: parse_quantity(name, t), need)
        return value

    def euros(self, name: str) -> int | None:
        value: int | None = self._parse(name, lambda t: parse_euros(name, t), False)
        return value

    def day(self, name: str, need: bool = False) -> dt.date | None:
        raw = self.values.get(name, "")
        known: dt.date | None = _DAYS.get(raw)
        if known is not None:
            return known
        value: dt.date | None = _DAYS.keep(
            raw, self._parse(name, lambda t: parse_day(name, t), need)
        )
        return value

    def key(self, name: str = "key", need: bool = True) -> str | None:
        return self.text(name, need, max_length=MAX_KEY)


def _reason(exc: DomainError) -> str:
    """The message without the field's name (the rejection names the column)."""
    errors = exc.extra.get("errors")
    if errors:
        return str(errors[0]["message"])
    return exc.detail


def check_request(line: int, values: dict[str, str]) -> RequestRow | list[Rejection]:
    f = _Fields(line, values)
    row = RequestRow(
        line=line,
        key=f.key() or "",
        partner=f.code("partner", True) or "",
        title=f.text("title") or "",
        area=f.code("area"),
        item=f.code("item"),
        quantity=f.quantity("quantity"),
        value_cents=f.euros("value_eur"),
        priority=f.code("priority", True) or "",
        need_by=f.day("need_by"),
        justification=f.prose("justification", True),
        addressees=tuple((f.text("addressees", max_length=2000) or "").split()),
        releasability=f.code("releasability"),
        filed_on=f.day("filed_on"),
    )
    return f.rejections or row


def check_offer(line: int, values: dict[str, str]) -> OfferRow | list[Rejection]:
    f = _Fields(line, values)
    row = OfferRow(
        line=line,
        key=f.key() or "",
        member=f.code("member", True) or "",
        partner=f.code("partner"),
        request_key=f.key("request_key", need=False),
        kind=f.code("kind", True) or "",
        area=f.code("area"),
        item=f.code("item"),
        quantity=f.quantity("quantity", True) or 0,
        value_cents=f.euros("value_eur"),
        description=f.prose("description"),
        conditions=f.prose("conditions"),
        offered_on=f.day("offered_on", True) or dt.date.min,
        accepted_on=f.day("accepted_on"),
        committed_quantity=f.quantity("committed_quantity"),
        committed_on=f.day("committed_on"),
        releasability=f.code("releasability"),
    )
    return f.rejections or row


def check_delivery(line: int, values: dict[str, str]) -> DeliveryRow | list[Rejection]:
    f = _Fields(line, values)
    row = DeliveryRow(
        line=line,
        key=f.key() or "",
        offer_key=f.key("offer_key") or "",
        quantity=f.quantity("quantity", True) or 0,
        delivered_on=f.day("delivered_on", True) or dt.date.min,
        confirmed_on=f.day("confirmed_on"),
        note=f.prose("note"),
    )
    return f.rejections or row


CHECKS: dict[RecordType, Callable[[int, dict[str, str]], Record | list[Rejection]]] = {
    RecordType.REQUESTS: check_request,
    RecordType.OFFERS: check_offer,
    RecordType.DELIVERIES: check_delivery,
}


# ---- reading a file -------------------------------------------------------------------------


def record_type_of(file_name: str, header: list[str]) -> RecordType:
    """The one record type whose required columns the header names; else a message asking
    for ``--type``."""
    names = set(header)
    found = [kind for kind in ORDER if set(required(kind)) <= names]
    if len(found) != 1:
        raise InvalidInput(
            file_name,
            _(
                "cannot tell from the header whether the rows are requests, offers or "
                "deliveries: name the type (requests, offers or deliveries)"
            ),
        )
    return found[0]


def _csv_header(path: Path) -> list[str]:
    import csv

    first = next(TextFile(path).lines(), "")
    return [h.strip() for h in next(csv.reader([first]), [])]


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def sheets(path: Path, kind: RecordType | None = None) -> list[Sheet]:
    """The tables of a CSV file or an XLSX workbook, in the order they are imported."""
    if path.suffix.lower() == ".xlsx":
        return _workbook_sheets(path, kind)
    if kind is None:
        header = _csv_header(path)
        if not any(header):
            raise InvalidInput(path.name, _("the file is empty: it has no header line"))
        kind = record_type_of(path.name, header)
    rows = csv_rows(path, required(kind), optional(kind))
    return [Sheet(kind, path.name, rows, max(_count_lines(path) - 1, 0))]


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV file would hold: dates as YYYY-MM-DD, whole numbers without
    a decimal point."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _workbook_sheets(path: Path, kind: RecordType | None) -> list[Sheet]:
    # openpyxl is loaded when a workbook is read or written, not with every CLI command.
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) on a bad file
        raise InvalidInput(
            path.name, _("not an XLSX workbook that can be read: save it again as .xlsx")
        ) from None
    named = [RecordType(n) for n in book.sheetnames if n in set(RecordType)]
    if named:
        unknown = [n for n in book.sheetnames if n not in set(RecordType)]
        if unknown:
            raise InvalidInput(
                path.name,
                _("unknown sheets: {sheets} (expected requests, offers, deliveries)").format(
                    sheets=", ".join(unknown)
                ),
            )
        chosen = [(k, book[k.value]) for k in ORDER if k in named and kind in (None, k)]
    else:
        chosen = [(kind, book.worksheets[0])] if book.worksheets else []  # type: ignore[list-item]
    if not chosen:
        raise InvalidInput(path.name, _("the file is empty: it has no header line"))
    return [_sheet(path.name, k, ws) for k, ws in chosen]


def _sheet(file_name: str, kind: RecordType | None, ws: Any) -> Sheet:
    name = f"{file_name} [{ws.title}]"
    rows = ws.iter_rows(values_only=True)
    header = [_cell_text(v).strip() for v in next(rows, ())]
    while header and not header[-1]:
        header.pop()  # a spreadsheet's trailing empty columns
    if not any(header):
        raise InvalidInput(name, _("the file is empty: it has no header line"))
    if kind is None:
        kind = record_type_of(name, header)
    check_header(name, header, required(kind), optional(kind))
    estimate = (ws.max_row - 1) if ws.max_row else None
    return Sheet(kind, name, _sheet_rows(name, header, rows), estimate)


def _sheet_rows(
    name: str, header: list[str], rows: Iterator[Any]
) -> Iterator[tuple[int, dict[str, str]]]:
    width = len(header)
    count = 0
    for line, cells in enumerate(rows, start=2):
        texts = [_cell_text(v) for v in cells]
        if not any(t.strip() for t in texts):
            continue
        if any(t.strip() for t in texts[width:]):
            raise InvalidInput(
                f"{name} line {line}",
                _("the row has {n} fields, the header {m}").format(n=len(texts), m=width),
            )
        for text in texts:
            if len(text) > MAX_FIELD:
                raise InvalidInput(
                    f"{name} line {line}",
                    _("the line is longer than {n} characters").format(n=f"{MAX_FIELD:,}"),
                )
        texts += [""] * (width - len(texts))
        count += 1
        yield line, dict(zip(header, texts[:width], strict=True))
    if count == 0:
        raise InvalidInput(name, _("the file has a header but no rows"))


# ---- the templates --------------------------------------------------------------------------


def write_templates(directory: Path) -> list[Path]:
    """A CSV template per record type (the header and one example row) and one workbook with a
    sheet per type (the header, each column's meaning as a comment, and the example row)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in ORDER:
        path = directory / f"{kind.value}.csv"
        example = {c.name: c.example for c in FORMATS[kind]}
        path.write_text("".join(csv_lines([example], columns(kind))), encoding="utf-8")
        written.append(path)
    book_path = directory / "shieldwall-import.xlsx"
    workbook_template(book_path)
    written.append(book_path)
    return written


def workbook_template(path: Path | Any) -> None:
    """One sheet per record type: the header, what each column means (a comment on it, in the
    language of the exchange), and the example row."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    book = Workbook()
    book.remove(book.active)
    for kind in ORDER:
        ws = book.create_sheet(kind.value)
        for i, column in enumerate(FORMATS[kind], start=1):
            cell = ws.cell(row=1, column=i, value=column.name)
            # In the language of whoever asked for it (the page's viewer; English on the CLI).
            needed = _("required") if column.required else _("optional")
            cell.comment = Comment(f"{needed}: {_(column.note)}", "Shieldwall")
            example = ws.cell(row=2, column=i, value=column.example)
            example.data_type = "s"
    book.save(path)
