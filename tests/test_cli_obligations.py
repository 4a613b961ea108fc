"""``shieldwall obligations``, run as a user runs it (``tests.cli.run``) on a seeded SQLite
database, on the system's clock. Changes act as the user named by ``--as``, under that user's
permissions; errors are one line and a non-zero exit."""

from __future__ import annotations

import datetime as dt
import json
import re

from shieldwall.kit.clock import FixedClock
from tests.cli import run
from tests.conftest import NOW
from tests.guarantees_fixtures import CONSULT_24H, instrument_with_obligation
from tests.platform import open_test_platform


def _json(*args: str) -> list[dict[str, object]]:
    result = run(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_declare_list_and_record_from_the_command_line(seeded_sqlite_url: str) -> None:
    ctx = open_test_platform(seeded_sqlite_url, FixedClock(NOW))
    try:
        # Germany: consult within 24 h; a report on each year within 30 days, since 2023.
        _instrument, [_consult, report] = instrument_with_obligation(
            ctx,
            "DEU",
            valid_from=dt.date(2023, 1, 1),
            clauses=[CONSULT_24H, ("year end", "report", 720)],
        )
        assert ctx.obligations.open_year_end(report, 2023)  # due 31 January 2024: item 1
    finally:
        ctx.engine.dispose()
    db = ("--db", seeded_sqlite_url)
    # The system's clock runs the command: the attack an hour ago, to the minute.
    attack = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    due = attack + dt.timedelta(hours=24)
    declared = run(
        "obligations", "declare", "--as", "ukr", "--kind", "armed attack",
        "--occurred-at", attack.isoformat(), "--description", "Strikes on Kyiv.", *db,
    )  # fmt: skip
    assert declared.returncode == 0, declared.stderr
    # The consultation is held by the duty's deadline (less the fraction of a second to it).
    found = re.fullmatch(
        r"Trigger 1 declared: 1 obligation opened; crisis consultation 1 convened, "
        r"to be held by (\d{4}-\d\d-\d\d \d\d:\d\d) UTC",
        declared.stdout.strip(),
    )
    assert found is not None, declared.stdout
    assert found.group(1) in {
        f"{due:%Y-%m-%d %H:%M}",
        f"{due - dt.timedelta(minutes=1):%Y-%m-%d %H:%M}",
    }
    member = run(
        "obligations", "declare", "--as", "deu", "--kind", "armed attack",
        "--occurred-at", attack.isoformat(), "--description", "x", *db,
    )  # fmt: skip
    assert member.returncode == 1
    assert member.stderr.strip().startswith("error: DEU may not declare a trigger event (for UKR)")
    bad = run(
        "obligations", "declare", "--as", "ukr", "--kind", "armed attack",
        "--occurred-at", "yesterday", "--description", "x", *db,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("error: --occurred-at: give an ISO 8601 date")
    kind = run(
        "obligations", "declare", "--as", "ukr", "--kind", "year end",
        "--occurred-at", attack.isoformat(), "--description", "x", *db,
    )  # fmt: skip
    assert kind.returncode == 1
    assert kind.stderr.strip() == (
        "error: kind: use one of armed attack, threat of attack "
        "(a year end is declared by the calendar)"
    )

    [trigger] = _json("obligations", "triggers", *db)
    assert (trigger["id"], trigger["kind"], trigger["partner"], trigger["open_items"]) == (
        1, "armed attack", "UKR", 1,
    )  # fmt: skip
    items = _json("obligations", "list", *db)
    assert [(i["id"], i["member"], i["state"], i["trigger_id"]) for i in items] == [
        (1, "DEU", "open", None),  # the report on 2023, its deadline long passed: first
        (2, "DEU", "open", 1),
    ]
    consult = run("obligations", "met", "2", "--as", "deu", "--evidence", "We were there.", *db)
    assert consult.returncode == 1
    assert consult.stderr.strip().startswith("error: obligation 2 is a duty to consult")
    viewer = run("obligations", "met", "1", "--as", "deu-viewer", "--evidence", "Sent.", *db)
    assert viewer.returncode == 1 and "read-only access" in viewer.stderr
    met = run("obligations", "met", "1", "--as", "deu", "--evidence", "Report of 20 Feb 2024", *db)
    assert met.returncode == 0, met.stderr
    assert met.stdout.strip() == "Obligation 1 recorded as met late"
    late = _json("obligations", "list", "--state", "met late", *db)
    assert [(i["id"], i["member"]) for i in late] == [(1, "DEU")]
