"""Consolidated ledger summary: the app's own query path against a hand-written GROUP BY.

Builds ledgers of 100k and 1M entries (32 members, 500 catalogue items, 4 years of months) on
SQLite and on a throwaway PostgreSQL cluster, then times, for each, the summary grouped by
member × kind through ``queries.ledger_summary`` (the path the API, CLI, pages and exports
use) and through one hand-written SQL ``GROUP BY`` over the same table (the floor).
Prints the median of several runs and the ratio measured in the same run.

Also times one member's view (releasability filtered in the query) against a hand-written
equivalent. Targets (whole ledger): ratio ≤ 1.5; ≤ 1 s at 1M entries on SQLite.

    .venv/bin/python benchmarks/ledger_summary.py [--sizes 100000,1000000] [--repeat 5]
        [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import AREAS, ITEMS, KINDS, MEMBERS, reference_rows
from sqlalchemy import Engine, create_engine, insert, text

import shieldwall.assistance.queries as queries
from shieldwall.access.model import Actor, Role
from shieldwall.assistance.tables import (
    Offer,
)
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.db import make_engine, make_session_factory, migrate

MONTHS = [f"{y}-{m:02d}" for y in range(2022, 2026) for m in range(1, 13)]
ENTRIES_PER_OFFER = 8
MEASURES = ["offered", "committed", "delivered"]
RELEASABILITY = ["partner", "members", "public"]
# The secretariat reads the whole ledger; a member reads its own offers and those released to
# members or wider (no request is addressed in this ledger).
SECRETARIAT = Actor("bench-sec", "SEC", 999, DelegationKind.SECRETARIAT, Role.CHAIR)
MEMBER = Actor("bench-m00", "M00", 2, DelegationKind.MEMBER, Role.OFFICER)

FLOOR_SQL = """
SELECT member_id, kind,
       SUM(CASE WHEN measure = 'offered' THEN value_cents ELSE 0 END),
       SUM(CASE WHEN measure = 'committed' THEN value_cents ELSE 0 END),
       SUM(CASE WHEN measure = 'delivered' THEN value_cents ELSE 0 END),
       SUM(CASE WHEN measure = 'offered' THEN quantity ELSE 0 END),
       SUM(CASE WHEN measure = 'committed' THEN quantity ELSE 0 END),
       SUM(CASE WHEN measure = 'delivered' THEN quantity ELSE 0 END)
