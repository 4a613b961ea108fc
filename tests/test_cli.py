"""The ``shieldwall`` command line, run as a user runs it: the installed command and the module
each in a process of their own once (what only a process shows: the entry points, the exit
status, no stack trace), the other commands in the test's process (``tests.cli.run``)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from shieldwall.cli import app
from shieldwall.kit.clock import FixedClock
from tests.cli import INSTALLED, run, run_process
from tests.conftest import NOW, actor, schema_head
from tests.platform import open_test_platform


@pytest.fixture
def ledger_db(seeded_sqlite_url: str) -> str:
    ctx = open_test_platform(seeded_sqlite_url, FixedClock(NOW))
    deu, ukr = actor(ctx, "deu"), actor(ctx, "ukr")
    a = ctx.assistance
    o1 = a.make_offer(deu, member="DEU", kind="arm", quantity=100, item="155mm-round")
    a.accept(ukr, o1)
    a.commit(deu, o1)
    d = a.record_delivery(deu, o1, quantity=40)
    a.confirm_delivery(ukr, d)
    a.make_offer(
        actor(ctx, "usa"),
        member="USA",
        kind="train",
        quantity=4,
        area="air-defence",
        value_cents=2_000_000_00,
    )
    ctx.engine.dispose()
    return seeded_sqlite_url


def test_init_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    result = run_process("init", "--db", str(db), command=INSTALLED)
    assert result.returncode == 0, result.stderr
    assert "Schema is current" in result.stdout
    with create_engine(f"sqlite:///{db}").connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert revision == schema_head()
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_report_formats(ledger_db: str) -> None:
    db = ledger_db.removeprefix("sqlite:///")
    as_json = run("report", "--group-by", "member,kind", "--format", "json", "--db", db)
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)
    assert rows == [
        {
            "member": "DEU",
            "kind": "arm",
            "offered_eur": 350000.0,
            "committed_eur": 350000.0,
            "delivered_eur": 140000.0,
            "offered_quantity": 100,
            "committed_quantity": 100,
            "delivered_quantity": 40,
        },
        {
            "member": "USA",
            "kind": "train",
            "offered_eur": 2000000.0,
            "committed_eur": 0.0,
            "delivered_eur": 0.0,
            "offered_quantity": 4,
            "committed_quantity": 0,
            "delivered_quantity": 0,
        },
    ]
    as_csv = run("report", "--group-by", "member,kind", "--format", "csv", "--db", db)
    table = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert table[0] == [
        "member",
        "kind",
        "offered_eur",
        "committed_eur",
        "delivered_eur",
        "offered_quantity",
        "committed_quantity",
        "delivered_quantity",
    ]
    assert table[1][:2] == ["DEU", "arm"] and len(table) == 3
    # Euros to the cent, as every download writes them (the figures printed 350000.0).
    assert table[1][2:5] == ["350000.00", "350000.00", "140000.00"]
    exact = json.loads(as_json.stdout, parse_float=str)[0]
    assert [exact[k] for k in ("offered_eur", "committed_eur", "delivered_eur")] == [
        "350000.00",
        "350000.00",
        "140000.00",
    ]
    as_table = run("report", "--group-by", "area", "--db", db)
    assert as_table.returncode == 0
    assert "artillery" in as_table.stdout and "350,000" in as_table.stdout
    assert "committed EUR" in as_table.stdout and "…" not in as_table.stdout


def test_report_errors_are_one_line_and_non_zero(ledger_db: str, tmp_path: Path) -> None:
    db = ledger_db.removeprefix("sqlite:///")
    bad = run_process("report", "--group-by", "member,colour", "--db", db)
    assert bad.returncode == 1
    assert "colour" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    unknown = run("report", "--member", "XYZ", "--db", db)
    assert unknown.returncode == 1 and "XYZ" in unknown.stderr
    empty = run("report", "--db", str(tmp_path / "nothing.db"))
    assert empty.returncode == 1 and "shieldwall init" in empty.stderr
    assert "Traceback" not in empty.stderr


def test_export_entries_and_summaries(ledger_db: str, tmp_path: Path) -> None:
    db = ledger_db.removeprefix("sqlite:///")
    out = tmp_path / "entries.csv"
    result = run("export", str(out), "--what", "entries", "--format", "csv", "--db", db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["entry_type"] for r in rows] == ["offered", "committed", "delivered", "offered"]
    assert rows[2]["value_eur"] == "140000.00" and rows[2]["member"] == "DEU"
    as_json = run("export", "-", "--format", "json", "--db", db)
    assert len(json.loads(as_json.stdout)) == 4
    summary = run(
        "export", "-", "--what", "summary", "--group-by", "kind", "--format", "json", "--db", db
    )
    assert {r["kind"] for r in json.loads(summary.stdout)} == {"arm", "train"}
    xlsx = tmp_path / "entries.xlsx"
    assert run("export", str(xlsx), "--format", "xlsx", "--db", db).returncode == 0
    sheet = load_workbook(xlsx).active
    assert sheet is not None and sheet.max_row == 5
    refused = run("export", "-", "--format", "xlsx", "--db", db)
    assert refused.returncode == 1 and "XLSX" in refused.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    """The server answers 200 (uvicorn binds its socket just after the line is printed)."""
    for _attempt in range(200):
        try:
            return httpx.get(url, timeout=5).status_code == 200
        except httpx.ConnectError:
            time.sleep(0.05)
    return False


def test_the_demo_builds_and_serves_where_the_environment_says(tmp_path: Path) -> None:
    """`make demo` runs `shieldwall demo`: with port 8000 taken, SHIELDWALL_PORT (the README's
    configuration) moves it, as it moves `shieldwall serve` (the demo served on 8000 regardless)."""
    db, port = tmp_path / "demo.db", _free_port()
    env = {**os.environ, "COLUMNS": "200", "SHIELDWALL_PORT": str(port)}
    env["SHIELDWALL_RUN_SCHEDULER"] = "false"
    with subprocess.Popen(
        [*INSTALLED, "demo", "--db", str(db)], env=env, stdout=subprocess.PIPE, text=True
    ) as demo:
        assert demo.stdout is not None
        try:
            lines = []
            for line in demo.stdout:  # the server starts listening once this line is printed
                lines.append(line)
                if line.startswith("Serving Shieldwall on"):
                    break
            assert lines and f"on http://127.0.0.1:{port}/ " in lines[-1], lines
            assert _healthy(f"http://127.0.0.1:{port}/healthz")
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=30)
    printed = "".join(lines)
    assert "Demo built" in printed
    assert "Council: 30 real meetings" in printed
    assert "Guarantees: the 29 security agreements of 2024" in printed
    report = run("report", "--group-by", "member", "--format", "json", "--db", str(db))
    members = {r["member"] for r in json.loads(report.stdout)}
    assert {"DEU", "USA", "SWE", "GBR"} <= members


def test_ledger_check_finds_each_difference_and_rebuild_mends_them(ledger_db: str) -> None:
    """Issue 13: ``ledger check`` compares the maintained balances with the entries (exit 1 on
    any difference, each printed); ``ledger rebuild`` recomputes them from the entries."""
    db = ledger_db.removeprefix("sqlite:///")
    ok = run("ledger", "check", "--db", db)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout
    engine = create_engine(ledger_db)
    with engine.begin() as conn:
        # DEU's offer: 40 delivered; USA's offer: the only training, none of it delivered.
        conn.execute(text("UPDATE offer_balance SET delivered_quantity = 39 WHERE offer_id = 1"))
        conn.execute(text("DELETE FROM ledger_rollup WHERE grain = 2 AND kind = 'train'"))
    bad = run("ledger", "check", "--db", db)
    assert bad.returncode == 1
    lines = bad.stdout.strip().splitlines()
    assert len(lines) == 2, bad.stdout
    assert "offer_balance (offer_id=1)" in bad.stdout and "delivered_quantity=39" in bad.stdout
    assert "delivered_quantity=40" in bad.stdout
    assert "kind='train'" in bad.stdout and "maintained none" in bad.stdout
    assert "offered_quantity=4" in bad.stdout
    assert bad.stderr.strip().splitlines() == [
        "error: 2 maintained balances differ from the ledger's entries"
    ]
    rebuilt = run("ledger", "rebuild", "--db", db)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Rebuilt" in rebuilt.stdout and "2 offer balances" in rebuilt.stdout
    assert run("ledger", "check", "--db", db).returncode == 0
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT count(*) FROM audit_record WHERE action = 'ledger.rebuild'")
        ).scalar()
    assert audited == 1
    engine.dispose()


def test_upgrading_fills_the_rollups_from_the_entries_already_written(ledger_db: str) -> None:
    """A database written before the roll-ups existed (revision 0011, the one before them) is
    consistent once upgraded: migration 0012 fills them from its entries."""
    engine = create_engine(ledger_db)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE ledger_rollup"))
        conn.execute(text("DROP TABLE offer_balance"))
        for column in ("withdrawn_at", "withdrawn_reason", "illustrative"):  # 0013's
            conn.execute(text(f"ALTER TABLE availability DROP COLUMN {column}"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0011_matching'"))
    engine.dispose()
    db = ledger_db.removeprefix("sqlite:///")
    assert run("init", "--db", db).returncode == 0
    with create_engine(ledger_db).connect() as conn:
        # Grain 2 (no item, no month): DEU's arms offer and USA's training offer.
        rows = conn.execute(
            text(
                "SELECT kind, offered_quantity, committed_quantity, delivered_quantity"
                " FROM ledger_rollup WHERE grain = 2 ORDER BY kind"
            )
        ).all()
    assert rows == [("arm", 100, 100, 40), ("train", 4, 0, 0)]
    checked = run("ledger", "check", "--db", db)
    assert checked.returncode == 0, checked.stdout


# Every command that names a record by its id, given an id beyond any the platform gives (the
# database's integers end at 2^63 - 1, the API's ids at 2^62), and the name its error gives it.
TOO_LARGE = "99999999999999999999"
BY_ID: list[tuple[str, tuple[str, ...]]] = [
    (
        "meeting",
        (
            "council",
            "schedule",
            TOO_LARGE,
            "--as",
            "sec",
            "--at",
            "2026-12-02T09:00Z",
            "--place",
            "HQ",
        ),
    ),
    ("meeting", ("council", "hold", TOO_LARGE, "--as", "sec", "--attended", "UKR=Ambassador")),
    ("meeting", ("council", "close", TOO_LARGE, "--as", "sec")),
    (
        "meeting",
        ("council", "table", "--as", "deu", "--title", "T", "--text", "x", "--meeting", TOO_LARGE),
    ),
    ("proposal", ("council", "position", TOO_LARGE, "--as", "usa", "--stance", "support")),
    (
        "proposal",
        ("council", "circulate", TOO_LARGE, "--as", "sec", "--deadline", "2026-12-05T12:00Z"),
    ),
    ("proposal", ("council", "consensus", TOO_LARGE, "--as", "sec")),
    ("instrument", ("guarantees", "show", TOO_LARGE)),
    ("instrument", ("guarantees", "notice", TOO_LARGE, "--as", "ukr", "--given-on", "2024-03-31")),
    ("offer", ("guarantees", "link", TOO_LARGE, "--as", "deu", "--unlink")),
    ("instrument", ("guarantees", "link", "1", "--as", "deu", "--instrument", TOO_LARGE)),
    (
        "offer",
        ("envelope", "plan", TOO_LARGE, "--as", "deu", "--quantity", "1", "--on", "2026-05-01"),
    ),
    ("tranche", ("envelope", "slip", TOO_LARGE, "--as", "deu", "--months", "1", "--reason", "x")),
    ("line", ("match", "withdraw", TOO_LARGE, "--as", "deu")),
    ("run", ("match", "proposals", "--run", TOO_LARGE)),
    ("run", ("match", "send", TOO_LARGE, "--as", "sec")),
    ("proposal", ("match", "confirm", TOO_LARGE, "--as", "ukr")),
    ("trigger", ("obligations", "list", "--trigger", TOO_LARGE)),
    ("obligation", ("obligations", "met", TOO_LARGE, "--as", "deu", "--evidence", "x")),
]


def test_a_bad_choice_is_one_line_naming_the_option_and_its_choices(ledger_db: str) -> None:
    """Typer's own message read "Value error, 'xml' is not one of …" in a box; the commands
    whose --format took any text stopped on a stack trace."""
    db = ledger_db.removeprefix("sqlite:///")
    refusals = {
        ("export", "-", "--format", "xml"): "--format: 'xml' is not a choice: use one of csv, "
        "json, xlsx",
        ("export", "-", "--what", "nothing"): "--what: 'nothing' is not a choice: use one of "
        "requests, offers, deliveries, entries, summary",
        ("report", "--format", "xml"): "--format: 'xml' is not a choice: use one of table, csv, "
        "json",
        ("council", "meetings", "--format", "xml"): "--format: 'xml' is not a choice: use one "
        "of table, csv, json",
        ("obligations", "list", "--format", "pdf"): "--format: 'pdf' is not a choice: use one "
        "of table, csv, json",
        ("import", "table", db, "--type", "cats"): "--type: 'cats' is not a choice: use one of "
        "requests, offers, deliveries",
    }
    for args, message in refusals.items():
        refused = run(*args, "--db", db)
        assert (refused.returncode, refused.stderr) == (1, f"error: {message}\n"), args
    assert run("report", "--format", "csv", "--db", db).returncode == 0


def test_an_id_out_of_range_is_one_line_naming_it(database_url: str) -> None:
    """Each of these printed the database driver's overflow with its stack trace."""
    for name, args in BY_ID:
        refused = run(*args, "--db", database_url)
        assert (refused.returncode, refused.stderr) == (
            1,
            f"error: {name}: ids run from 1 to 4,611,686,018,427,387,904 (2^62)\n",
        ), args


