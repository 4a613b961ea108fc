"""CSV import of offers and deliveries: rows per second and peak memory, 100k vs 1M rows.

Generates (seeded) two CSV files in a temporary directory — half the rows offers (accepted and
committed, each of 1 to 500 units of one of 500 catalogue items, by one of 32 members), half
deliveries (one per offer, confirmed, of part of what was committed) — and imports each, offers
then deliveries, into a fresh SQLite database (and a throwaway PostgreSQL cluster unless
``--no-postgres``) through the path ``shieldwall import table`` takes (``importers.tables`` →
``assistance.table_imports``: every row checked, one transaction per file). Each import runs in
a child process of its own, so its peak memory (``ru_maxrss`` from ``os.wait4``) is its own.

Targets (issue 11): ≥ 50,000 rows/s on SQLite; peak memory flat as the file grows.

    .venv/bin/python benchmarks/import.py [--sizes 100000,1000000] [--no-postgres] [--floor]

``--floor`` then inserts the rows each SQLite import wrote again, into a fresh database, by
bare ``executemany`` calls alone (``floor``): what SQLite's inserts cost with no Python work
around them, the bound no change to the importer can go under; and times reading the files,
then reading and parsing them (``reading``).

Measured on this shared 2-core machine (load average 4–7 from other work while it ran), with
the CPU time of the importing process beside the wall-clock time
(``benchmarks/import.py --sizes 100000,1000000 --no-postgres --floor``, 4 min 49 s):

    sqlite  offers      50,000 rows    5.5 s  9,096 rows/s  (CPU  4.3 s: 11,582 rows/s)  122 MiB
    sqlite  deliveries  50,000 rows    8.1 s  6,150 rows/s  (CPU  3.5 s: 14,132 rows/s)  120 MiB
    sqlite  offers     500,000 rows  103.4 s  4,838 rows/s  (CPU 48.2 s: 10,376 rows/s)  122 MiB
    sqlite  deliveries 500,000 rows   75.6 s  6,614 rows/s  (CPU 35.5 s: 14,079 rows/s)  121 MiB
    sqlite  both     1,000,000 rows  179.0 s  5,588 rows/s                               122 MiB
    floor   offer rows     foreign keys ON   500,000 rows  CPU 11.65 s: 23.3 µs/row, 42,915 rows/s
    floor   delivery rows  foreign keys ON   500,000 rows  CPU  6.93 s: 13.9 µs/row, 72,136 rows/s
    floor   offer rows     foreign keys OFF  500,000 rows  CPU 10.59 s: 21.2 µs/row, 47,197 rows/s
    floor   delivery rows  foreign keys OFF  500,000 rows  CPU  5.67 s: 11.3 µs/row, 88,154 rows/s
    (at 100k: offer rows 21.6 µs, delivery rows 12.7 µs with foreign keys on)

Before this round (same machine, 1M rows): 9,268 offer and 8,104 delivery rows per CPU-second;
now 10,376 and 14,079 (+12% and +74%; at 100k +15% and +39%). PostgreSQL, 100k
(``--sizes 100000 --floor``, 1 min 54 s; its 1M run not made, for time):

    postgresql offers      50,000 rows  24.8 s  2,016 rows/s  (CPU 4.7 s: 10,696 rows/s)  130 MiB
    postgresql deliveries  50,000 rows  15.4 s  3,254 rows/s  (CPU 4.3 s: 11,731 rows/s)  127 MiB

Peak memory is flat: 122 MiB at 100k and at 1M rows (batches of 5,000, nothing kept per row
but the bad rows).

**The 50,000 rows/s target is out of reach, and SQLite's inserts alone show why.** 50,000
rows/s is 20 µs per row. Inserting the very rows the import wrote, with nothing else, takes
23.3 µs per offer row (an offer and its two ledger entries: three rows, seven indexes, eight
foreign-key lookups) and 13.9 µs per delivery row (a delivery and its entry) at 1M: 18.6 µs
per row of the half-and-half file, at most ~54,000 rows/s with no Python at all. Reading the
same CSV files with ``importers.common.csv_rows`` (the csv module, UTF-8 checked per line)
takes 2.9 and 2.3 µs per row more, and parsing each field with the platform's parsers
(``importers.tables.check_offer``/``check_delivery``) brings reading and parsing to 16.1 and
7.7 µs: reading, parsing and inserting alone already take 30.5 µs per row (~33,000 rows/s)
before a single rule is checked. Foreign keys cost 2.1–2.6 µs per row; without them reading,
parsing and inserting still take 28.2 µs per row, so they stay on. Meeting the target would
take another storage design (fewer indexes on the ledger, entries not written per step) or a
compiled reader and checker — not a faster importer.

What was measured, one change at a time (CPU time, 100k rows, compared in the same minutes):

- Python's cycle collector took a quarter of an import's CPU: a batch keeps tens of thousands
  of objects alive, and at the default threshold (700) they were walked over and over. With
  the collector off: offers 107–127 → 81–92 µs/row, deliveries 108–117 → 69–85. The import now
  raises the threshold to 50,000 while it runs (``fewer_collections``): offers ~76, deliveries
  ~65–73 µs/row; memory unchanged (122 MiB at 1M rows with and without it).
- ``model.pro_rata_cents`` in whole numbers instead of Decimal (the same half-even rule, exact
  at the maxima): 8.3 → 1.3 µs a call, two calls per committed offer and confirmed delivery.
- Deliveries read their offers' balances without an enum call and a new empty balance per
  offer: the batch's preparation 25 → 17 µs/row.
- A day's stored midnight computed once per import; rows to tuples by ``itemgetter``.
- ``PRAGMA cache_size=-262144`` (256 MiB): bare inserts of 50,000 offer rows 24.2 → 24.8 µs
  (no gain); of 500,000, 30.3–31.8 → 27.7 µs (−10%, 3 µs/row). Not adopted: the cache grows
  with the B-trees, so peak memory would no longer be flat (a Must show), for 3 µs of ~100.
  ``temp_store=MEMORY`` besides the larger cache: 23.7 µs at 50,000, no gain.

Where an offer row's time goes now (CPU timers around each step, 100k, under load): inserts
29 µs, checking (``model``'s rules, the lookups) 22, reading and parsing 15, building rows 11,
the rest 14 (CSV lines, batching, the commit). A delivery row: reading its offers and balances
17 µs (the three queries themselves ~8), inserts 15, checking 11, building 7, parsing 7.
Spread thin: no single step left is worth more than a few µs per row.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import ITEMS, KINDS, MEMBERS
from reference import reference_rows as seed_reference
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shieldwall.kit.db import make_engine, migrate

START = dt.date(2023, 1, 1)


def reference_rows(url: str) -> None:
    """The council and catalogue the rows name (``reference.reference_rows``)."""
    engine = make_engine(url)
    seed_reference(engine)
    engine.dispose()


def generate(directory: Path, total: int) -> tuple[Path, Path]:
    """``total`` rows: ``total // 2`` offers, and as many deliveries (one per offer)."""
    rng = random.Random(total)
    offers_path = directory / f"offers-{total}.csv"
    deliveries_path = directory / f"deliveries-{total}.csv"
    n = total // 2
    with (
        offers_path.open("w", newline="", encoding="utf-8") as o_file,
        deliveries_path.open("w", newline="", encoding="utf-8") as d_file,
    ):
        offers = csv.writer(o_file)
        deliveries = csv.writer(d_file)
        offers.writerow(
            ["key", "member", "kind", "item", "quantity", "value_eur", "description",
             "offered_on", "accepted_on", "committed_quantity", "committed_on"]
        )  # fmt: skip
        deliveries.writerow(["key", "offer_key", "quantity", "delivered_on", "confirmed_on"])
        for i in range(n):
            quantity = rng.randint(1, 500)
            committed = rng.randint(1, quantity)
            day = START + dt.timedelta(days=rng.randrange(900))
            offers.writerow(
                [f"O{i}", f"M{rng.randrange(MEMBERS):02d}", rng.choice(KINDS),
                 f"item-{rng.randrange(ITEMS)}", quantity, f"{rng.randint(1, 10**9)}.{i % 100:02d}",
                 "generated", day, day + dt.timedelta(days=3), committed,
                 day + dt.timedelta(days=10)]
            )  # fmt: skip
            deliveries.writerow(
                [f"D{i}", f"O{i}", rng.randint(1, committed), day + dt.timedelta(days=30),
                 day + dt.timedelta(days=32)]
            )  # fmt: skip
    return offers_path, deliveries_path


