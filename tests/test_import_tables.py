"""CSV and XLSX import of requests, offers and deliveries (issue 11): the formats, the rules of
every import (idempotent, one transaction per file, every bad row reported with its line and
reason, --skip-bad, --dry-run, provenance on each entry), and the bad files the issue names —
each on SQLite and PostgreSQL, each checking that nothing was applied."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import html
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Browser as PlaywrightBrowser
from playwright.sync_api import expect
from sqlalchemy import func, select, text

from shieldwall.app import create_app
from shieldwall.assistance import balances
from shieldwall.assistance.table_imports import fewer_collections, import_table
from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityItem,
    Delivery,
    ImportedFile,
    LedgerEntry,
    Offer,
)
from shieldwall.audit.tables import AuditRecord
from shieldwall.importers.common import ImportOutcome, sha256_of
from shieldwall.importers.tables import _DAYS, RecordType, check_delivery, sheets
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import DomainError, Forbidden
from shieldwall.kit.settings import Settings
from tests.cli import run as run_command
from tests.conftest import SETUP, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_browser_council import Journey
from tests.test_council_pages import Browser

REQUESTS = (
    "key,partner,title,item,quantity,priority,need_by,justification,addressees,filed_on\r\n"
    "R-1,UKR,Air defence for Kharkiv,patriot,2,critical,2024-06-30,Strikes on the grid,DEU USA,"
    "2024-03-01\r\n"
    "R-2,UKR,Shells,155mm-round,1000,high,,Front line,,2024-03-02\r\n"
)
OFFERS = (
    "key,member,request_key,kind,item,area,quantity,value_eur,offered_on,accepted_on,"
    "committed_quantity,committed_on\r\n"
    "O-1,DEU,R-1,arm,,,1,,2024-03-05,2024-03-10,1,2024-03-20\r\n"
    "O-2,FRA,R-2,arm,,,600,2100000.00,2024-03-06,2024-03-11,400,2024-03-21\r\n"
    "O-3,USA,,train,,air-defence,4,2000000,2024-03-07,,,\r\n"
)
DELIVERIES = (
    "key,offer_key,quantity,delivered_on,confirmed_on,note\r\n"
    "D-1,O-2,100,2024-03-25,2024-03-27,first lot\r\n"
    "D-2,O-2,300,2024-03-28,2024-03-29,\r\n"
    "D-3,O-1,1,2024-03-30,,awaiting\r\n"
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def run(
    ctx: Context,
    path: Path,
    username: str = "sec",
    kind: RecordType | None = None,
    dry_run: bool = False,
    skip_bad: bool = False,
) -> ImportOutcome:
    who = actor(ctx, username)
    with ctx.unit_of_work() as uow:
        return import_table(
            uow,
            who,
            lambda: sheets(path, kind),
            file_name=path.name,
            sha256=sha256_of(path),
            dry_run=dry_run,
            skip_bad=skip_bad,
        )


def counts(ctx: Context) -> dict[str, int]:
    tables = {
        "requests": AssistanceRequest,
        "offers": Offer,
        "deliveries": Delivery,
        "entries": LedgerEntry,
        "files": ImportedFile,
        "audit": AuditRecord,
    }
    with ctx.reading() as s:
        return {
            name: s.scalar(select(func.count()).select_from(t)) or 0 for name, t in tables.items()
        }


def reasons(outcome: ImportOutcome) -> list[tuple[int, str, str]]:
    return [(r.line, r.field, r.reason) for r in outcome.rejected]


def import_all(ctx: Context, tmp_path: Path) -> list[ImportOutcome]:
    return [
        run(ctx, write(tmp_path, name, content))
        for name, content in (
            ("requests.csv", REQUESTS),
            ("offers.csv", OFFERS),
            ("deliveries.csv", DELIVERIES),
        )
    ]


def test_a_good_file_is_imported_with_provenance_and_a_second_import_changes_nothing(
    seeded: Context, tmp_path: Path
) -> None:
    before = counts(seeded)
    outcomes = import_all(seeded, tmp_path)
    assert [reasons(o) for o in outcomes] == [[], [], []]
    assert [(o.rows_read, o.applied, o.unchanged) for o in outcomes] == [
        (2, 2, 0),
        (3, 3, 0),
        (3, 3, 0),
    ]
    after = counts(seeded)
    # Offers: 3 offered entries, 2 committed; deliveries: 2 confirmed (1 awaits the partner).
    assert {k: after[k] - before[k] for k in after} == {
        "requests": 2,
        "offers": 3,
        "deliveries": 3,
        "entries": 7,
        "files": 3,
        "audit": 3,
    }
    with seeded.reading() as s:
        o2 = s.scalar(select(Offer).where(Offer.external_key == "table:offer:O-2"))
        assert o2 is not None and o2.state == "delivered"  # 400 committed, 400 delivered
        entries = s.execute(
            select(LedgerEntry.entry_type, LedgerEntry.quantity, LedgerEntry.value_cents,
                   LedgerEntry.source_line, ImportedFile.file_name)
            .join(ImportedFile, ImportedFile.id == LedgerEntry.imported_file_id)
            .where(LedgerEntry.offer_id == o2.id)
            .order_by(LedgerEntry.id)
        ).all()  # fmt: skip
        # €2,100,000 for 600 shells: 400 committed are worth €1,400,000; 100 delivered €350,000.
        assert [tuple(e) for e in entries] == [
            ("offered", 600, 210_000_000, 3, "offers.csv"),
            ("committed", 400, 140_000_000, 3, "offers.csv"),
            ("delivered", 100, 35_000_000, 2, "deliveries.csv"),
            ("delivered", 300, 105_000_000, 3, "deliveries.csv"),
        ]
        o1 = s.scalar(select(Offer).where(Offer.external_key == "table:offer:O-1"))
        assert o1 is not None and o1.state == "committed"
        audit = s.scalar(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))
        assert audit is not None and (audit.actor, audit.action, audit.record_type) == (
            "sec",
            "import.table",
            "imported_file",
        )
    assert rolled_up(seeded, "FRA") == (600, 210_000_000, 400, 140_000_000, 400, 140_000_000)
    again = import_all(seeded, tmp_path)
    assert [(o.applied, o.unchanged, o.rejected) for o in again] == [
        (0, 2, []),
        (0, 3, []),
        (0, 3, []),
    ]
    assert counts(seeded) == after
    assert rolled_up(seeded, "FRA") == (600, 210_000_000, 400, 140_000_000, 400, 140_000_000)


def rolled_up(ctx: Context, member: str) -> tuple[int, ...]:
    """The member's roll-ups at the coarsest grain (offered, committed, delivered: quantity and
    cents), having checked that every roll-up row and offer balance is what the entries give."""
    with ctx.reading() as s:
        assert balances.differences(s) == []
        sums = s.execute(
            text(
                "SELECT sum(offered_quantity), sum(offered_cents_lo), sum(committed_quantity), "
                "sum(committed_cents_lo), sum(delivered_quantity), sum(delivered_cents_lo) "
                "FROM ledger_rollup r JOIN delegation d ON d.id = r.member_id "
                "WHERE r.grain = 2 AND d.code = :member"
            ),
            {"member": member},
        ).one()
        return tuple(int(v) for v in sums)


def test_only_the_secretariat_imports(seeded: Context, tmp_path: Path) -> None:
    before = counts(seeded)
    with pytest.raises(Forbidden) as refused:
        run(seeded, write(tmp_path, "requests.csv", REQUESTS), username="ukr")
    assert refused.value.detail == (
        "UKR may not import requests, offers and deliveries (requests.csv): "
        "only the secretariat may"
    )
    assert counts(seeded) == before


# ---- bad files: each refused whole, with the exact message, nothing applied -----------------

BAD_FILES = [
    pytest.param(
        b"key,partner,priority,justification\r\nR-1,UKR,high,Caf\xe9 strikes\r\n",
        None,
        "requests.csv: the file is not UTF-8 text (a byte that is not UTF-8 on line 2): "
        "save it as “CSV UTF-8” and import it again",
        id="wrong-encoding",
    ),
    pytest.param(  # on the header's line: it read "after line 0"
        b"key,partner,priority,justification\xff\r\nR-1,UKR,high,strikes\r\n",
        None,
        "requests.csv: the file is not UTF-8 text (a byte that is not UTF-8 on line 1): "
        "save it as “CSV UTF-8” and import it again",
        id="wrong-encoding-in-the-header",
    ),
    pytest.param(
        "key,partner,title,priority\r\nR-1,UKR,Shells,high\r\n",
        RecordType.REQUESTS,
        "requests.csv: missing columns: justification",
        id="missing-column",
    ),
    pytest.param(
        "key,partner,title,priority\r\nR-1,UKR,Shells,high\r\n",
        None,
        "requests.csv: cannot tell from the header whether the rows are requests, offers or "
        "deliveries: name the type (requests, offers or deliveries)",
        id="no-type",
    ),
    pytest.param(
        "key,partner,priority,justification,colour\r\nR-1,UKR,high,why,red\r\n",
        None,
        "requests.csv: unknown columns: colour (expected addressees, area, filed_on, item, "
        "justification, key, need_by, partner, priority, quantity, releasability, title, "
        "value_eur)",
        id="extra-column",
    ),
    pytest.param("", None, "requests.csv: the file is empty: it has no header line", id="empty"),
    pytest.param(
        "key,partner,priority,justification\r\n",
        None,
        "requests.csv: the file has a header but no rows",
        id="header-only",
    ),
    pytest.param(
        "key,partner,priority,justification\r\nR-1,UKR,high,why,extra\r\n",
        None,
        "requests.csv line 2: the row has 5 fields, the header 4",
        id="row-longer-than-header",
    ),
    pytest.param(
        "key,partner,priority,justification\r\nR-1,UKR,high," + "x" * 100_001 + "\r\n",
        None,
        "requests.csv line 2: the line is longer than 100,000 characters",
        id="very-large-line",
    ),
]


@pytest.mark.parametrize(("content", "kind", "message"), BAD_FILES)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_applied(
    seeded: Context, tmp_path: Path, content: str | bytes, kind: RecordType | None, message: str
) -> None:
    before = counts(seeded)
    with pytest.raises(DomainError) as refused:
        run(seeded, write(tmp_path, "requests.csv", content), kind=kind)
    assert refused.value.detail == message
    assert counts(seeded) == before


BAD_ROWS = (
    "key,member,kind,item,area,quantity,value_eur,offered_on\r\n"
    "O-1,DEU,arm,155mm-round,,ten,,2024-03-05\r\n"
    "O-2,DEU,arm,155mm-round,,0,12.345,2024-02-30\r\n"
    "O-3,XXX,arm,nope,,2000000000,,2024-03-05\r\n"
    "O-4,DEU,arm,155mm-round,,10,,2024-03-05\r\n"
    "O-4,FRA,arm,155mm-round,,10,,2024-03-05\r\n"
    "O-5,SWE,arm,155mm-round,,10,,2024-03-01\r\n"
    "O-6,DEU,lend,,air-defence,1,,2024-03-05\r\n"
    "O-7,USA,train,,air-defence,4,,2024-03-05\r\n"
)
# Every bad row, each with its line, column and rule (a row's columns first, then the rules
# that need the platform's data: line 4's unknown member waits until its quantity is fixed);
# the good row (O-4, line 5) is not applied.
BAD_ROW_REASONS = [
    (2, "quantity", "give a whole number, like 3"),
    (3, "quantity", "give at least 1"),
    (3, "value_eur", "give an amount in euros with at most two decimals, like 1250000.50"),
    (3, "offered_on", "give a date as YYYY-MM-DD"),
    (4, "quantity", "2,000,000,000 is too many: the maximum is 1,000,000,000 per record"),
    (6, "key", "key O-4 appears more than once in the file (first on line 5)"),
    (7, "member", "SWE is not a member of the council on 2024-03-01"),
    (8, "kind", "use one of arm, train, equip, finance"),
    (9, "value_eur", "an offer without a catalogue item needs a value"),
]


def test_every_bad_row_is_reported_and_one_bad_row_applies_nothing(
    seeded: Context, tmp_path: Path
) -> None:
    before = counts(seeded)
    outcome = run(seeded, write(tmp_path, "offers.csv", BAD_ROWS))
    assert reasons(outcome) == BAD_ROW_REASONS
    assert (outcome.rows_read, outcome.applied, outcome.stopped) == (8, 1, True)
    assert counts(seeded) == before


def test_skip_bad_applies_the_good_rows_and_keeps_the_bad_ones(
    seeded: Context, tmp_path: Path
) -> None:
    before = counts(seeded)
    outcome = run(seeded, write(tmp_path, "offers.csv", BAD_ROWS), skip_bad=True)
    assert reasons(outcome) == BAD_ROW_REASONS
    assert outcome.rejected[0].values == {
        "key": "O-1", "member": "DEU", "kind": "arm", "item": "155mm-round", "area": "",
        "quantity": "ten", "value_eur": "", "offered_on": "2024-03-05",
    }  # fmt: skip
    after = counts(seeded)
    assert {k: after[k] - before[k] for k in after} == {
        "requests": 0, "offers": 1, "deliveries": 0, "entries": 1, "files": 1, "audit": 1,
    }  # fmt: skip
    with seeded.reading() as s:
        file = s.scalar(select(ImportedFile))
        assert file is not None
        assert (file.rows_read, file.rows_applied, file.rows_rejected) == (8, 1, 9)


def test_a_dry_run_reports_and_applies_nothing(seeded: Context, tmp_path: Path) -> None:
    before = counts(seeded)
    outcome = run(seeded, write(tmp_path, "requests.csv", REQUESTS), dry_run=True)
    assert (outcome.rows_read, outcome.applied, outcome.rejected) == (2, 2, [])
    assert counts(seeded) == before


def test_a_key_already_imported_with_other_values_is_refused(
    seeded: Context, tmp_path: Path
) -> None:
    import_all(seeded, tmp_path)
    before = counts(seeded)
    changed = OFFERS.replace("O-3,USA,,train,,air-defence,4,", "O-3,USA,,train,,air-defence,5,")
    outcome = run(seeded, write(tmp_path, "offers-2.csv", changed))
    assert reasons(outcome) == [
        (4, "key", "key O-3 already imported with different values: quantity 4 ≠ 5")
    ]
    assert (outcome.unchanged, outcome.applied) == (2, 0)
    assert counts(seeded) == before


def test_the_ledger_rules_hold_for_imported_rows(seeded: Context, tmp_path: Path) -> None:
    import_all(seeded, tmp_path)
    before = counts(seeded)
    with seeded.reading() as s:
        r1 = s.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.external_key == "table:request:R-1"
            )
        )
    offers = (
        "key,member,request_key,kind,quantity,offered_on,accepted_on,committed_quantity,committed_on\r\n"
        "O-8,FRA,R-1,arm,1,2024-03-05,,,\r\n"
        "O-9,DEU,R-1,arm,2,2024-03-05,2024-03-04,3,2024-03-06\r\n"
        "O-10,DEU,R-1,arm,2,2024-03-05,,,2024-03-06\r\n"
    )
    outcome = run(seeded, write(tmp_path, "more-offers.csv", offers))
    assert reasons(outcome) == [
        (2, "request_key", f"request {r1} is addressed to named members, not FRA"),
        (3, "accepted_on", "is before offered_on (2024-03-05)"),
        (4, "committed_on", "cannot commit offer O-10: it is offered"),
    ]
    deliveries = (
        "key,offer_key,quantity,delivered_on,confirmed_on\r\n"
        "D-8,O-1,1,2024-04-01,\r\n"  # O-1: 1 committed, 1 already awaiting confirmation (D-3)
        "D-9,O-3,1,2024-04-01,\r\n"  # O-3: offered, not committed
        "D-10,O-77,1,2024-04-01,\r\n"
    )
    outcome = run(seeded, write(tmp_path, "more-deliveries.csv", deliveries))
    assert reasons(outcome) == [
        (2, "quantity", "deliveries would exceed the commitment: committed 1, delivered 0, "
                        "awaiting confirmation 2"),
        (3, "offer_key", "cannot record a delivery against offer O-3: it is offered"),
        (4, "offer_key", "no offer O-77"),
    ]  # fmt: skip
    assert counts(seeded) == before


def test_a_workbook_imports_its_three_sheets_in_order(seeded: Context, tmp_path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, content in (("deliveries", DELIVERIES), ("offers", OFFERS), ("requests", REQUESTS)):
        sheet = book.create_sheet(name)
        for values in csv.reader(content.splitlines()):
            sheet.append([int(v) if v.isdigit() else v for v in values])
    sheet = book["offers"]
    sheet["I2"] = dt.datetime(2024, 3, 5)  # a date cell, as a spreadsheet keeps it
    path = tmp_path / "all.xlsx"
    book.save(path)
    before = counts(seeded)
    outcome = run(seeded, path)
    assert (outcome.rows_read, outcome.applied, outcome.rejected) == (8, 8, [])
    assert outcome.created == {"requests": 2, "offers": 3, "deliveries": 3}
    after = counts(seeded)
    assert {k: after[k] - before[k] for k in after} == {
        "requests": 2, "offers": 3, "deliveries": 3, "entries": 7, "files": 1, "audit": 1,
    }  # fmt: skip
    assert run(seeded, path).unchanged == 8


# ---- the command line ------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_command(*args, env={"COLUMNS": "250"})  # in this process


def test_the_command_line_writes_templates_and_imports_with_skip_bad(
    seeded_sqlite_url: str, tmp_path: Path
) -> None:
    made = cli("import", "template", str(tmp_path / "templates"))
    assert made.returncode == 0, made.stderr
    names = sorted(p.name for p in (tmp_path / "templates").iterdir())
    assert names == ["deliveries.csv", "offers.csv", "requests.csv", "shieldwall-import.xlsx"]
    assert (tmp_path / "templates" / "offers.csv").read_text().splitlines()[0] == (
        "key,member,partner,request_key,kind,area,item,quantity,value_eur,description,"
        "conditions,offered_on,accepted_on,committed_quantity,committed_on,releasability"
    )
    book = load_workbook(tmp_path / "templates" / "shieldwall-import.xlsx")
    assert book.sheetnames == ["requests", "offers", "deliveries"]
    comments = {c.value: c.comment.text for c in book["deliveries"][1] if c.comment}
    assert comments["confirmed_on"] == (
        "optional: YYYY-MM-DD: the partner confirmed; empty: not yet"
    )
    assert comments["key"] == "required: this row's key, unique in the file and the platform"
    # The templates themselves import: their example rows refer to one another.
    template = cli("import", "table", str(tmp_path / "templates" / "shieldwall-import.xlsx"),
                   "--dry-run", "--db", seeded_sqlite_url)  # fmt: skip
    assert template.returncode == 0, template.stderr
    assert "3 rows read, 3 would apply, 0 already there, 0 rejected" in template.stderr
    bad = write(tmp_path, "offers.csv", BAD_ROWS)
    stopped = cli("import", "table", str(bad), "--db", seeded_sqlite_url)
    assert stopped.returncode == 1
    assert "error: nothing applied: 9 bad rows (see above)" in stopped.stderr
    skipped = cli("import", "table", str(bad), "--skip-bad", "--db", seeded_sqlite_url)
    assert skipped.returncode == 0, skipped.stderr
    assert "offers.csv: 8 rows read, 1 applied, 0 already there, 9 rejected" in skipped.stderr
    with (tmp_path / "offers.rejects.csv").open(encoding="utf-8") as rejects:
        rows = list(csv.DictReader(rejects))
    assert [(int(r["line"]), r["field"], r["reason"]) for r in rows] == BAD_ROW_REASONS
    assert rows[0]["quantity"] == "ten" and rows[0]["key"] == "O-1"


# ---- the page --------------------------------------------------------------------------------


@pytest.fixture
def import_server(seeded: Context, clock: FixedClock, tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(
        database_url=seeded.engine.url.render_as_string(False),
        import_dir=str(tmp_path / "uploads"),
    )
    app = create_app(settings, clock)
    with LiveServer(app) as live:
        yield live
    app.state.platform.engine.dispose()


def _text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def _hidden(page: httpx.Response, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', page.text, re.S)
    assert form is not None, page.text[:3000]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1))
    return {name: html.unescape(value) for name, value in fields}


def test_the_secretariat_checks_a_file_on_the_page_then_applies_it(
    import_server: LiveServer, seeded: Context
) -> None:
    partner = Browser(import_server, "ukr")
    refused = partner.get("/imports")
    assert refused.status_code == 403
    assert "UKR may not import requests, offers and deliveries: only the secretariat may" in _text(
        refused
    )
    sec = Browser(import_server, "sec")
    page = sec.get("/imports")
    assert page.status_code == 200 and "No file has been imported yet." in _text(page)
    template = sec.get("/imports/templates/deliveries.csv")
    assert template.status_code == 200
    assert template.text.splitlines()[0] == "key,offer_key,quantity,delivered_on,confirmed_on,note"
    before = counts(seeded)

    def check(name: str, content: str) -> httpx.Response:
        return sec.client.post(
            "/imports/check",
            data={"csrf_token": sec.csrf, "type": ""},
            files={"file": (name, content.encode(), "text/csv")},
        )

    bad = check("offers.csv", BAD_ROWS)
    assert bad.status_code == 200
    text = _text(bad)
    assert "8 rows read: 1 new, 0 already imported with the same values, 9 bad." in text
    for line, column, reason in BAD_ROW_REASONS:
        assert f"{line} {column} {reason}" in text
    assert "Apply the good rows and leave out the bad ones" in text
    good = check("requests.csv", REQUESTS)
    assert "2 rows read: 2 new, 0 already imported with the same values, 0 bad." in _text(good)
    assert counts(seeded) == before  # checking writes nothing
    applied = sec.client.post(
        "/imports/apply", data={**_hidden(good, "apply-form"), "csrf_token": sec.csrf}
    )
    assert applied.status_code == 303
    assert re.fullmatch(r"/imports/\d+\?done=applied", applied.headers["location"])
    done = sec.get(applied.headers["location"])
    assert "The file was applied." in _text(done) and "requests.csv" in _text(done)
    after = counts(seeded)
    assert {k: after[k] - before[k] for k in after} == {
        "requests": 2, "offers": 0, "deliveries": 0, "entries": 0, "files": 1, "audit": 1,
    }  # fmt: skip
    assert "requests.csv" in _text(sec.get("/imports"))


@pytest.mark.browser
def test_the_imports_page_in_a_browser_on_a_phone(
    browser: PlaywrightBrowser, seeded_sqlite_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Upload, check report, apply, on a 390 px screen: each page labelled, within the
    screen, without console errors or axe-core violations."""
    settings = Settings(database_url=seeded_sqlite_url, import_dir=str(tmp_path / "uploads"))
    app = create_app(settings, clock)
    with LiveServer(app) as live:
        journey = Journey(browser, live.url)
        try:
            page = journey.sign_in("sec")
            page.goto(f"{journey.base}/imports")
            journey.check()
            page.get_by_label("File (.csv or .xlsx)").set_input_files(
                str(write(tmp_path, "requests.csv", REQUESTS))
            )
            page.get_by_role("button", name="Check the file").click()
            expect(page.locator("#summary")).to_contain_text(
                "2 rows read: 2 new, 0 already imported with the same values, 0 bad."
            )
            journey.check()
            page.get_by_role("button", name="Apply").click()
            expect(page.locator("#done")).to_contain_text("The file was applied.")
            journey.check()
        finally:
            journey.context.close()
    app.state.platform.engine.dispose()


