"""``shieldwall envelope``, run as a user runs it (``tests.cli.run``) on a seeded SQLite database.
Reads see everything unless ``--as`` names a user; changes act as the user named by ``--as``.

The scene is tests/test_envelope.py's, built on 2 April 2024: a Patriot battery package at
40% on that day, limited by its interceptors (24 of 60 in the last 3 months). The command
line runs on the real clock, long after 2024: "today" the interceptors of March 2024 are out
of the window, so readiness today is 0%."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from shieldwall.envelope.service import ComponentIn
from shieldwall.kit.clock import FixedClock
from tests.cli import run
from tests.conftest import NOW, actor
from tests.platform import open_test_platform
from tests.test_envelope import PACKAGE, add_items, committed, delivered


@pytest.fixture
def scene_db(seeded_sqlite_url: str) -> dict[str, Any]:
    ctx = open_test_platform(seeded_sqlite_url, FixedClock(NOW))
    add_items(ctx)
    ctx.envelope.define_package(
        actor(ctx, "ukr"),
        code=PACKAGE["code"],
        name=PACKAGE["name"],
        area=PACKAGE["area"],
        units_needed=2,
        sustain_window_months=3,
        components=[ComponentIn(**c) for c in PACKAGE["components"]],
    )
    systems = committed(ctx, "DEU", "patriot", 2)
    delivered(ctx, "DEU", systems, 2, dt.date(2024, 1, 10))
    crews = committed(ctx, "DEU", "ad-crew", 6)
    delivered(ctx, "DEU", crews, 3, dt.date(2024, 2, 1))
    interceptors = committed(ctx, "USA", "pac-3", 60, to="partner")
    delivered(ctx, "USA", interceptors, 24, dt.date(2024, 3, 1))
    ctx.engine.dispose()
    return {"db": ("--db", seeded_sqlite_url), "crews": crews}


def _json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_readiness_from_the_command_line(scene_db: dict[str, Any]) -> None:
    db = scene_db["db"]
    view = _json("envelope", "--as-of", "2024-04-02", *db)
    [package] = view["packages"]
    assert (package["readiness"], package["units_ready"]) == (0.4, 0)
    assert package["limiting"]["words"] == (
        "limited by munitions (PAC-3 MSE interceptor): 24 of 60 missiles in the last 3 months"
    )
    # France may not see the interceptors: for it, none delivered.
    france = run("envelope", "--as-of", "2024-04-02", "--as", "fra", "--format", "csv", *db)
    assert france.returncode == 0, france.stderr
    assert france.stdout.splitlines() == [
        "id,area,package,readiness,units_ready,limited_by",
        "1,air-defence,patriot-battery,0%,0 of 2,limited by munitions (PAC-3 MSE interceptor): "
        "0 of 60 missiles in the last 3 months",
    ]
    table = run("envelope", "--as-of", "2024-04-02", *db)
    assert table.returncode == 0, table.stderr
    assert "Readiness on 2024-04-02" in table.stdout and "Air defence" in table.stdout
    assert "40%" in table.stdout
    bad = run("envelope", "--as-of", "tomorrow", *db)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: --as-of: give a date as YYYY-MM-DD"


def test_packages_and_one_package(scene_db: dict[str, Any]) -> None:
    db = scene_db["db"]
    [listed] = _json("envelope", "packages", *db)
    # Today (long after March 2024) no interceptor is in the 3-month window.
    assert (listed["code"], listed["readiness"]) == ("patriot-battery", 0.0)
    one = _json("envelope", "package", "patriot-battery", *db)
    assert [(c["item"], c["covered"], c["need"]) for c in one["components"]] == [
        ("pac-3", 0, 60),
        ("ad-crew", 3, 6),
        ("patriot", 2, 2),
    ]
    unknown = run("envelope", "package", "nothing", *db)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: no capability package 'nothing'"


def test_plan_and_slip_from_the_command_line(scene_db: dict[str, Any]) -> None:
    db, crews = scene_db["db"], str(scene_db["crews"])
    planned = run(
        "envelope", "plan", crews, "--as", "deu", "--quantity", "3", "--on", "2199-01-31", *db
    )
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.strip() == f"Tranche 1 planned: 3 of offer {crews} on 2199-01-31"
    refused = run(
        "envelope", "plan", crews, "--as", "usa", "--quantity", "1", "--on", "2199-01-05", *db
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: USA may not plan an offer's deliveries")
    more = run(
        "envelope", "plan", crews, "--as", "deu", "--quantity", "1", "--on", "2199-01-05", *db
    )
    assert more.returncode == 1
    assert more.stderr.strip() == (
        f"error: offer {crews}: the tranches would plan 4 still to come, but only 3 remain to "
        "be delivered (committed 6, delivered 3)"
    )
    slipped = run("envelope", "slip", "1", "--as", "deu", "--months", "1", "--reason", "late", *db)
    assert slipped.returncode == 0, slipped.stderr
    assert slipped.stdout.strip() == "Tranche 1 now expected on 2199-02-28"
    moved = run("envelope", "slip", "1", "--as", "sec", "--to", "2199-06-01", "--reason", "r", *db)
    assert moved.stdout.strip() == "Tranche 1 now expected on 2199-06-01"
    neither = run("envelope", "slip", "1", "--as", "deu", "--reason", "r", *db)
    assert (neither.returncode, neither.stderr.strip()) == (
        1,
        "error: give either --months or --to",
    )
    no_reason = run("envelope", "slip", "1", "--as", "deu", "--months", "1", "--reason", " ", *db)
    assert no_reason.stderr.strip() == "error: reason: a reason is required"
    nowhere = run("envelope", "slip", "9", "--as", "deu", "--months", "1", "--reason", "r", *db)
    assert nowhere.stderr.strip() == "error: planned delivery 9 does not exist"
