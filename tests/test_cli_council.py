"""``shieldwall council``, run as a user runs it (``tests.cli.run``) on a seeded SQLite database.
Changes act as the user named by ``--as``, under that user's permissions."""

from __future__ import annotations

import json

from tests.cli import run


def _json(*args: str) -> list[dict[str, object]]:
    result = run(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_a_crisis_consultation_from_the_command_line(seeded_sqlite_url: str) -> None:
    db = ("--db", seeded_sqlite_url)
    convened = run(
        "council",
        "convene",
        "--as",
        "ukr",
        "--title",
        "Black Sea",
        "--level",
        "ambassadors",
        "--crisis",
        "--reason",
        "port strikes",
        *db,
    )
    assert convened.returncode == 0, convened.stderr
    assert convened.stdout.strip() == "Meeting 1 convened"
    [meeting] = _json("council", "meetings", *db)
    assert (meeting["id"], meeting["state"], meeting["crisis"], meeting["convened_by"]) == (
        1,
        "requested",
        True,
        "UKR",
    )
    refused = run(
        "council", "convene", "--as", "deu-viewer", "--title", "x", "--level", "summit", *db
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: DEU may not convene the council")
    bad_at = run(
        "council", "schedule", "1", "--as", "sec", "--at", "next week", "--place", "Brussels", *db
    )
    assert bad_at.returncode == 1
    assert bad_at.stderr.strip().startswith("error: --at: give an ISO 8601 date or date-time")
    scheduled = run(
        "council",
        "schedule",
        "1",
        "--as",
        "sec",
        "--at",
        "2199-01-05T10:00Z",
        "--place",
        "NATO HQ",
        "--time-zone",
        "Europe/Brussels",
        *db,
    )
    assert scheduled.returncode == 0, scheduled.stderr
    held = run(
        "council",
        "hold",
        "1",
        "--as",
        "sec",
        "--attended",
        "UKR=Ambassador",
        "--attended",
        "DEU",
        *db,
    )
    assert held.stdout.strip() == "Meeting 1 held; 2 delegations attended"
    early = run("council", "close", "1", "--as", "sec", *db)
    assert early.returncode == 1
    assert "it lacks minutes" in early.stderr
    closed = run("council", "close", "1", "--as", "sec", "--minutes", "Allies condemned.", *db)
    assert closed.stdout.strip() == "Meeting 1 closed"
    [meeting] = _json("council", "meetings", *db)
    assert meeting["state"] == "closed"


def test_silence_broken_from_the_command_line(seeded_sqlite_url: str) -> None:
    db = ("--db", seeded_sqlite_url)
    tabled = run(
        "council", "table", "--as", "deu", "--title", "Statement", "--text", "Allies condemn.", *db
    )
    assert tabled.stdout.strip() == "Proposal 1 tabled"
    circulated = run(
        "council", "circulate", "1", "--as", "sec", "--deadline", "2199-01-01T12:00Z", *db
    )
    assert circulated.stdout.strip() == "Proposal 1 under silence until 2199-01-01T12:00:00+00:00"
    no_reason = run("council", "position", "1", "--as", "usa", "--stance", "object", *db)
    assert no_reason.returncode == 1
    assert no_reason.stderr.strip() == "error: reason: an objection needs a reason"
    objected = run(
        "council",
        "position",
        "1",
        "--as",
        "usa",
        "--stance",
        "object",
        "--reason",
        "premature",
        *db,
    )
    assert objected.returncode == 0, objected.stderr
    [proposal] = _json("council", "proposals", *db)
    assert (proposal["state"], proposal["state_reason"]) == (
        "in discussion",
        "USA broke silence: premature",
    )
    refused = run("council", "consensus", "1", "--as", "sec", *db)
    assert refused.stderr.strip() == "error: no consensus: USA object"