def child(url: str, path: str, profile: bool) -> None:
    """One import, as ``shieldwall import table`` runs it; prints its figures as JSON."""
    from shieldwall.assistance.table_imports import import_table
    from shieldwall.cli_common import OPERATOR
    from shieldwall.context import open_platform
    from shieldwall.importers.common import sha256_of
    from shieldwall.importers.tables import sheets

    file = Path(path)
    platform = open_platform(url)
    start, cpu = time.perf_counter(), time.process_time()

    def run() -> Any:
        with platform.unit_of_work() as uow:
            return import_table(
                uow, OPERATOR, lambda: sheets(file), file_name=file.name, sha256=sha256_of(file)
            )

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        outcome = profiler.runcall(run)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        outcome = run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert outcome.ok and outcome.applied == outcome.rows_read, outcome.rejected[:3]
    print(json.dumps({"rows": outcome.rows_read, "seconds": seconds, "cpu": cpu}))


def measure(url: str, path: Path, profile: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", url, str(path)]
    args += ["--profile"] if profile else []
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"the import of {path.name} failed")
    figures: dict[str, Any] = json.loads(output)
    figures["peak_mib"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    figures["file"] = path.name
    figures["mib"] = path.stat().st_size / 2**20
    return figures


def floor(url: str, directory: Path, total: int) -> None:
    """What SQLite's own work costs, the bound no work in Python goes under: the rows the
    import wrote, read back and written again into a fresh database of the same schema by the
    same statements alone — per batch of 5,000 the rows (an offer with its entries, a delivery
    with its entry: ``executemany``) and their offers' balances (the upsert ``balances.record``
    runs, its sums computed outside the timer), then the file's roll-ups (``balances.roll_up``'s
    statements); the same pragmas, one transaction per file; only those calls are timed.
    Foreign keys on, as the product runs; then off, only to show what their checks cost."""
    from shieldwall.assistance.balances import _UPSERTS, Sums, roll_up_statements
    from shieldwall.assistance.tables import LedgerEntry

    columns = [c.name for c in LedgerEntry.__table__.c]
    balance_upsert = _UPSERTS["?"][1]
    source = sqlite3.connect(make_url(url).database or "")
    for foreign_keys in ("ON", "OFF"):
        fresh = f"sqlite:///{directory}/floor-{total}-{foreign_keys}.db"
        migrate(fresh)
        reference_rows(fresh)
        engine = make_engine(fresh)
        raw = engine.raw_connection()
        db = raw.driver_connection
        assert db is not None
        db.execute(f"PRAGMA foreign_keys={foreign_keys}")
        files = source.execute("SELECT * FROM imported_file").fetchall()
        db.executemany(_insert("imported_file", len(files[0])), files)
        for table in ("offer", "delivery"):
            rows_cpu = balances_cpu = 0.0
            n, file_id = 0, None
            (before,) = db.execute("SELECT coalesce(max(id), 0) FROM ledger_entry").fetchone()
            for batch, entries in _batches(source, table):
                sums = Sums.empty()
                for entry in entries:
                    sums.add_offer(dict(zip(columns, entry, strict=True)))
                file_id = entries[0][columns.index("imported_file_id")]
                offers = [(offer_id, *values) for offer_id, values in sorted(sums.offers.items())]
                start = time.process_time()
                if n == 0:
                    db.execute("BEGIN IMMEDIATE")
                db.executemany(_insert(table, len(batch[0])), batch)
                db.executemany(_insert("ledger_entry", len(entries[0])), entries)
                middle = time.process_time()
                db.executemany(balance_upsert, offers)
                rows_cpu += middle - start
                balances_cpu += time.process_time() - middle
                n += len(batch)
            e = LedgerEntry
            statements = [
                str(s.compile(engine, compile_kwargs={"literal_binds": True}))
                for s in roll_up_statements(
                    "sqlite", (e.id > before) & (e.imported_file_id == file_id)
                )
            ]
            start = time.process_time()
            for statement in statements:
                db.execute(statement)
            rolled = time.process_time() - start
            start = time.process_time()
            db.execute("COMMIT")
            rows_cpu += time.process_time() - start
            cpu = rows_cpu + balances_cpu + rolled
            print(
                f"{'floor':<10} {table + ' rows':<22} foreign keys {foreign_keys:<3} {n:>9,} rows  "
                f"CPU {cpu:6.2f} s: {cpu / n * 1e6:5.1f} µs/row, {n / cpu:>8,.0f} rows/s "
                f"(rows {rows_cpu / n * 1e6:4.1f}, balances {balances_cpu / n * 1e6:4.1f}, "
                f"roll-ups {rolled / n * 1e6:4.1f} µs/row)",
                flush=True,
            )
        raw.close()
        engine.dispose()
    source.close()


def reading(directory: Path, total: int) -> None:
    """What reading the files costs (``csv_rows``), then reading and parsing each field with
    the platform's parsers (``check_offer``, ``check_delivery``): no rule, no database."""
    from shieldwall.importers.tables import CHECKS, sheets

    for name in (f"offers-{total}.csv", f"deliveries-{total}.csv"):
        [sheet] = sheets(directory / name)
        start = time.process_time()
        n = sum(1 for _row in sheet.rows)
        read = time.process_time() - start
        [sheet] = sheets(directory / name)
        check = CHECKS[sheet.kind]
        start = time.process_time()
        for line, values in sheet.rows:
            check(line, values)
        parsed = time.process_time() - start
        print(f"{'reading':<10} {name:<22} {n:>27,} rows  read {read / n * 1e6:4.1f} µs/row, "
              f"read and parsed {parsed / n * 1e6:4.1f} µs/row", flush=True)  # fmt: skip


def _batches(source: sqlite3.Connection, table: str) -> Iterator[tuple[list[Any], list[Any]]]:
    """The table's rows in batches of 5,000, each with its ledger entries, streamed (entries
    are numbered in the order of the rows they belong to)."""
    link = 3 if table == "offer" else 4  # an entry's offer_id, its delivery_id
    which = "IS NULL" if table == "offer" else "IS NOT NULL"
    entries = source.execute(f"SELECT * FROM ledger_entry WHERE delivery_id {which} ORDER BY id")
    rows = source.execute(f"SELECT * FROM {table} ORDER BY id")
    pending = entries.fetchone()
    while batch := rows.fetchmany(5000):
        last, theirs = batch[-1][0], []
        while pending is not None and pending[link] <= last:
            theirs.append(pending)
            pending = entries.fetchone()
        yield batch, theirs


def _insert(table: str, width: int) -> str:
    return f"INSERT INTO {table} VALUES ({', '.join(['?'] * width)})"


def run_size(label: str, url: str, directory: Path, total: int, profile: bool) -> dict[str, Any]:
    migrate(url)
    reference_rows(url)
    offers, deliveries = generate(directory, total)
    runs = [measure(url, offers, profile), measure(url, deliveries, profile)]
    rows = sum(r["rows"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    for r in runs:
        print(
            f"{label:<10} {r['file']:<22} {r['mib']:6.1f} MiB  {r['rows']:>9,} rows  "
            f"{r['seconds']:7.1f} s  {r['rows'] / r['seconds']:>8,.0f} rows/s  "
            f"(CPU {r['cpu']:6.1f} s: {r['rows'] / r['cpu']:>8,.0f} rows/s)  "
            f"peak {r['peak_mib']:6.0f} MiB",
            flush=True,
        )
    peak = max(r["peak_mib"] for r in runs)
    print(f"{label:<10} {'both':<22} {total:>20,} rows  {seconds:7.1f} s  "
          f"{rows / seconds:>8,.0f} rows/s  peak {peak:6.0f} MiB", flush=True)  # fmt: skip
    return {"database": label, "rows": rows, "rate": rows / seconds, "peak_mib": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile each import")
    parser.add_argument(
        "--floor", action="store_true", help="then time SQLite's bare inserts of the same rows"
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.profile)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="shieldwall-import-bench-") as tmp:
        directory = Path(tmp)
        for total in sizes:
            url = f"sqlite:///{tmp}/import-{total}.db"
            results.append(run_size("sqlite", url, directory, total, args.profile))
        if not args.no_postgres:
            from tests.pgcluster import Cluster

            cluster = Cluster().start()
            try:
                admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
                for total in sizes:
                    name = f"import_{total}"
                    with admin.connect() as conn:
                        conn.execute(text(f"CREATE DATABASE {name}"))
                    url = cluster.url(name)
                    results.append(run_size("postgresql", url, directory, total, args.profile))
                admin.dispose()
            finally:
                cluster.stop()
        if args.floor:  # last: its reading would reach the peak of every child forked after it
            for total in sizes:
                floor(f"sqlite:///{tmp}/import-{total}.db", directory, total)
                reading(directory, total)
    sqlite = [r for r in results if r["database"] == "sqlite"]
    slow = [r for r in sqlite if r["rate"] < 50_000]
    flat = max(r["peak_mib"] for r in sqlite) <= 1.5 * min(r["peak_mib"] for r in sqlite)
    verdict = "met" if not slow and flat else "MISSED"
    print(f"targets: {verdict} (≥ 50,000 rows/s on SQLite: {'no' if slow else 'yes'}; "
          f"peak memory flat: {'yes' if flat else 'no'})")  # fmt: skip
    return 0 if not slow and flat else 1


if __name__ == "__main__":
    raise SystemExit(main())
