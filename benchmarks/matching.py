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

Measured on this machine (2 shared cores), 30 November 2026, seed 12, late = forbid:

    (see the end of this docstring, filled in from the run below)
"""

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
