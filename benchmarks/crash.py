"""Crash test: ``kill -9`` the server under concurrent write load; no acknowledged write is lost.

For each database (a SQLite file, and a throwaway PostgreSQL cluster), starts the real server
(``python -m shieldwall serve``) as a child process, and for each trial:

1. several member threads make offers, each with an ``Idempotency-Key`` of its own, while the
   partner accepts the offers it has been told about — all through the HTTP API;
2. at a random moment the server is killed with SIGKILL, mid-load;
3. the server is started again on the same database; every write that got a 2xx answer must
   be there (an offer under its key with the id it was answered with; an accepted offer
   accepted), and every offer whose answer never came is sent again with its key: it must be
   created at most once, so the database holds exactly one offer per key sent.

Finally the audit chain must verify. Prints, per database, the writes acknowledged, those lost
(must be 0), duplicates (must be 0) and the chain's verdict; exits non-zero if any was lost.

    .venv/bin/python benchmarks/crash.py [--trials 20] [--writers 4] [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import create_engine, func, select, text

from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.assistance.tables import Offer
from shieldwall.audit.service import verify_chain
from shieldwall.context import open_platform
from shieldwall.delegations.service import DelegationService
from shieldwall.kit.db import migrate
from shieldwall.kit.idempotency import IdempotencyRecord
from shieldwall.kit.uow import Platform
from tests.pgcluster import Cluster, free_port

SETUP = Actor("system:crash-bench", system=True)
MEMBERS = ["DEU", "FRA", "POL", "NOR", "USA", "NLD", "DNK", "CZE"]
PASSWORD = "crash-bench-password"
OFFER = {"kind": "arm", "item": "155mm-round", "quantity": 10}


@dataclass
class Tally:
    """What one database's trials saw."""

    acknowledged: int = 0  # writes answered 2xx: offers made, offers accepted
    in_flight: int = 0  # offers sent whose answer never came (the kill cut them off)
    sent: int = 0  # offers sent, each under a key of its own
    lost: int = 0
    duplicates: int = 0
    unexpected: list[str] = field(default_factory=list)
    chain_records: int = 0
    chain_break: str | None = None


@dataclass
class Load:
    """The writes of one trial, shared by its threads."""

    url: str
    tokens: dict[str, str]
    trial: int
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    made: dict[str, int] = field(default_factory=dict)  # key → offer id, answered 201
    unanswered: dict[str, str] = field(default_factory=dict)  # key → member, no answer
    to_accept: list[int] = field(default_factory=list)
    accepted: set[int] = field(default_factory=set)  # answered 200
    unexpected: list[str] = field(default_factory=list)  # answers neither 2xx nor cut off


def seed(platform: Platform, writers: int) -> dict[str, str]:
    """A council, one catalogue item and a user per delegation; their bearer tokens."""
    with platform.unit_of_work() as uow:
        council = DelegationService(uow)
        council.seat_delegation(SETUP, code="UKR", name="Ukraine", kind="partner")
        for code in MEMBERS[:writers]:
            council.seat_delegation(SETUP, code=code, name=code, kind="member")
        assistance = AssistanceService(uow)
        assistance.add_area(SETUP, "artillery", "Artillery")
        assistance.add_item(
            SETUP,
            code="155mm-round",
            name="155mm round",
            area="artillery",
            unit="round",
            reference_unit_value_cents=3_500_00,
            price_date=dt.date(2023, 7, 1),
        )
    tokens = {}
    for code in ["UKR", *MEMBERS[:writers]]:
        with platform.unit_of_work() as uow:
            access = AccessService(uow)
            role = "head_of_delegation"
            access.add_user(
                SETUP, username=code.lower(), delegation=code, role=role, password=PASSWORD
            )
            user = access.actor_for(code.lower())
            secret, _info = access.issue_token(
                user, kind="personal", name="crash", scopes=user.scopes, expires_in=None
            )
        tokens[code] = secret
    return tokens


