"""``shieldwall match``, run as a user runs it (``tests.cli.run``) on a seeded SQLite database.

The scene is tests/test_matching.py's, its answer worked out there by hand: UKR's 100 rounds
are covered by Germany's 60 and 40 of Poland's 50 (another make, tagged 155mm too); the
Patriot asked of the United States alone is left uncovered. The command line runs on the real
clock: the lines are declared available from 2099, so that they are never in its past, and the
requests need them by no date."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shieldwall.kit.clock import FixedClock
from tests.cli import run
from tests.conftest import NOW, actor
from tests.platform import open_test_platform
from tests.test_matching import add_round_b


@pytest.fixture
def scene_db(seeded_sqlite_url: str) -> tuple[str, str]:
    ctx = open_test_platform(seeded_sqlite_url, FixedClock(NOW))
    add_round_b(ctx)
    ukr = actor(ctx, "ukr")
    for item, quantity, priority, to in (
        ("155mm-round", 100, "critical", None),
        ("patriot", 1, "high", ["USA"]),
    ):
        ctx.assistance.file_request(
            ukr,
            partner="UKR",
            title=f"{quantity} {item}",
            area=None,
            item=item,
            quantity=quantity,
            value_cents=None,
            priority=priority,
            need_by=None,
            justification="the front",
            addressees=to,
        )
    ctx.engine.dispose()
    return ("--db", seeded_sqlite_url)


def _ok(*args: str) -> str:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_declare_run_send_and_confirm_from_the_command_line(scene_db: tuple[str, str]) -> None:
    db = scene_db
    assert _ok(
        "match", "declare", "DEU", "155mm-round", "60", "--from", "2099-01-01", "--as", "deu", *db
    ) == ("availability line 1 declared\n")
    _ok(
        "match", "declare", "POL", "155mm-round-b", "50", "--from", "2099-01-11", "--as", "pol", *db
    )
    _ok("match", "declare", "NOR", "patriot", "1", "--from", "2099-01-01", "--as", "nor", *db)
    summary = json.loads(_ok("match", "--format", "json", *db))
    assert {k: summary[k] for k in ("run", "outcome", "proposals", "uncovered")} == {
        "run": 1,
        "outcome": "matched",
        "proposals": 2,
        "uncovered": 1,
    }
    rows: list[dict[str, Any]] = json.loads(_ok("match", "proposals", "--format", "json", *db))
    assert [(r["member"], r["quantity"], r["state"]) for r in rows] == [
        ("DEU", 60, "proposed"),
        ("POL", 40, "proposed"),
    ]
    assert rows[1]["why"] == (
        "a compatible item (tag 155mm); by the need-by date; the request needed no more"
    )
    assert _ok("match", "send", "1", "--as", "sec", *db) == "2 proposals sent\n"
    mine = json.loads(_ok("match", "proposals", "--as", "deu", "--format", "json", *db))
    assert [r["id"] for r in mine] == [1]
    assert _ok("match", "confirm", "1", "--as", "deu", *db) == "proposal 1 confirmed: offer 1\n"
    assert _ok("match", "decline", "2", "--reason", "needed at home", "--as", "pol", *db) == (
        "proposal 2 declined\n"
    )


def test_the_command_line_says_what_is_wrong_in_one_line(scene_db: tuple[str, str]) -> None:
    db = scene_db
    empty = run("match", *db)
    assert empty.returncode == 0, empty.stderr
    assert "nothing to match: no open request in units, or no availability declared" in empty.stdout
    for args, message in (
        (
            ("DEU", "155mm-round", "0", "--from", "2099-01-01", "--as", "deu"),
            "quantity: give at least 1",
        ),
        (
            ("DEU", "155mm-round", "5", "--from", "soon", "--as", "deu"),
            "--from: give a date as YYYY-MM-DD",
        ),
        (("DEU", "155mm-round", "5", "--from", "2099-01-01", "--as", "usa"), "USA may not declare"),
    ):
        bad = run("match", "declare", *args, *db)
        assert bad.returncode == 1
        assert bad.stderr.startswith(f"error: {message}"), bad.stderr
        assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    refused = run("match", "--as", "deu", *db)
    assert refused.returncode == 1
    assert refused.stderr == "error: DEU may not run the clearing house: only the secretariat may\n"


def test_withdraw_a_line_from_the_command_line(scene_db: tuple[str, str]) -> None:
    db = scene_db
    _ok("match", "declare", "DEU", "155mm-round", "60", "--from", "2099-01-01", "--as", "deu", *db)
    _ok("match", "--format", "json", *db)
    assert _ok("match", "send", "1", "--as", "sec", *db) == "1 proposals sent\n"
    unseen = run("match", "withdraw", "1", "--as", "usa", *db)
    assert (unseen.returncode, unseen.stderr) == (
        1,
        "error: availability line 1 does not exist\n",
    )
    assert _ok("match", "withdraw", "1", "--reason", "needed at home", "--as", "deu", *db) == (
        "availability line 1 withdrawn; 1 pending proposals cancelled\n"
    )
    rows = json.loads(_ok("match", "proposals", "--format", "json", *db))
    assert [(r["member"], r["state"]) for r in rows] == [("DEU", "cancelled")]
    again = run("match", "withdraw", "1", "--as", "deu", *db)
    assert again.returncode == 1 and again.stderr.count("\n") == 1, again.stderr
