"""Rows out as CSV, JSON or XLSX: the one set of writers the CLI, the API and the pages use."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook


def csv_lines(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """The header line, then one CSV line per row (keys not in ``columns`` are left out)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    yield _drain(buffer)
    for row in rows:
        writer.writerow(row)
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


def _xlsx_cell(value: Any) -> Any:
    # Spreadsheets hold no time zone: instants are written as naive UTC.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def write_xlsx(
    rows: Iterable[dict[str, Any]], columns: list[str], path: Path, sheet: str = "ledger"
) -> None:
    """One sheet: a header row, then the rows, streamed (write-only workbook)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(columns)
    for row in rows:
        ws.append([_xlsx_cell(row[c]) for c in columns])
    book.save(path)
