"""The clearing house at scale: 5,000 requests × 20,000 availability lines (32 members, 500
items) from a seeded generator, matched by the app's own run, against the bare LP relaxation
and a greedy baseline on the same data in the same run.

A child process builds the SQLite database (not timed); this process then times the whole run
as the app does it (``run_matching``: reading the input, building the model, solving it with
HiGHS, explaining, writing the proposals in one unit of work), then the LP relaxation of the
same programme alone, then greedy (priority order, first compatible donor). Peak memory is
this process's peak resident set (it never held the generator's rows).

Targets (issue 12): gap ≤ 0.1 % within 30 s; the whole run within 3× the bare LP.

    .venv/bin/python benchmarks/matching.py [--requests 5000] [--lines 20000] [--seed 12]
        [--late forbid|discount] [--time-limit 30]

On the same machine once quiet (load average 1.2 as it started; the lead's run after the
merge, 30 November 2026 15:17 UTC), ``benchmarks/matching.py`` with the issue's 30 s limit:

    built 5000 requests × 20000 lines in 2.1 s (not timed)
    run: matched; solver: Optimization terminated successfully. (HiGHS Status 7: Optimal); stages {'building': 0.23678125299920794, 'solving': 17.50668698699883, 'explaining': 0.15140282900392776, 'writing': 0.44323894600529457}
    requests 5000, lines 20000, candidate pairs 267896, proposals 20680, uncovered needs 1271
    solver: Optimization terminated successfully. (HiGHS Status 7: Optimal)
    objective 11,942,752,840.7   LP-relaxation bound 11,942,752,840.7   HiGHS mip_gap 0.00e+00   (LP − MILP)/LP 8.46e-15
    whole run 18.57 s (reading 0.23 s  building 0.24 s  solving 17.51 s  explaining 0.15 s  writing 0.44 s)
    whole run CPU 18.57 s; bare LP relaxation 13.72 s (CPU 13.71 s); ratio whole run / LP 1.35 (CPU 1.35)
    for scale: the LP of coverage alone (no tie-breaks) 3.46 s (CPU 3.46 s)
    priority-weighted coverage: optimiser 11,942,752,841 (83.90% of all needs), greedy 10,760,652,093 (75.59%): +10.99% over greedy
    peak memory (resident, this process) 642 MiB

Optimal (gap 0) in 18.6 s of wall clock for the whole run, within the 30 s; whole run / bare LP
1.35, within 3×; peak 642 MiB (``/usr/bin/time -v``: 658 MB, 39.7 s with the generator).
**Both targets are met on a quiet machine**; under the load below they were not.

Measured under load, earlier the same day (2 cores shared with three other engineers' work: load average 6–7,
so this process got about a quarter of a core — compare the CPU seconds), 30 November 2026,
seed 12, late = forbid.

With the issue's time limit, ``benchmarks/matching.py`` (``--time-limit 30``):

    built 5000 requests × 20000 lines in 5.3 s (not timed)
    run: time-limit-greedy; solver: Time limit reached. (HiGHS Status 13: Time limit reached); stages {'building': 0.9199939390018699, 'solving': 37.08110823899915, 'explaining': 0.3411133530025836, 'writing': 1.7725718500005314}
    requests 5000, lines 20000, candidate pairs 267896, proposals 17018, uncovered needs 1877
    solver: Time limit reached. (HiGHS Status 13: Time limit reached)
    objective 1,901,262,059.0   LP-relaxation bound 11,942,752,840.7   HiGHS mip_gap 1.47e+02   (LP − MILP)/LP 8.41e-01
    whole run 40.88 s (reading 0.76 s  building 0.92 s  solving 37.08 s  explaining 0.34 s  writing 1.77 s)
    whole run CPU 10.58 s; bare LP relaxation 95.00 s (CPU 18.62 s); ratio whole run / LP 0.43 (CPU 0.57)
    for scale: the LP of coverage alone (no tie-breaks) 30.70 s (CPU 4.21 s)
    priority-weighted coverage: optimiser 10,760,652,093 (75.59% of all needs), greedy 10,760,652,093 (75.59%): +0.00% over greedy
    peak memory (resident, this process) 717 MiB

HiGHS stopped at 30 s of wall clock (10.6 s of CPU) before the root LP was solved, with a
poor incumbent (13 % of the needs covered): the run proposed greedy's allocation instead,
which is better by the same objective, and said so (outcome ``time-limit-greedy``). The
target "gap ≤ 0.1 % within 30 s" is NOT met here.

Given the time, ``benchmarks/matching.py --time-limit 180``:

    built 5000 requests × 20000 lines in 12.3 s (not timed)
    run: matched; solver: Optimization terminated successfully. (HiGHS Status 7: Optimal); stages {'building': 1.952692079001281, 'solving': 88.0807084850021, 'explaining': 1.2681709340031375, 'writing': 4.454845251995721}
    requests 5000, lines 20000, candidate pairs 267896, proposals 20680, uncovered needs 1271
    solver: Optimization terminated successfully. (HiGHS Status 7: Optimal)
    objective 11,942,752,840.7   LP-relaxation bound 11,942,752,840.7   HiGHS mip_gap 0.00e+00   (LP − MILP)/LP 8.46e-15
    whole run 96.75 s (reading 0.99 s  building 1.95 s  solving 88.08 s  explaining 1.27 s  writing 4.45 s)
    whole run CPU 21.75 s; bare LP relaxation 125.25 s (CPU 17.02 s); ratio whole run / LP 0.77 (CPU 1.28)
    for scale: the LP of coverage alone (no tie-breaks) 34.02 s (CPU 3.92 s)
    priority-weighted coverage: optimiser 11,942,752,841 (83.90% of all needs), greedy 10,760,652,093 (75.59%): +10.99% over greedy
    peak memory (resident, this process) 646 MiB

Optimal (gap 0) after 88 s of wall clock, 21.8 s of CPU for the whole run; the bare LP
relaxation of the same programme took 17.0 s of CPU: whole run / LP = 1.28 by CPU (0.77 by
the wall clock, which the other work on the machine distorts), within the 3× target. The
optimiser covers 10.99 % more priority-weighted need than greedy (83.90 % of all needs
against 75.59 %). The tie-breaks (earliest delivery, fewest donors) are what make the LP
hard: the LP of coverage alone takes 3.9 s of CPU, the full one 17.0 s; the lexicographic
weights are exact, and cost that.
"""

