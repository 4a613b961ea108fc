"""Anchoring the audit chain outside the database: the removal of its newest records, which
the chain alone cannot show, is caught by the anchor; so is a chain rewritten up to it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from shieldwall.app import create_app
from shieldwall.audit.service import GENESIS, record_hash
from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from tests.cli import run
from tests.conftest import PASSWORD, TLS, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform, open_test_platform


def make_offers(ctx: TestPlatform) -> TestPlatform:
    for quantity in (1, 2, 3):
        ctx.assistance.make_offer(
            actor(ctx, "deu"), member="DEU", kind="arm", quantity=quantity, item="patriot"
        )
    return ctx


@pytest.fixture
def audited(ctx: TestPlatform) -> TestPlatform:
    """Offers made and audited, on SQLite and on PostgreSQL."""
    return make_offers(ctx)


@pytest.fixture
def audited_sqlite(seeded_sqlite_url: str, clock: FixedClock) -> Iterator[TestPlatform]:
    ctx = open_test_platform(seeded_sqlite_url, clock)
    yield make_offers(ctx)
    ctx.engine.dispose()


def newest_id(ctx: TestPlatform) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM audit_record")).scalar_one())


def test_anchor_appends_the_head_and_verify_checks_the_chain_reaches_it(
    audited_sqlite: TestPlatform, seeded_sqlite_url: str, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors" / "audit.txt"
    head = newest_id(audited_sqlite)
    anchored = run("audit", "anchor", "--db", seeded_sqlite_url, "--file", str(anchors))
    assert anchored.returncode == 0, anchored.stderr
    assert f"Anchored record {head} " in anchored.stdout
    line = anchors.read_text().splitlines()
    assert len(line) == 1 and re.fullmatch(rf"{head} [0-9a-f]{{64}} \S+", line[0])

    ok = run("audit", "verify", "--db", seeded_sqlite_url, "--anchor", str(anchors))
    assert ok.returncode == 0 and f"reaches the anchor of record {head}" in ok.stdout

    # A second anchor is appended below the first; verify reads the newest.
    audited_sqlite.assistance.make_offer(
        actor(audited_sqlite, "usa"), member="USA", kind="equip", quantity=1, item="demining-kit"
    )
    run("audit", "anchor", "--db", seeded_sqlite_url, "--file", str(anchors))
    assert [int(x.split()[0]) for x in anchors.read_text().splitlines()] == [head, head + 1]


def test_a_removed_tail_passes_the_chain_but_not_the_anchor(
    audited: TestPlatform, database_url: str, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit.txt"
    head = newest_id(audited)
    assert run("audit", "anchor", "--db", database_url, "--file", str(anchors)).returncode == 0
    with audited.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_record WHERE id >= {head - 1}"))

    plain = run("audit", "verify", "--db", database_url)
    assert plain.returncode == 0, "without the anchor the shortened chain still links"
    caught = run("audit", "verify", "--db", database_url, "--anchor", str(anchors))
    assert caught.returncode == 1
    assert f"anchored record {head}" in caught.stderr and "tail was removed" in caught.stderr
    assert f"ends at {head - 2}" in caught.stderr
    assert "Traceback" not in caught.stderr


def test_a_chain_rewritten_up_to_the_anchor_is_caught(
    audited_sqlite: TestPlatform, seeded_sqlite_url: str, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit.txt"
    head = newest_id(audited_sqlite)
    assert run("audit", "anchor", "--db", seeded_sqlite_url, "--file", str(anchors)).returncode == 0
    # Someone edits a record and recomputes every hash after it: the chain links again.
    with audited_sqlite.factory() as session, session.begin():
        records = session.query(AuditRecord).order_by(AuditRecord.id).all()
        records[1].actor = "someone else"
        previous = GENESIS
        for record in records:
            record.prev_hash = previous
            record.hash = record_hash(previous, record)
            previous = record.hash

    assert run("audit", "verify", "--db", seeded_sqlite_url).returncode == 0
    caught = run("audit", "verify", "--db", seeded_sqlite_url, "--anchor", str(anchors))
    assert caught.returncode == 1
    assert f"record {head} no longer has the anchored hash" in caught.stderr


def test_anchor_errors_are_one_line(sqlite_url: str, tmp_path: Path) -> None:
    empty = run("audit", "anchor", "--db", sqlite_url, "--file", str(tmp_path / "a.txt"))
    assert empty.returncode == 1 and "audit log is empty" in empty.stderr
    assert not (tmp_path / "a.txt").exists()
    missing = run("audit", "verify", "--db", sqlite_url, "--anchor", str(tmp_path / "none.txt"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    garbled = tmp_path / "garbled.txt"
    garbled.write_text("12 not-a-hash yesterday\n")
    bad = run("audit", "verify", "--db", sqlite_url, "--anchor", str(garbled))
    assert bad.returncode == 1 and "line 1" in bad.stderr and "Traceback" not in bad.stderr


def test_the_audit_page_shows_the_last_anchor_and_whether_the_chain_reaches_it(
    audited_sqlite: TestPlatform, seeded_sqlite_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    anchors = tmp_path / "audit.txt"
    settings = Settings(database_url=seeded_sqlite_url, audit_anchor_file=str(anchors))
    app = create_app(settings, clock)
    with (
        LiveServer(app) as live,
        httpx.Client(verify=TLS, base_url=live.url, timeout=30) as browser,
    ):
        form = browser.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        browser.post(
            "/login",
            data={"username": "sec", "password": PASSWORD, "csrf_token": csrf.group(1)},
        )
        assert "No anchor yet" in browser.get("/audit").text

        head = newest_id(audited_sqlite)
        run("audit", "anchor", "--db", seeded_sqlite_url, "--file", str(anchors))
        page = browser.get("/audit").text
        assert f"Last anchor: record {head}" in page and "The chain still reaches it." in page

        with audited_sqlite.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM audit_record WHERE id = {head}"))
        page = browser.get("/audit").text
        assert "The chain no longer reaches it" in page and "tail was removed" in page
    app.state.platform.engine.dispose()
