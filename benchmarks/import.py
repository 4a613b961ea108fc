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

``--floor`` then writes the rows each SQLite import wrote again, into a fresh database, by the
same statements alone (``floor``): the rows, their offers' balances and the file's roll-ups —
all of SQLite's work, with no Python around it: the bound no change to the importer can go
under; and times reading the files, then reading and parsing them (``reading``).

Round 3 (no change to the import kept): the same command on the import's code of 687e51e
(main; this round changed none of it), 13 min 0 s from 19:54 UTC, load average 9.2 at its
start, 12.2 at its end (other engineers' work: the machine has 2 cores):

    sqlite  offers        50,000 rows  17.1 s  2,918 rows/s  (CPU  5.0 s:  9,982 rows/s)  99 MiB
    sqlite  deliveries    50,000 rows  14.6 s  3,415 rows/s  (CPU  3.8 s: 13,217 rows/s)  97 MiB
    sqlite  both         100,000 rows  31.8 s  3,147 rows/s                               99 MiB
    sqlite  offers       500,000 rows 169.3 s  2,954 rows/s  (CPU 51.4 s:  9,732 rows/s)  99 MiB
    sqlite  deliveries   500,000 rows 134.1 s  3,729 rows/s  (CPU 41.4 s: 12,082 rows/s)  97 MiB
    sqlite  both       1,000,000 rows 303.4 s  3,296 rows/s                               99 MiB
    floor   offer rows     foreign keys ON   500,000 rows  CPU 23.06 s: 46.1 µs/row, 21,682 rows/s
            (rows 28.7, balances 1.7, roll-ups 15.8 µs/row)
    floor   delivery rows  foreign keys ON   500,000 rows  CPU 15.40 s: 30.8 µs/row, 32,475 rows/s
            (rows 18.2, balances 1.8, roll-ups 10.8 µs/row)
    floor   offer rows     foreign keys OFF  500,000 rows  CPU 20.63 s: 41.3 µs/row
    floor   delivery rows  foreign keys OFF  500,000 rows  CPU 12.79 s: 25.6 µs/row
    reading offers     500,000 rows  read 2.6 µs/row, read and parsed 13.5 µs/row
    reading deliveries 500,000 rows  read 1.8 µs/row, read and parsed  6.5 µs/row
    (at 100k: floor 43.7 and 28.3 µs/row with foreign keys on; parsed 13.2 and 6.5)

Per CPU-second the import is where round 2 left it (offers 9,732 against 10,140, deliveries
12,082 against 12,798; the floor itself rose more, 41.6 → 46.1 and 26.8 → 30.8 µs: what a load
of 9–12 costs the caches). The wall clock halved against round 2 only
because the process had a third of a core (303 s for 93 s of CPU). Peak memory flat: 99 MiB at
100k and at 1M.

**What bounds the rate (1M, this run): 92.8 µs of CPU per row of the half-and-half file**
(offers 102.8, deliveries 82.8) = SQLite's own work 38.5 (offer rows 46.1: the offer and its
two entries 28.7, balance 1.7, roll-ups 15.8; delivery rows 30.8: 18.2, 1.8, 10.8) + reading and
parsing 10.0 + the rest of Python ~44 (the rules, the rows built, the batch's queries
assembled). 50,000 rows/s is 20 µs per row by the wall clock: SQLite's part alone is twice
that, so no importer on this schema reaches it, however fast its Python (at most ~26,000
rows/s here, ~29,000 in round 2's quieter minutes); with a whole second core hiding SQLite
behind Python, the bound would be the Python, ~54 µs (~18,500 rows/s). Getting under 20 µs
needs all of: the roll-ups not written per imported entry (this file's keys are unique per
entry at the finest grain, so ~one new roll-up row per entry whichever way it is summed —
below), fewer ledger indexes (which the entry list needs — below), and the per-row Python cut
from ~54 to under ~5 µs, which per-row CPython cannot do (building one row's dict of columns
costs 1–3 µs; an offer row runs ~13 rule checks and builds three rows).

What was measured in round 3 (CPU time, 100k rows, before and after in the same minutes,
load 5–12):

- **Roll-ups from memory (not adopted: slower).** The file's entries summed per roll-up key
  in Python (``balances.Sums.add``, the rule the service's writes use) and upserted once in
  key order (``balances._write``), against the rebuild's ``GROUP BY`` over the same entries
  (``roll_up``), each into an empty ``ledger_rollup`` from a copy of the imported database
  (Python's cycle collector off for the memory side): offers' 100,000 entries ``GROUP BY``
  7.99–8.44 µs per entry, from memory 14.8–21.5 (summing 5.1–9.2, upserting the rest);
  deliveries' 50,000 entries 10.2–11.5 against 21.1–32.4. This file gives 101,619 distinct
  keys for 100,000 entries (81,409 for the 50,000 delivery entries): nearly every entry is a
  new row at the finest grain (32 members × 4 kinds × 500 items × ~30 months), and writing a
  row through ``executemany`` (~9.6 µs a key) costs more than SQLite's whole ``GROUP BY`` does
  (its sort and its insert, in C). Kept in memory for a whole file the sums would also grow
  with it (about a key per entry: ~1.5 million at 1M rows, some 450 MB at ~300 bytes a key;
  estimated, not run), and flushed every N keys they would upsert the coarser grains again at
  each flush.
- **Fewer indexes (none dropped).** Secondary indexes written per imported row: on
  ``offer`` ``ix_offer_external_key`` (the import's key lookups), ``ix_offer_member_id`` (the
  offers list by member) and ``ix_offer_request_id`` (a request's offers); on ``delivery``
  ``ix_delivery_external_key`` and ``ix_delivery_offer_id`` (an offer's deliveries, the
  import's pending sums); on ``ledger_entry`` ``ix_ledger_entry_offer_id`` (an offer's
  entries, the balances, visibility), ``ix_ledger_entry_request_id`` (the entries of a
  request), ``ix_ledger_entry_member_kind`` and ``ix_ledger_entry_month``. The last two are
  the ones round 2 measured (floor 25.7 → 19.4 µs an offer row without them). Through the
  platform's own ``queries.list_entries`` and ``ledger_summary`` on the 100k run's database
  (150,000 entries), best of 5, with the indexes and without those two (SQLite's plans):
  entry list by member 10.0 ms (``SEARCH … USING COVERING INDEX ix_ledger_entry_member_kind``
  for its count, ``SEARCH … USING INDEX … / USE TEMP B-TREE FOR ORDER BY`` for its page) →
  38.1 ms (``SCAN ledger_entry``); by month 10.4 → 44.5 ms (likewise with
  ``ix_ledger_entry_month``); an offer's entries 2.3 → 2.9 ms (``ix_ledger_entry_offer_id``,
  unchanged); a summary by entry type and member 20.4 → 25.7 ms; by entry type over a year
  121.3 → 55.3 ms (half the ledger: the scan wins). The scans grow with the ledger (linearly:
  ~10× at 1.5M entries, extrapolated), so both stay; ``tests/test_rollups.py`` asserts the
  entry list's plans use them. No composite serves both (one filters by member, the other
  by month alone), and no index on the three tables is used by nothing, so no migration.
- **Entries as tuples (not adopted: no gain measurable).** ``TableImport.entry`` building each
  entry as a tuple in column order, inserted as is, instead of a dict turned into a tuple by
  ``itemgetter``: 2.8 → 1.1–1.5 µs an entry alone (``timeit``), but in the import, three runs
  alternated with main: offers 98.4, 102.1, 98.0 against 99.0, 98.4, 97.9 µs/row, deliveries
  75.9, 86.5, 75.1 against 80.7, 83.7, 79.8 (load 9–10); the cycle collector took more (3.2 →
  4.4 µs an offer row: likely as new tuples are tracked by it until it first visits them,
  where a dict of plain values never is).
- **Python's cycle collector** (``gc.callbacks`` timing each collection): 2.8–3.8 µs of an
  offer row, 5.5–6.5 of a delivery row; ``gc.freeze()`` before the import (the platform's
  objects out of its reach) changed neither (offers 99.8–102.6 against 96.1–103.9 µs/row).
- **Columnar checking (numpy, pyarrow's CSV reader): not attempted.** Reading and parsing is
  10.0 µs of the 92.8 and the rules ~17 µs of an offer row; even at zero cost for both, a
  row would take ~68 µs of CPU, SQLite's 38.5 included (above): the target needs the storage
  changed first. pyarrow is not a dependency, and would not be justified by these numbers.
- **A writer thread: not measured again.** The load average was 9–12 on 2 cores all round:
  there was no idle core for it to use (round 2 measured it slower under load 5).

Round 2's run, for comparison:

Round 2: measured on this shared 2-core machine, CPU time of the importing process beside
the wall
clock, the load average (``uptime``) beside each run; before and after in the same minutes
(``/usr/bin/time -v .venv/bin/python benchmarks/import.py --sizes 100000,1000000 --no-postgres
--floor`` at commit b2ab4e4, 6 min 8 s, 17:14–17:20 UTC, load average 4.8 at its start, 6.7 at
its end; the commits after it change only a delivery's preparation, by less than the noise):

    sqlite  offers        50,000 rows   6.8 s  7,306 rows/s  (CPU  4.6 s: 10,937 rows/s)  98 MiB
    sqlite  deliveries    50,000 rows   5.5 s  9,043 rows/s  (CPU  3.7 s: 13,625 rows/s)  96 MiB
    sqlite  both         100,000 rows  12.4 s  8,082 rows/s                               98 MiB
    sqlite  offers       500,000 rows  83.8 s  5,965 rows/s  (CPU 49.3 s: 10,140 rows/s)  99 MiB
    sqlite  deliveries   500,000 rows  66.0 s  7,581 rows/s  (CPU 39.1 s: 12,798 rows/s)  97 MiB
    sqlite  both       1,000,000 rows 149.8 s  6,676 rows/s                               99 MiB
    floor   offer rows     foreign keys ON   500,000 rows  CPU 20.78 s: 41.6 µs/row, 24,059 rows/s
            (rows 25.0, balances 1.6, roll-ups 14.9 µs/row)
    floor   delivery rows  foreign keys ON   500,000 rows  CPU 13.39 s: 26.8 µs/row, 37,339 rows/s
            (rows 15.2, balances 1.7, roll-ups  9.9 µs/row)
    floor   offer rows     foreign keys OFF  500,000 rows  CPU 19.70 s: 39.4 µs/row
    floor   delivery rows  foreign keys OFF  500,000 rows  CPU 12.49 s: 25.0 µs/row
    reading offers     500,000 rows  read 3.1 µs/row, read and parsed 12.9 µs/row
    reading deliveries 500,000 rows  read 1.9 µs/row, read and parsed  6.2 µs/row
    (at 100k the floor is 41.1 and 25.2 µs/row with foreign keys on)

The commit before this round (f62977a), just before (same command without ``--floor``,
PYTHONPATH on an export of that commit, 3 min 33 s from 17:10 UTC, load average 5.3):

    sqlite  offers        50,000 rows   8.9 s  5,643 rows/s  (CPU  5.6 s:  8,923 rows/s) 105 MiB
    sqlite  deliveries    50,000 rows   8.0 s  6,287 rows/s  (CPU  4.7 s: 10,691 rows/s) 103 MiB
    sqlite  offers       500,000 rows  92.7 s  5,395 rows/s  (CPU 62.5 s:  7,998 rows/s) 141 MiB
    sqlite  deliveries   500,000 rows  87.8 s  5,693 rows/s  (CPU 56.9 s:  8,782 rows/s) 161 MiB
    sqlite  both       1,000,000 rows 180.5 s  5,540 rows/s                              161 MiB

PostgreSQL, 100k (``--sizes 100000``; its 1M run not made, for time), before (f62977a, from
17:24 UTC, load average 4.9) and after (from 17:25, load average 5.6); CPU is the importing
process's only, not the server's:

    before  offers      50,000 rows  21.9 s  2,282 rows/s  (CPU 7.8 s:  6,430 rows/s)  115 MiB
    before  deliveries  50,000 rows  16.7 s  3,001 rows/s  (CPU 6.2 s:  8,038 rows/s)  113 MiB
    after   offers      50,000 rows  14.4 s  3,484 rows/s  (CPU 5.2 s:  9,557 rows/s)  103 MiB
    after   deliveries  50,000 rows   9.7 s  5,131 rows/s  (CPU 4.0 s: 12,647 rows/s)  101 MiB

So at 1M on SQLite: +27% offer and +46% delivery rows per CPU-second, +21% by the wall clock (both
under load), and peak memory flat again — 98 MiB at 100k, 99 MiB at 1M — where it had grown to
161 MiB: since the roll-ups the import kept a dict of every offer it wrote (offer id →
releasability, for ``balances.record``), half a million items at 1M; it is gone.

**The 50,000 rows/s target is out of reach on SQLite with this schema, and the floor shows
why.** 50,000 rows/s is 20 µs per row. SQLite's own work for the very rows the import wrote,
with no Python at all, is 41.6 µs per offer row (an offer and two ledger entries: three rows,
seven secondary indexes, eight foreign-key lookups — 25.0 µs; its balance 1.6; its share of the
file's roll-ups at three grains 14.9: the generated file's keys are nearly unique at the
item × month grain, 65,000 roll-up rows per 100,000 entries) and 26.8 µs per delivery row: 34.2
µs per row of the half-and-half file, at most ~29,000 rows/s before a single line is read.
Without foreign keys it is 32.2 µs (~31,000 rows/s), so they stay on. Reading and parsing the
files take 12.9 and 6.2 µs per row more: 43.8 µs per row (~22,900 rows/s) before any rule is
checked. The Python left per row (the import's CPU less the floor) is ~57 µs for an offer and
~51 for a delivery, spread over parsing, the rules, the rows built and the batch's queries.
Even with SQLite on a second core fully hidden behind Python (below: not measurable here) a
row would take ~55 µs, ~18,000 rows/s. Reaching 20 µs would need SQLite's part cut by more
than two (fewer indexes on the ledger, entries and roll-ups not written per row) *and* the
Python cut by three — another storage design or a compiled checker, not a faster importer.

What was measured in round 2, one change at a time (CPU time, 100k rows, compared in the same
minutes, load average 4.4–7):

- **The roll-ups once per file, in the database (kept).** ``balances.record`` upserted each
  batch's roll-up keys — ~2.5 upserts per offer row, the same keys again batch after batch —
  22–23 µs of an offer or delivery row (timers around each statement, in-process). The import
  now keeps only its offers' balances batch by batch (later rows are checked against them)
  and adds the file's entries to the roll-ups after its last batch, in the same transaction,
  by the rebuild's own ``GROUP BY`` restricted to them (``balances.roll_up``: one statement
  per grain, ``id > the largest before the import`` and ``imported_file_id``): the inserts
  and roll-ups of a row 59 → 49 µs (offers), 45 → 31 (deliveries); whole rows 113 → 99–102 and
  101 → 78–81 µs. Grouped in key order, SQLite sorts once per grain (EXPLAIN QUERY PLAN: "USE
  TEMP B-TREE FOR GROUP BY" alone, where an ORDER BY in key order had added "… FOR ORDER BY").
- **Parsed texts remembered (kept).** Days, codes and notes repeat row after row; each distinct
  text is parsed once (a bounded memo of what parsed, ``importers.tables._Parsed``; a refusal
  is parsed again, its words unchanged): ``check_offer`` 12.5 → 10.3 µs/row, ``check_delivery``
  5.0 → 4.7 (in-process, best of 3).
- ``balances.Sums.add`` (the service's and the Kiel/FTS imports' path) builds each entry's
  three keys once: 3.21 → 2.24 µs per entry.
- **A writer thread (not adopted).** ``executemany`` of 50,000 rows (a table of four indexes)
  on a thread while the main thread ran Python, load 5.4: sequential 0.77 s, overlapped 0.93 s
  (switch interval 5 ms); 1.07 → 1.14 s (0.5 ms); 1.11 → 1.43 s (50 µs). There was no free core,
  and sqlite3 gives the GIL back around each row's step only. One statement per batch through
  ``json_each`` (the GIL released for the whole batch): CPU 9.1 against ``executemany``'s 7.7
  µs/row (``json.dumps`` included), and overlapped 2.18 and 1.99 s against sequential 2.02 and
  2.12 s at load 5.3. No gain measurable on this machine as it is loaded; on a quiet one it
  could hide at most SQLite's part (above).
- ``ledger_rollup`` WITHOUT ROWID: an upsert of a new key 4.4/4.0 → 4.3/3.9 µs (two runs each):
  not worth a migration.
- Without ``ix_ledger_entry_member_kind`` and ``ix_ledger_entry_month`` (floor, 100k): offer
  rows 25.7 → 19.4 µs, delivery rows 14.2 → 14.5 (noise). Not adopted: the entry list filters by
  member (``listings.py``) and a summary filtered by offer or entry type reads the entries
  (``queries.summary_statement``); that every such query would still be served was not shown.
  The floor would still be ~33 µs per row.

Where a row's time goes now (CPU timers around each step, in-process, 100k, load 4.6; the
timers add ~3 µs a row): an offer row 102 µs — reading the line 3, parsing its fields 11.6,
checking it (``plan``: the rules of ``model``, the lookups) 17.4, building its rows 13.2 (of
which its two entries 6.1), inserting them 25.7, its balance 3.3, its share of the roll-ups
16.6, the rest (batching, the key query, ids, the commit) ~11. A delivery row 84 µs — parsing
5.8, reading its offer and balances 14.2 (the offer query and building each offer's running
figures 7.3, the balances 6.9), checking 12.7 and counting 1.5, building 7.9, inserting 14.0,
its balance 2.8, its share of the roll-ups 11.5, the rest ~14. Nothing left in Python is worth
more than a fifth of a row.

Before, in the round that made the import batch-wise (CPU time, 100k): Python's cycle
collector ran less often while a file is imported (``fewer_collections``: offers 107–127 →
~76 µs/row); ``model.pro_rata_cents`` in whole numbers (8.3 → 1.3 µs a call); deliveries'
balances read without an enum call per offer (25 → 17 µs/row of preparation); a day's stored
midnight computed once per import; rows to tuples by ``itemgetter``; ``PRAGMA
cache_size=-262144`` (−3 µs/row at 500,000 rows, not adopted: the cache grows with the
B-trees, so peak memory would no longer be flat), ``temp_store=MEMORY`` (no gain).

The merged work on this machine when quiet (21:00–21:04 UTC, load average 1.0 before)::

    /usr/bin/time -v .venv/bin/python benchmarks/import.py --sizes 100000,1000000 --no-postgres --floor

    sqlite     offers-100000.csv         4.3 MiB     50,000 rows      4.4 s    11,299 rows/s  (CPU    4.4 s:   11,465 rows/s)  peak     97 MiB
    sqlite     deliveries-100000.csv     1.9 MiB     50,000 rows      3.6 s    14,040 rows/s  (CPU    3.5 s:   14,357 rows/s)  peak     96 MiB
    sqlite     both                                100,000 rows      8.0 s    12,521 rows/s  peak     97 MiB
    sqlite     offers-1000000.csv       43.2 MiB    500,000 rows     46.7 s    10,701 rows/s  (CPU   46.3 s:   10,802 rows/s)  peak     99 MiB
    sqlite     deliveries-1000000.csv   19.8 MiB    500,000 rows     35.5 s    14,091 rows/s  (CPU   35.0 s:   14,287 rows/s)  peak     96 MiB
    sqlite     both                              1,000,000 rows     82.2 s    12,164 rows/s  peak     99 MiB
    floor      offer rows             foreign keys ON     50,000 rows  CPU   1.84 s:  36.8 µs/row,   27,203 rows/s (rows 21.8, balances  1.4, roll-ups 13.5 µs/row)
    floor      delivery rows          foreign keys ON     50,000 rows  CPU   1.22 s:  24.4 µs/row,   41,055 rows/s (rows 13.1, balances  1.5, roll-ups  9.8 µs/row)
    floor      offer rows             foreign keys OFF    50,000 rows  CPU   1.69 s:  33.7 µs/row,   29,634 rows/s (rows 19.0, balances  1.1, roll-ups 13.5 µs/row)
    floor      delivery rows          foreign keys OFF    50,000 rows  CPU   1.12 s:  22.5 µs/row,   44,459 rows/s (rows 11.1, balances  1.5, roll-ups  9.9 µs/row)
    reading    offers-100000.csv                           50,000 rows  read  2.6 µs/row, read and parsed 12.2 µs/row
    reading    deliveries-100000.csv                       50,000 rows  read  1.9 µs/row, read and parsed  6.2 µs/row
    floor      offer rows             foreign keys ON    500,000 rows  CPU  20.64 s:  41.3 µs/row,   24,228 rows/s (rows 24.7, balances  1.6, roll-ups 15.0 µs/row)
    floor      delivery rows          foreign keys ON    500,000 rows  CPU  12.09 s:  24.2 µs/row,   41,344 rows/s (rows 13.6, balances  1.6, roll-ups  9.0 µs/row)
    floor      offer rows             foreign keys OFF   500,000 rows  CPU  18.06 s:  36.1 µs/row,   27,683 rows/s (rows 20.8, balances  1.2, roll-ups 14.1 µs/row)
    floor      delivery rows          foreign keys OFF   500,000 rows  CPU  11.17 s:  22.3 µs/row,   44,770 rows/s (rows 11.7, balances  1.6, roll-ups  9.0 µs/row)
    reading    offers-1000000.csv                         500,000 rows  read  2.5 µs/row, read and parsed 12.1 µs/row
    reading    deliveries-1000000.csv                     500,000 rows  read  2.0 µs/row, read and parsed  6.1 µs/row
    targets: MISSED (≥ 50,000 rows/s on SQLite: no; peak memory flat: yes)
    Maximum resident set size (kbytes): 108036
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