# ruff: noqa: E501  (the measured output above is quoted as printed, lines and all)

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import AREAS, ITEMS, MEMBERS, reference_rows
from sqlalchemy import insert, update

from shieldwall.access.model import SYSTEM
from shieldwall.assistance.tables import AssistanceRequest, CapabilityItem, RequestAddressee
from shieldwall.context import open_platform
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.db import make_engine, migrate
from shieldwall.kit.settings import Settings
from shieldwall.matching import model, queries, solver
from shieldwall.matching.model import LateRule
from shieldwall.matching.service import MatchingService, run_matching
from shieldwall.matching.tables import Availability

TODAY = dt.date(2024, 4, 2)
NOW = dt.datetime(2024, 4, 2, 12, 0, tzinfo=dt.UTC)
TAG_FAMILIES = 200  # e.g. calibres and systems: items i, i+200, i+400 may share one
PRIORITIES = ["critical"] * 10 + ["high"] * 25 + ["medium"] * 40 + ["low"] * 25


def build(url: str, requests: int, lines: int, seed: int) -> None:
    """The seeded council, catalogue (with tags), open requests and availability lines."""
    migrate(url)
    engine = make_engine(url)
    reference_rows(engine)
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(
            insert(Delegation), [{"id": 99, "code": "SEC", "name": "Sec", "kind": "secretariat"}]
        )
        for i in range(ITEMS):
            tags = [f"family-{i % TAG_FAMILIES}"] if rng.random() < 0.8 else []
            conn.execute(update(CapabilityItem).where(CapabilityItem.id == i + 1).values(tags=tags))
        rows: list[dict[str, Any]] = []
        named: list[dict[str, int]] = []
        for r in range(requests):
            item = rng.randrange(ITEMS) if rng.random() < 0.97 else None
            to_all = rng.random() < 0.7
            if not to_all:
                for m in sorted(rng.sample(range(MEMBERS), rng.randint(1, 4))):
                    named.append({"request_id": r + 1, "delegation_id": m + 2})
            rows.append(
                {
                    "id": r + 1,
                    "partner_id": 1,
                    "title": f"request {r}",
                    "area_id": (item % AREAS + 1) if item is not None else rng.randrange(AREAS) + 1,
                    "item_id": item + 1 if item is not None else None,
                    "quantity": rng.randint(1, 300),
                    "value_cents": 0,
                    "priority": rng.choice(PRIORITIES),
                    "need_by": TODAY + dt.timedelta(days=rng.randint(0, 365))
                    if rng.random() < 0.9
                    else None,
                    "justification": "generated",
                    "to_all_members": to_all,
                    "state": "active",
                    "filed_at": NOW,
                    "releasability": "addressees",
                }
            )
        conn.execute(insert(AssistanceRequest), rows)
        conn.execute(insert(RequestAddressee), named)
        conn.execute(
            insert(Availability),
            [
                {
                    "member_id": rng.randrange(MEMBERS) + 2,
                    "item_id": rng.randrange(ITEMS) + 1,
                    "kind": "equip",
                    "quantity": (q := rng.randint(1, 80)),
                    "declared_quantity": q,
                    "available_from": TODAY + dt.timedelta(days=rng.randint(0, 300)),
                    "training_only": rng.random() < 0.03,
                    "not_before": None,
                    "per_request": rng.randint(1, 50) if rng.random() < 0.1 else None,
                    "note": "",
                    "releasability": "own",
                    "declared_at": NOW,
                }
                for _ in range(lines)
            ],
        )
    engine.dispose()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--late", default="forbid", choices=["forbid", "discount"])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--build-only", default="")
    args = ap.parse_args()
    if args.build_only:
        build(args.build_only, args.requests, args.lines, args.seed)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/matching.db"
        started = time.perf_counter()
        subprocess.run(
            [
                *(sys.executable, __file__, "--build-only", url),
                *("--requests", str(args.requests), "--lines", str(args.lines)),
                *("--seed", str(args.seed)),
            ],
            check=True,
        )
        took = time.perf_counter() - started
        print(f"built {args.requests} requests × {args.lines} lines in {took:.1f} s (not timed)")
        return measure(url, args)


