"""CSV and XLSX import of requests, offers and deliveries (issue 11): the formats, the rules of
every import (idempotent, one transaction per file, every bad row reported with its line and
reason, --skip-bad, --dry-run, provenance on each entry), and the bad files the issue names —
each on SQLite and PostgreSQL, each checking that nothing was applied."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from shieldwall.assistance.table_imports import import_table
from shieldwall.assistance.tables import (
    AssistanceRequest,
    Delivery,
    ImportedFile,
    LedgerEntry,
    Offer,
)
from shieldwall.audit.tables import AuditRecord
from shieldwall.importers.common import ImportOutcome, sha256_of
from shieldwall.importers.tables import RecordType, sheets
from shieldwall.kit.errors import DomainError, Forbidden
from tests.conftest import actor
from tests.platform import TestPlatform as Context

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
    ctx: Context, path: Path, username: str = "sec", kind: RecordType | None = None, **options: bool
) -> ImportOutcome:
    who = actor(ctx, username)
    with ctx.unit_of_work() as uow:
        return import_table(
            uow,
            who,
            lambda: sheets(path, kind),
            file_name=path.name,
            sha256=sha256_of(path),
            **options,
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
    again = import_all(seeded, tmp_path)
    assert [(o.applied, o.unchanged, o.rejected) for o in again] == [
        (0, 2, []),
        (0, 3, []),
        (0, 3, []),
    ]
    assert counts(seeded) == after


def test_only_the_secretariat_imports(seeded: Context, tmp_path: Path) -> None:
    before = counts(seeded)
    with pytest.raises(Forbidden) as refused:
        run(seeded, write(tmp_path, "requests.csv", REQUESTS), username="ukr")
    assert refused.value.detail == (
        "UKR may not import requests, offers and deliveries (requests.csv): only the secretariat may"
    )
    assert counts(seeded) == before
