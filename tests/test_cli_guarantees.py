"""``shieldwall guarantees``, run as a user runs it (``tests.cli.run``) on a seeded SQLite database.
Changes act as the user named by ``--as``, under that user's permissions; errors are one line
and the exit is not zero."""

from __future__ import annotations

import json
from typing import Any

from shieldwall.kit.clock import FixedClock
from tests.cli import run
from tests.conftest import NOW, actor
from tests.platform import open_test_platform


def _ok(*args: str) -> str:
    result = run("guarantees", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _refused(*args: str) -> str:
    result = run("guarantees", *args)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no stack trace
    return lines[0]


def _json(*args: str) -> Any:
    return json.loads(_ok(*args, "--format", "json"))


def test_an_instrument_from_the_command_line(seeded_sqlite_url: str) -> None:
    ctx = open_test_platform(seeded_sqlite_url, FixedClock(NOW))
    deu = actor(ctx, "deu")
    offer = ctx.assistance.make_offer(
        deu, member="DEU", kind="arm", quantity=10, item="155mm-round"
    )
    ctx.assistance.accept(actor(ctx, "ukr"), offer)
    ctx.assistance.commit(deu, offer)
    ctx.engine.dispose()
    db = ("--db", seeded_sqlite_url)
    assert (
        _ok(
            "rate",
            "--as",
            "sec",
            "--currency",
            "gbp",
            "--on",
            "2024-01-12",
            "--units-per-eur",
            "0.86",
            "--source",
            "ECB",
            *db,
        )
        == "GBP on 2024-01-12: 0.86 to the euro"
    )
    assert (
        _ok(
            "create",
            "--as",
            "deu",
            "--member",
            "DEU",
            "--title",
            "Agreement on security cooperation",
            "--signed-on",
            "2024-02-16",
            "--place",
            "Berlin",
            "--duration-years",
            "10",
            "--notice-months",
            "6",
            *db,
        )
        == "Instrument 1 recorded"
    )
    assert (
        _ok(
            "amount",
            "1",
            "--as",
            "deu",
            "--year",
            "2024",
            "--category",
            "air defence",
            "--amount",
            "7,000,000",
            "--currency",
            "GBP",
            "--rate-on",
            "2024-01-12",
            *db,
        )
        == "Instrument 1: 2024 air defence set"
    )
    assert (
        _ok(
            "obligation",
            "1",
            "--as",
            "deu",
            "--trigger",
            "armed attack",
            "--action",
            "consult",
            "--within-hours",
            "24",
            *db,
        )
        == "Obligation 1 added to instrument 1"
    )
    assert _ok("link", str(offer), "--as", "deu", "--instrument", "1", *db) == (
        f"Offer {offer} fulfils instrument 1, toward the year of each entry"
    )
    [listed] = _json("instruments", *db)
    assert (listed["id"], listed["member"], listed["ends_on"]) == (1, "DEU", "2034-02-16")
    shown = _ok("show", "1", *db)
    # £7m at 0.86 GBP to the euro: €8,139,534.88; 10 rounds at €3,500 committed.
    assert "Fulfilment per year" in shown and "€8,139,534.88" in shown and "€35,000.00" in shown
    assert f"linked offers: {offer} (by entry)" in shown
    [rate] = _json("rates", *db)
    assert (rate["currency"], rate["units_per_eur"], rate["source"]) == ("GBP", 0.86, "ECB")
    [burden] = _json("burden", "--year", "2024", *db)
    assert (burden["member"], burden["committed_eur"], burden["promised_eur"]) == (
        "DEU",
        35_000.0,
        8_139_534.88,
    )
    assert "column gdp" in _ok("burden", *db)
    assert _ok("notice", "1", "--as", "ukr", "--given-on", "2024-03-31", *db) == (
        "Notice given on instrument 1; it ends on 2024-09-30"
    )
    assert _ok("link", str(offer), "--as", "sec", "--unlink", *db) == f"Offer {offer} unlinked"


def test_errors_are_one_line_and_exit_non_zero(seeded_sqlite_url: str) -> None:
    db = ("--db", seeded_sqlite_url)
    _ok(
        "create", "--as", "deu", "--member", "DEU", "--title", "A", "--signed-on", "2024-02-16", *db
    )
    assert _refused(
        "amount", "1", "--as", "fra", "--year", "2024", "--category", "armour", "--amount", "5", *db
    ).startswith("error: FRA may not amend an instrument (instrument 1)")
    assert (
        _refused(
            "amount",
            "1",
            "--as",
            "deu",
            "--year",
            "2024",
            "--category",
            "armour",
            "--amount",
            "abc",
            *db,
        )
        == "error: --amount: 'abc' is not a number, like 2500000000"
    )
    assert (
        _refused(
            "amount",
            "1",
            "--as",
            "deu",
            "--year",
            "2024",
            "--category",
            "armour",
            "--amount",
            "5",
            "--currency",
            "USD",
            *db,
        )
        == "error: rate_on: give the date of the USD rate to convert at"
    )
    assert _refused(
        "create", "--as", "sec", "--member", "UKR", "--title", "A", "--signed-on", "2024-02-16", *db
    ) == (
        "error: member: UKR is a partner delegation: instruments are signed by members and "
        "contributors"
    )
    assert (
        _refused(
            "create",
            "--as",
            "deu",
            "--member",
            "DEU",
            "--title",
            "A",
            "--signed-on",
            "16/02/2024",
            *db,
        )
        == "error: --signed-on: give a date as YYYY-MM-DD"
    )
    assert _refused("link", "1", "--as", "deu", *db) == (
        "error: --instrument: name the instrument the offer fulfils (or give --unlink)"
    )
    assert _refused("show", "9", *db) == "error: instrument 9 does not exist"
    assert (
        _refused(
            "rate",
            "--as",
            "deu",
            "--currency",
            "USD",
            "--on",
            "2024-01-12",
            "--units-per-eur",
            "1.1",
            "--source",
            "x",
            *db,
        )
        == "error: DEU may not record an exchange rate: only the secretariat may"
    )