FROM ledger_entry
GROUP BY member_id, kind
"""
MEMBER_FLOOR_SQL = FLOOR_SQL.replace(
    "FROM ledger_entry\n",
    "FROM ledger_entry\nWHERE offer_id IN (SELECT id FROM offer WHERE member_id = 2 "
    "OR releasability IN ('members', 'council', 'public'))\n",
)


def offer_rows(count: int, rng: random.Random) -> list[dict[str, Any]]:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for o in range(count):
        item = rng.randrange(ITEMS)
        rows.append(
            {
                "id": o + 1,
                "member_id": rng.randrange(MEMBERS) + 2,
                "partner_id": 1,
                "request_id": None,
                "kind": rng.choice(KINDS),
                "area_id": item % AREAS + 1,
                "item_id": item + 1,
                "description": "",
                "quantity": 100,
                "value_cents": 10_000_00,
                "conditions": "",
                "state": "committed",
                "offered_at": now,
                "source": "benchmark",
                "illustrative": True,
                # Most offers are for the partner's eyes; some are released more widely.
                "releasability": rng.choices(RELEASABILITY, weights=(70, 20, 10))[0],
            }
        )
    return rows


def entry_rows(
    offers: list[dict[str, Any]], total: int, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    recorded = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n in range(total):
        offer = offers[n // ENTRIES_PER_OFFER]
        month = rng.choice(MONTHS)
        day = dt.date(int(month[:4]), int(month[5:]), 15)
        yield (
            n + 1,
            "offered",
            rng.choice(MEASURES),
            offer["id"],
            None,
            None,
            offer["member_id"],
            1,
            offer["kind"],
            offer["area_id"],
            offer["item_id"],
            rng.randint(1, 50),
            rng.randint(1, 10_000_000),
            day,
            month,
            recorded,
            None,
            None,
        )


COLUMNS = [
    "id",
    "entry_type",
    "measure",
    "offer_id",
    "delivery_id",
    "request_id",
    "member_id",
    "partner_id",
    "kind",
    "area_id",
    "item_id",
    "quantity",
    "value_cents",
    "occurred_on",
    "month",
    "recorded_at",
    "reason",
    "corrects_entry_id",
]


def build(url: str, total: int) -> Engine:
    migrate(url)
    engine = make_engine(url)
    reference_rows(engine)
    rng = random.Random(total)
    offers = offer_rows(-(-total // ENTRIES_PER_OFFER), rng)
    with engine.begin() as conn:
        conn.execute(insert(Offer), offers)
    rows = entry_rows(offers, total, rng)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            copy_sql = f"COPY ledger_entry ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO ledger_entry ({', '.join(COLUMNS)}) VALUES ({placeholders})"
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                r = list(row)
                r[13] = r[13].isoformat()
                r[15] = r[15].strftime("%Y-%m-%d %H:%M:%S.%f")
                batch.append(tuple(r))
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return engine


def median_seconds(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm the page cache and the statement caches alike for both paths
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(label: str, url: str, total: int, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    engine = build(url, total)
    built = time.perf_counter() - t0
    factory = make_session_factory(engine)

    def app_path(reader: Actor) -> Callable[[], list[dict[str, Any]]]:
        def run() -> list[dict[str, Any]]:
            with factory() as s:
                return queries.ledger_summary(s, reader, ["member", "kind"])

        return run

    def floor(sql: str) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            with engine.connect() as conn:
                return list(conn.execute(text(sql)).all())

        return run

    out = {"database": label, "entries": total, "build_s": built}
    for view, reader, sql in (
        ("all", SECRETARIAT, FLOOR_SQL),
        ("member", MEMBER, MEMBER_FLOOR_SQL),
    ):
        app_s, app_rows = median_seconds(app_path(reader), repeat)
        floor_s, floor_rows = median_seconds(floor(sql), repeat)
        assert len(app_rows) == len(floor_rows), f"the two paths disagree ({view})"
        assert sum(r["offered_quantity"] for r in app_rows) == sum(r[5] for r in floor_rows)
        out[f"{view}_app_s"] = app_s
        out[f"{view}_floor_s"] = floor_s
        out[f"{view}_ratio"] = app_s / floor_s
    engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="shieldwall-bench-") as tmp:
        for total in sizes:
            results.append(
                measure("sqlite", f"sqlite:///{tmp}/ledger-{total}.db", total, args.repeat)
            )
            print_row(results[-1])
        if not args.no_postgres:
            from tests.pgcluster import Cluster

            cluster = Cluster().start()
            try:
                admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
                for total in sizes:
                    name = f"bench_{total}"
                    with admin.connect() as conn:
                        conn.execute(text(f"CREATE DATABASE {name}"))
                    results.append(measure("postgresql", cluster.url(name), total, args.repeat))
                    print_row(results[-1])
                admin.dispose()
            finally:
                cluster.stop()
    failures = [r for r in results if r["all_ratio"] > 1.5] + [
        r
        for r in results
        if r["database"] == "sqlite" and r["entries"] >= 1_000_000 and r["all_app_s"] > 1.0
    ]
    print("targets:", "met" if not failures else f"MISSED for {len(failures)} run(s)")
    return 1 if failures else 0


def print_row(r: dict[str, Any]) -> None:
    for view, label in (("all", "whole ledger"), ("member", "one member's view")):
        print(
            f"{r['database']:<10} {r['entries']:>9,} entries  {label:<17}  "
            f"app {r[f'{view}_app_s'] * 1000:8.1f} ms  "
            f"floor {r[f'{view}_floor_s'] * 1000:8.1f} ms  ratio {r[f'{view}_ratio']:.2f}"
            + (f"  (built in {r['build_s']:.1f} s)" if view == "all" else ""),
            flush=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