def test_a_file_that_cannot_be_written_is_one_line_naming_it(
    seeded_sqlite_url: str, tmp_path: Path
) -> None:
    """Each printed the OSError's stack trace: a folder that does not exist, a folder where the
    file should be, a file where the templates' folder should be."""
    missing = tmp_path / "no-such-folder" / "entries.csv"
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    for args, expected in (
        (
            ("export", str(missing), "--db", seeded_sqlite_url),
            f"{missing}: cannot write there (No such file or directory)",
        ),
        (
            ("export", str(tmp_path), "--format", "xlsx", "--db", seeded_sqlite_url),
            f"{tmp_path}: cannot write there (Is a directory)",
        ),
        (("import", "template", str(a_file)), f"{a_file}: cannot write there (File exists)"),
    ):
        refused = run(*args)
        assert (refused.returncode, refused.stderr) == (1, f"error: {expected}\n"), args
    assert not missing.parent.exists()


def test_skip_bad_with_no_good_row_does_not_advise_skip_bad(
    seeded_sqlite_url: str, tmp_path: Path
) -> None:
    """With --skip-bad and every row bad, the command said "fix them, or apply the good rows
    with --skip-bad": the option just given, with no good row to apply."""
    deliveries = tmp_path / "deliveries.csv"
    deliveries.write_text(
        "key,offer_key,quantity,delivered_on\nD-1,#999,1,2024-01-02\n", encoding="utf-8"
    )
    refused = run("import", "table", str(deliveries), "--skip-bad", "--db", seeded_sqlite_url)
    assert refused.returncode == 1
    assert refused.stderr.endswith(
        "deliveries.csv: 1 rows read, 0 applied, 0 already there, 1 rejected\n"
        "error: nothing applied: no row is good (1 bad rows, see above)\n"
    ), refused.stderr
    assert (tmp_path / "deliveries.rejects.csv").read_text(encoding="utf-8").count("\n") == 2


