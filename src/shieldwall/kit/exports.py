"""Rows out as CSV, JSON or XLSX: the one set of writers the CLI, the API and the pages use.

Text that a spreadsheet would run is never written as something it runs (OWASP, "CSV
injection"): in CSV, a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``, OWASP's rule, so that a spreadsheet reads it as text; in XLSX,
every text cell is written as a string cell, so a reason like ``=HYPERLINK(…)`` stays text.
Numbers, dates and instants are written as themselves; a decimal (an amount in euros,
``amounts.exact_euros``) as it is, digit for digit: ``516317.00`` in CSV and in JSON, a number
shown with its two decimals in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """The header line, then one CSV line per row (keys not in ``columns`` are left out).

    Lines end in CRLF (RFC 4180): Python's writer quotes a field holding any character of the
    line terminator, so a text with a line break or a lone CR stays one field of one row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    yield _drain(buffer)
    for row in rows:
        writer.writerow({c: neutralised(row.get(c)) for c in columns})
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


def json_lines(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """A JSON array of the rows, one row per line (keys not in ``columns`` are left out)."""
    yield "["
    first = True
    for row in rows:
        line = json_object(row, columns, default=str, ensure_ascii=True)
        yield ("\n" if first else ",\n") + line
        first = False
    yield "\n]\n"


def json_value(value: Any) -> Any:
    """A value JSON has no type for: days and instants in ISO 8601 (``2024-07-11``,
    ``2024-07-11T09:00:00+00:00``), decimals as numbers, anything else as its text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def json_object(
    row: dict[str, Any], columns: Sequence[str], default: Any, ensure_ascii: bool
) -> str:
    """One row as a JSON object of ``columns``; a decimal written as the number it is, digit
    for digit (``516317.00``), where ``json`` would write a float's text (``516317.0``)."""
    values = {c: row[c] for c in columns}
    if not any(isinstance(v, Decimal) for v in values.values()):
        return json.dumps(values, default=default, ensure_ascii=ensure_ascii)
    members = (
        json.dumps(c, ensure_ascii=ensure_ascii)
        + ": "
        + (
            format(v, "f")
            if isinstance(v, Decimal) and v.is_finite()
            else json.dumps(v, default=default, ensure_ascii=ensure_ascii)
        )
        for c, v in values.items()
    )
    return "{" + ", ".join(members) + "}"


def json_document(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], labels: Sequence[str]
) -> Iterator[str]:
    """A download as JSON, streamed: ``{"columns": [{"key", "label"}…], "rows": [{key:
    value}…]}``. Rows are keyed by the columns' keys, which do not change with the reader's
    language; the labels are the reader's headings. Values keep their types: numbers as
    numbers, days ISO, no value ``null``."""
    heading = [{"key": k, "label": label} for k, label in zip(columns, labels, strict=True)]
    yield '{"columns": ' + json.dumps(heading, ensure_ascii=False) + ', "rows": ['
    first = True
    for row in rows:
        line = json_object(row, columns, default=json_value, ensure_ascii=False)
        yield ("\n" if first else ",\n") + line
        first = False
    yield "\n]}\n"


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    # Spreadsheets hold no time zone: instants are written as naive UTC.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str) or _in_cents(value):
        from openpyxl.cell import WriteOnlyCell  # loaded when a workbook is written (see below)

        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, whatever it starts with: never a formula
        else:
            cell.number_format = "#,##0.00"  # an amount to the cent: shown with its cents
        return cell
    return value


def _in_cents(value: Any) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    path: Path | IO[bytes],
    sheet: str = "ledger",
) -> None:
    """One sheet: a header row, then the rows, streamed (write-only workbook), to a file or
    into an open binary stream."""
    # openpyxl (and the numpy it loads) is imported here, not with the module: every command
    # of the CLI imports this module, and only a workbook needs it (~0.3 s of each start).
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([_xlsx_cell(ws, c) for c in columns])
    for row in rows:
        ws.append([_xlsx_cell(ws, row[c]) for c in columns])
    book.save(path)
