"""Rows out as CSV, JSON or XLSX: the one set of writers the CLI, the API and the pages use.

Text that a spreadsheet would run is never written as something it runs (OWASP, "CSV
injection"): in CSV, a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``, OWASP's rule, so that a spreadsheet reads it as text; in XLSX,
every text cell is written as a string cell, so a reason like ``=HYPERLINK(…)`` stays text.
Numbers, dates and instants are written as themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

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
        yield ("\n" if first else ",\n") + json.dumps({c: row[c] for c in columns}, default=str)
        first = False
    yield "\n]\n"


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    # Spreadsheets hold no time zone: instants are written as naive UTC.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, whatever it starts with: never a formula
        return cell
    return value


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    path: Path | IO[bytes],
    sheet: str = "ledger",
) -> None:
    """One sheet: a header row, then the rows, streamed (write-only workbook), to a file or
    into an open binary stream."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([_xlsx_cell(ws, c) for c in columns])
    for row in rows:
        ws.append([_xlsx_cell(ws, row[c]) for c in columns])
    book.save(path)
