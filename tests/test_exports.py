"""Formula injection: text that a spreadsheet would run goes out as text, in every CSV (with
OWASP's leading quote) and every XLSX (as string cells), from the API, the pages and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.cli import run
from tests.conftest import Delegations, actor
from tests.platform import TestPlatform as Context

DANGEROUS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["Ten rounds double-counted", "", "1 = 1", " =leading space"]


def rows() -> list[dict[str, Any]]:
    return [
        {"reason": text, "quantity": -10, "value_eur": -35000.5, "on": dt.date(2024, 4, 2)}
        for text in DANGEROUS + HARMLESS
    ]


def test_csv_cells_that_start_a_formula_get_a_leading_quote() -> None:
    from shieldwall.kit.exports import csv_lines

    written = "".join(csv_lines(rows(), ["reason", "quantity", "value_eur", "on"]))
    read = list(csv.DictReader(io.StringIO(written, newline="")))
    assert [r["reason"] for r in read] == ["'" + t for t in DANGEROUS] + HARMLESS
    multi_line = "".join(csv_lines([{"reason": "one\rtwo\r\nthree"}], ["reason"]))
    assert list(csv.reader(io.StringIO(multi_line, newline=""))) == [
        ["reason"],
        ["one\rtwo\r\nthree"],
    ]
    # Numbers are numbers still, negative ones included.
    assert {(r["quantity"], r["value_eur"], r["on"]) for r in read} == {
        ("-10", "-35000.5", "2024-04-02")
    }


def test_xlsx_text_cells_are_strings_never_formulas(tmp_path: Path) -> None:
    from shieldwall.kit.exports import write_xlsx

    path = tmp_path / "out.xlsx"
    write_xlsx(rows(), ["reason", "quantity", "value_eur", "on"], path)
    sheet = load_workbook(path).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    # Unchanged, but for XML's own rule that a lone CR is read back as LF.
    expected = [t.replace("\r", "\n") or None for t in DANGEROUS + HARMLESS]
    assert [row[0].value for row in cells] == expected
    for row in cells:
        if row[0].value is not None:
            assert row[0].data_type == "s", row[0].value
        assert row[1].data_type == "n" and row[1].value == -10
        assert row[2].data_type == "n" and row[2].value == -35000.5


@pytest.fixture
def corrected(api: Delegations, seeded: Context) -> list[str]:
    """Corrections whose reasons would be formulas (a secretariat user typed them)."""
    deu = actor(seeded, "deu")
    offer = seeded.assistance.make_offer(
        deu, member="DEU", kind="arm", quantity=100, item="patriot"
    )
    reasons = [r for r in DANGEROUS if not r[0].isspace()]  # the API strips leading whitespace
    for reason in reasons:
        fix = api.as_("sec").post(
            "/api/v1/ledger/corrections",
            json={"offer_id": offer, "measure": "offered", "quantity_delta": 1, "reason": reason},
        )
        assert fix.status_code == 201, fix.text
    return reasons


def test_the_api_csv_export_neutralises_formulas(api: Delegations, corrected: list[str]) -> None:
    response = api.as_("sec").get("/api/v1/ledger/export.csv")
    assert response.status_code == 200
    read = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [r["reason"] for r in read if r["entry_type"] == "correction"] == [
        "'" + r for r in corrected
    ]


def test_the_cli_exports_neutralise_formulas(
    api: Delegations, corrected: list[str], seeded: Context, tmp_path: Path
) -> None:
    url = seeded.engine.url.render_as_string(hide_password=False)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"entries.{fmt}"
        result = run("export", str(out), "--format", fmt, "--db", url)
        assert result.returncode == 0, result.stderr
    read = list(csv.DictReader((tmp_path / "entries.csv").open(newline="")))
    assert [r["reason"] for r in read if r["entry_type"] == "correction"] == [
        "'" + r for r in corrected
    ]
    sheet = load_workbook(tmp_path / "entries.xlsx").active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    reasons = [
        row[header.index("reason")]
        for row in sheet.iter_rows(min_row=2)
        if row[header.index("entry_type")].value == "correction"
    ]
    assert [c.value for c in reasons] == corrected
    assert {c.data_type for c in reasons} == {"s"}