def test_an_import_collects_cycles_less_often_then_as_before() -> None:
    """While a file is imported the cycle collector runs every 50,000 new objects, not every
    700; afterwards, and after a failed import too, the process's thresholds are as they were."""
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (50_000, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(ZeroDivisionError), fewer_collections():
        1 / 0  # noqa: B018
    assert gc.get_threshold() == before


def test_repeated_texts_are_parsed_once_and_refused_every_time() -> None:
    """Days, codes and notes repeat from row to row and are remembered once parsed; a text
    refused is refused on every row it is on, with the same words; what is remembered stays
    bounded however many different texts a file holds."""

    def delivery(line: int, confirmed_on: str) -> dict[str, str]:
        return {
            "key": f"D-{line}",
            "offer_key": "O-1",
            "quantity": "1",
            "delivered_on": "2024-03-25",
            "confirmed_on": confirmed_on,
            "note": "lot",
        }

    first, again = (
        check_delivery(2, delivery(2, "2024-03-27")),
        check_delivery(3, delivery(3, "2024-03-27")),
    )
    assert not isinstance(first, list) and not isinstance(again, list)
    assert first.confirmed_on == again.confirmed_on == dt.date(2024, 3, 27)
    for line in (4, 5):
        bad = check_delivery(line, delivery(line, "2024-02-30"))
        assert isinstance(bad, list)
        assert [(r.line, r.field, r.reason) for r in bad] == [
            (line, "confirmed_on", "give a date as YYYY-MM-DD")
        ]
    start = dt.date(2000, 1, 1)
    for n in range(6000):
        check_delivery(n, delivery(n, (start + dt.timedelta(days=n)).isoformat()))
    assert len(_DAYS.parsed) <= 4096


def test_an_offer_of_a_compatible_item_answers_an_item_request(
    seeded: Context, tmp_path: Path
) -> None:
    """As the service accepts it: an item sharing a compatibility tag with the one a request
    asks for (a 155mm round of another make) answers it; sharing only a tag of provenance
    (``kiel-ust``) does not, and nothing of the refused file is applied."""
    for code, tags in (("shell-y", ["kiel-ust", "155mm"]), ("drone-x", ["kiel-ust"])):
        seeded.assistance.add_item(
            SETUP, code=code, name=code, area="artillery", unit="round",
            reference_unit_value_cents=100_00, price_date=dt.date(2023, 7, 1), tags=tags,
        )  # fmt: skip
    run(seeded, write(tmp_path, "requests.csv", REQUESTS))  # R-2 asks for 155mm-round
    with seeded.reading() as s:
        shells = s.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.external_key == "table:request:R-2"
            )
        )
    header = "key,member,request_key,kind,item,quantity,offered_on\r\n"
    before = counts(seeded)
    refused = run(
        seeded, write(tmp_path, "drones.csv", header + "O-9,DEU,R-2,arm,drone-x,5,2024-03-05\r\n")
    )
    assert reasons(refused) == [(2, "request_key", f"request {shells} asks for a specific item")]
    assert counts(seeded) == before
    accepted = run(
        seeded, write(tmp_path, "shells.csv", header + "O-8,DEU,R-2,arm,shell-y,5,2024-03-05\r\n")
    )
    assert (reasons(accepted), accepted.applied) == ([], 1)
    with seeded.reading() as s:
        offer = s.execute(
            select(Offer.request_id, Offer.quantity, CapabilityItem.code)
            .join(CapabilityItem, CapabilityItem.id == Offer.item_id)
            .where(Offer.external_key == "table:offer:O-8")
        ).one()
    assert tuple(offer) == (shells, 5, "shell-y")