def measure(url: str, args: argparse.Namespace) -> int:
    settings = Settings(
        database_url=url, matching_late=args.late, matching_time_limit_seconds=args.time_limit
    )
    platform = open_platform(url, FixedClock(NOW), settings)
    sec = SYSTEM
    with platform.unit_of_work() as uow:
        run_id = MatchingService(uow).start_run(sec)
    started, cpu = time.perf_counter(), time.process_time()
    result = run_matching(platform, sec, run_id)
    whole, whole_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"run: {result.outcome}; solver: {result.solver_status}; stages {result.seconds}",
        flush=True,
    )
    reading = whole - sum(result.seconds.values())
    # The bare LP relaxation of the same programme, on the same data, in the same process.
    with platform.reading() as s:
        p, _ids = queries.problem(s, TODAY)
    c = solver.candidates(p, LateRule(args.late))
    prog = solver.programme(p, c)
    cpu = time.process_time()
    lp = solver.solve(prog, 600, relax=True)
    lp_cpu = time.process_time() - cpu
    cpu = time.process_time()
    pts = -prog.points.astype(float)
    coverage_only = dataclasses.replace(
        prog, cost=np.concatenate([pts, np.zeros(len(prog.cost) - prog.edges)])
    )
    lp1 = solver.solve(coverage_only, 600, relax=True)
    lp1_cpu = time.process_time() - cpu
    greedy = solver.greedy(p, c)
    greedy_points = int((greedy * prog.points).sum())
    best = int(
        sum(
            round(model.PRIORITY_WEIGHT[pr] * model.COVERAGE_SCALE * n / q)
            for pr, n, q in zip(
                p.request_priority,
                p.request_need.tolist(),
                p.request_quantity.tolist(),
                strict=True,
            )
        )
    )
    if result.objective is None or lp.objective is None:
        print(f"no optimiser solution within {args.time_limit} s (outcome {result.outcome})")
        return 1
    print(
        f"requests {result.requests}, lines {result.lines}, candidate pairs {result.candidates}, "
        f"proposals {len(result.proposals)}, uncovered needs {len(result.uncovered)}"
    )
    print(f"solver: {result.solver_status}")
    print(
        f"objective {result.objective:,.1f}   LP-relaxation bound {lp.objective:,.1f}   "
        f"HiGHS mip_gap {result.gap:.2e}   "
        f"(LP − MILP)/LP {(lp.objective - result.objective) / lp.objective:.2e}"
    )
    stages = "  ".join(f"{k} {v:.2f} s" for k, v in result.seconds.items())
    print(f"whole run {whole:.2f} s (reading {reading:.2f} s  {stages})")
    print(
        f"whole run CPU {whole_cpu:.2f} s; "
        f"bare LP relaxation {lp.seconds:.2f} s (CPU {lp_cpu:.2f} s); "
        f"ratio whole run / LP {whole / lp.seconds:.2f} (CPU {whole_cpu / lp_cpu:.2f})"
    )
    print(
        f"for scale: the LP of coverage alone (no tie-breaks) {lp1.seconds:.2f} s "
        f"(CPU {lp1_cpu:.2f} s)"
    )
    print(
        f"priority-weighted coverage: optimiser {result.coverage_points:,} "
        f"({result.coverage_points / best:.2%} of all needs), "
        f"greedy {greedy_points:,} ({greedy_points / best:.2%}): "
        f"{(result.coverage_points - greedy_points) / greedy_points:+.2%} over greedy"
    )
    print(f"peak memory (resident, this process) {peak_mib():.0f} MiB")
    platform.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