def start_server(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The real server on ``url`` in a child process, once it answers on its free port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SHIELDWALL_DATABASE_URL": url}
    with log.open("ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "shieldwall", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return child, base
        except httpx.TransportError:
            pass
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise RuntimeError(f"the server did not start (see {log})")
        time.sleep(0.05)


def make_offers(load: Load, member: str) -> None:
    headers = {"Authorization": f"Bearer {load.tokens[member]}"}
    body = {**OFFER, "member": member}
    with httpx.Client(base_url=load.url, headers=headers, timeout=30) as client:
        n = 0
        while not load.stop.is_set():
            n += 1
            key = f"t{load.trial}-{member}-{n}"
            try:
                answer = client.post("/api/v1/offers", json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                with load.lock:
                    load.unanswered[key] = member
                return
            with load.lock:
                if answer.status_code != 201:
                    load.unexpected.append(f"offer: {answer.status_code} {answer.text}")
                    return
                load.made[key] = answer.json()["id"]
                load.to_accept.append(answer.json()["id"])


def accept_offers(load: Load) -> None:
    headers = {"Authorization": f"Bearer {load.tokens['UKR']}"}
    with httpx.Client(base_url=load.url, headers=headers, timeout=30) as client:
        while not load.stop.is_set():
            with load.lock:
                offer = load.to_accept.pop() if load.to_accept else None
            if offer is None:
                time.sleep(0.005)
                continue
            try:
                answer = client.post(f"/api/v1/offers/{offer}/accept")
            except httpx.TransportError:
                return
            with load.lock:
                if answer.status_code != 200:
                    load.unexpected.append(f"accept: {answer.status_code} {answer.text}")
                    return
                load.accepted.add(offer)


def run_load(load: Load, writers: int, child: subprocess.Popen[bytes], rng: random.Random) -> None:
    """Writers and the accepting partner, until the server is killed at a random moment."""
    threads = [
        threading.Thread(target=make_offers, args=(load, member)) for member in MEMBERS[:writers]
    ]
    threads.append(threading.Thread(target=accept_offers, args=(load,)))
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(0.5, 2.5))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    load.stop.set()
    for thread in threads:
        thread.join()


def check(platform: Platform, load: Load, tally: Tally) -> None:
    """After the restart: every acknowledged write is there."""
    with platform.reading() as s:
        by_key = dict(
            s.execute(
                select(IdempotencyRecord.key, IdempotencyRecord.resource_id).where(
                    IdempotencyRecord.key.like(f"t{load.trial}-%")
                )
            ).all()
        )
        states = dict(s.execute(select(Offer.id, Offer.state)).all())
    tally.acknowledged += len(load.made) + len(load.accepted)
    tally.unexpected += load.unexpected
    tally.lost += sum(by_key.get(key) != offer for key, offer in load.made.items())
    tally.lost += sum(states.get(offer) != "accepted" for offer in load.accepted)


def resend(base: str, load: Load, tally: Tally) -> None:
    """Send each unanswered offer again (twice) with its key: it is created at most once."""
    tally.in_flight += len(load.unanswered)
    for key, member in load.unanswered.items():
        headers = {"Authorization": f"Bearer {load.tokens[member]}", "Idempotency-Key": key}
        for _ in range(2):
            answer = httpx.post(
                f"{base}/api/v1/offers", json={**OFFER, "member": member}, headers=headers
            )
            if answer.status_code != 201:
                raise RuntimeError(f"resent offer answered {answer.status_code}: {answer.text}")
    tally.sent += len(load.made) + len(load.unanswered)


def trials(url: str, count: int, writers: int, log: Path, rng: random.Random) -> Tally:
    """``count`` kills under load, each followed by a restart on the same database."""
    migrate(url)
    platform = open_platform(url)
    tokens = seed(platform, writers)
    tally = Tally()
    child, base = start_server(url, log)
    try:
        for trial in range(1, count + 1):
            load = Load(base, tokens, trial)
            run_load(load, writers, child, rng)  # ends with kill -9
            child, base = start_server(url, log)
            check(platform, load, tally)
            resend(base, load, tally)
    finally:
        child.kill()
        child.wait()
    with platform.reading() as s:
        offers = int(s.scalar(select(func.count()).select_from(Offer)) or 0)
        tally.chain_records, broken = verify_chain(s)
    tally.duplicates = offers - tally.sent
    tally.chain_break = None if broken is None else f"record {broken.record_id}: {broken.problem}"
    platform.engine.dispose()
    return tally


def report(database: str, trials_run: int, tally: Tally) -> None:
    chain = "verifies" if tally.chain_break is None else f"BROKEN at {tally.chain_break}"
    print(
        f"{database:<10} {trials_run} trials  acknowledged {tally.acknowledged:>5}  "
        f"in flight at the kill {tally.in_flight:>3}  lost {tally.lost}  "
        f"duplicates {tally.duplicates}  audit chain {chain} ({tally.chain_records} records)",
        flush=True,
    )
    for answer in tally.unexpected:
        print(f"  unexpected answer: {answer}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--writers", type=int, default=4, choices=range(1, len(MEMBERS) + 1))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results: list[Tally] = []
    with tempfile.TemporaryDirectory(prefix="shieldwall-crash-") as tmp:
        log = Path(tmp) / "server.log"
        results.append(trials(f"sqlite:///{tmp}/crash.db", args.trials, args.writers, log, rng))
        report("sqlite", args.trials, results[-1])
        if not args.no_postgres:
            cluster = Cluster().start()
            try:
                admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("CREATE DATABASE crash"))
                admin.dispose()
                results.append(trials(cluster.url("crash"), args.trials, args.writers, log, rng))
                report("postgresql", args.trials, results[-1])
            finally:
                cluster.stop()
    bad = [t for t in results if t.lost or t.duplicates or t.chain_break or t.unexpected]
    print("result:", "no acknowledged write lost" if not bad else "FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
