"""Shieldwall under many users: requests/s and latency against a bare FastAPI endpoint.

Builds the demo database (``build_demo``, as ``shieldwall demo`` does) in a temporary directory,
on SQLite and on a throwaway PostgreSQL cluster (tests/pgcluster.py), serves it as production
would (``shieldwall serve --workers N``, a process of its own) and a bare FastAPI endpoint the
same way (uvicorn, the same number of workers), and drives each from 127.0.0.1 with 16 and 64
concurrent clients (httpx, async, one client process) for a fixed time, signed in as a member
(``deu``: a bearer token for the API, a browser session for the pages):

- ``GET /api/v1/ledger/summary?group_by=member,kind``
- ``GET /api/v1/offers``
- an offer's page, ``/offers/{id}`` (one of the member's own offers)
- the dashboard, ``/``

For each endpoint and concurrency it prints requests/s, p50, p99 and ``throughput ratio R``
(its requests/s over the bare endpoint's at the same concurrency, in the same run). The machine
is shared: run ``uptime`` beside it and compare runs made in the same minutes.

    .venv/bin/python benchmarks/api_load.py [--workers 2] [--seconds 5] [--clients 16,64]
        [--no-postgres] [--no-sqlite]

Where the time went (see FINDINGS below, filled in from the profiles).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pgcluster import Cluster, free_port  # noqa: E402

MEMBER = "deu"
BIN = Path(sys.executable).parent

# The bare endpoint: FastAPI with one route answering a small JSON object, nothing else.
bare = FastAPI()


@bare.get("/bare")
def bare_endpoint() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}


@dataclass
class Credentials:
    token: str  # a bearer token (the API)
    session: str  # a browser session's cookie (the pages)
    offer_id: int  # one of the member's own offers


def build(url: str) -> Credentials:
    """The demo database at ``url``, with a token and a session for the member."""
    from shieldwall.access.service import AccessService
    from shieldwall.access.tables import UserAccount
    from shieldwall.access.web import SESSION_COOKIE  # noqa: F401 (the cookie's name, below)
    from shieldwall.assistance.tables import Offer
    from shieldwall.context import open_platform
    from shieldwall.delegations.tables import Delegation
    from shieldwall.demo import build_demo
    from shieldwall.kit.clock import FixedClock, SystemClock
    from shieldwall.kit.db import migrate

    migrate(url)
    ctx = open_platform(url, FixedClock(dt.datetime(2023, 7, 12, tzinfo=dt.UTC)))
    build_demo(ctx, progress=False)
    ctx.engine.dispose()
    ctx = open_platform(url, SystemClock())
    with ctx.unit_of_work() as uow:
        service = AccessService(uow)
        actor = service.actor_for(MEMBER)
        token, _ = service.issue_token(
            actor, kind="oauth", name="load", scopes=actor.scopes, expires_in=None
        )
        session, _info = service.start_session(actor)
        offer_id = uow.session.scalar(
            select(Offer.id)
            .join(Delegation, Delegation.id == Offer.member_id)
            .where(Delegation.code == MEMBER.upper())
            .order_by(Offer.id)
        )
        assert uow.session.scalar(select(UserAccount.id).where(UserAccount.username == MEMBER))
    ctx.engine.dispose()
    assert offer_id is not None
    return Credentials(token, session, offer_id)


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    """A server process (and its workers) on 127.0.0.1:``port`` until the block ends."""
    process = subprocess.Popen(
        command, env={**os.environ, **env}, start_new_session=True, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Result:
    requests: int  # answered 200 (their latencies below); errors: any other answer or none
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def drive(url: str, headers: dict[str, str], clients: int, seconds: float) -> Result:
    """``clients`` clients asking for ``url`` one request after another for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:
        # Warm up: every connection opened, every worker's caches filled.
        await asyncio.gather(*(client.get(url) for _ in range(clients * 2)), return_exceptions=True)
        stop = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                began = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:  # counted, not fatal: the run goes on
                    errors += 1
                    continue
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return Result(len(latencies), errors, elapsed, latencies)


def report(name: str, clients: int, result: Result, bare_rate: float) -> None:
    print(
        f"{name:<42} {clients:>3} clients  {result.rate:7.0f} req/s  "
        f"p50 {result.percentile(0.5):6.1f} ms  p99 {result.percentile(0.99):6.1f} ms"
        + (f"  errors {result.errors}" if result.errors else ""),
        flush=True,
    )
    print(f"  throughput ratio {result.rate / bare_rate:.2f}", flush=True)


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(label: str, url: str, args: argparse.Namespace) -> None:
    creds = build(url)
    workers = str(args.workers)
    env = {"SHIELDWALL_RUN_SCHEDULER": "false", "SHIELDWALL_DATABASE_URL": url}
    bare_port, app_port = free_port(), free_port()
    bare_command = [
        str(BIN / "uvicorn"),
        "api_load:bare",
        "--app-dir",
        str(Path(__file__).parent),
        "--host",
        "127.0.0.1",
        "--port",
        str(bare_port),
        "--workers",
        workers,
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    app_command = [
        str(BIN / "shieldwall"),
        "serve",
        "--db",
        url,
        "--port",
        str(app_port),
        "--workers",
        workers,
    ]
    api = {"Authorization": f"Bearer {creds.token}"}
    page = {"Cookie": f"shieldwall_session={creds.session}"}
    endpoints = [
        ("/api/v1/ledger/summary?group_by=member,kind", api),
        ("/api/v1/offers", api),
        (f"/offers/{creds.offer_id}", page),
        ("/", page),
    ]
    print(f"\n== {label}: {args.workers} workers, {args.seconds:g} s per run, {load_average()}")
    with (
        serving(bare_command, bare_port, env) as bare_base,
        serving(app_command, app_port, env) as app_base,
    ):
        for clients in args.clients:
            bare_result = asyncio.run(drive(f"{bare_base}/bare", {}, clients, args.seconds))
            report("bare FastAPI endpoint", clients, bare_result, bare_result.rate)
            for path, headers in endpoints:
                result = asyncio.run(drive(app_base + path, headers, clients, args.seconds))
                report(f"{label} {path.split('?')[0]}", clients, result, bare_result.rate)
            print(f"  ({load_average()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="16,64")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="shieldwall-load-") as tmp:
        if not args.no_sqlite:
            run("SQLite", f"sqlite:///{tmp}/demo.db", args)
        if not args.no_postgres:
            cluster = Cluster().start()
            try:
                run("PostgreSQL", cluster.url(), args)
            finally:
                cluster.stop()
    print(f"\n{load_average()}")


if __name__ == "__main__":
    main()