def test_help_shows_every_default_and_reflows_each_summary() -> None:
    # Rich reads "[…]" in a help text as markup and drops it: "Port [default: SHIELDWALL_PORT]"
    # was shown as "Port". A default that is not a value is given as ``show_default`` instead.
    # typer builds its commands with a click of its own (typer._click): read them by shape.
    def options(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        for param in command.params:
            yield " ".join(("shieldwall", *path, param.name)), param
        for name, sub in getattr(command, "commands", {}).items():
            yield from options(sub, (*path, name))

    seen = dict(options(typer.main.get_command(app), ()))
    assert "shieldwall import kiel partner" in seen and len(seen) > 100
    for where, param in seen.items():
        assert "[" not in (param.help or ""), f"{where}: {param.help!r}"
    shown = run("serve", "--help").stdout
    assert "[default: (SHIELDWALL_PORT)]" in shown
    assert "[default: (SHIELDWALL_DATABASE_URL)]" in shown
    assert "[default: (the one seated)]" in run("import", "kiel", "--help").stdout
    # A command's summary in its group's list is its docstring's first paragraph reflowed,
    # not broken where the source's lines break.
    listed = run("import", "--help").stdout
    assert "data explorer (release_info.csv and data_explorer.csv): each donor's" in listed


def test_a_rejects_file_that_cannot_be_written_is_refused_before_anything_is_applied(
    seeded_sqlite_url: str, tmp_path: Path
) -> None:
    """``--skip-bad --rejects FOLDER`` applied the good rows, then printed the OSError's stack
    trace: the rows left out were listed nowhere. Now checked first, and nothing is applied."""
    offers = tmp_path / "offers.csv"
    offers.write_text(
        "key,member,partner,kind,item,quantity,offered_on\n"
        "O-1,DEU,UKR,arm,155mm-round,10,2024-03-05\n"
        "O-2,DEU,UKR,arm,155mm-round,ten,2024-03-05\n",
        encoding="utf-8",
    )
    folder = tmp_path / "a-folder"
    folder.mkdir()
    missing = tmp_path / "no-such-folder" / "rejects.csv"
    for command, rejects, why in (
        ("table", folder, "it is a folder"),
        ("table", missing, f"no such folder {missing.parent}"),
        ("fts", folder, "it is a folder"),
    ):
        refused = run(
            "import", command, str(offers), "--skip-bad", "--rejects", str(rejects),
            "--db", seeded_sqlite_url,
        )  # fmt: skip
        assert (refused.returncode, refused.stderr) == (
            1,
            f"error: {rejects}: cannot write there ({why})\n",
        ), command
    applied = run("import", "table", str(offers), "--skip-bad", "--db", seeded_sqlite_url)
    assert "offers.csv: 2 rows read, 1 applied, 0 already there, 1 rejected" in applied.stderr
    # --rejects without --skip-bad lists the bad rows too (the README's words).
    run("import", "table", str(offers), "--rejects", str(tmp_path / "r.csv"),
        "--db", seeded_sqlite_url)  # fmt: skip
    assert "O-2" in (tmp_path / "r.csv").read_text(encoding="utf-8")
