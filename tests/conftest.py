"""Fixtures: real SQLite files and a real PostgreSQL cluster, migrated by Alembic; the app
served by uvicorn on 127.0.0.1; Debian's Chromium for the browser tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import gc
import itertools
import json
import os
import shutil
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from xdist.remote import Producer

from shieldwall.access.model import Actor
from shieldwall.app import create_app
from shieldwall.demo import build_demo
from shieldwall.demo.builder import COUNCIL_SEATED
from shieldwall.importers.kiel import GDP_SOURCE, gdp_by_iso
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.db import migrate
from shieldwall.kit.settings import Settings
from tests.liveserver import LiveServer, SharedServer
from tests.pgcluster import Cluster
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform
from tests.scheduling import LongestFirst
from tests.smtpserver import SmtpServer

T = TypeVar("T")

CHROMIUM = os.environ.get("SHIELDWALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# One TLS context for every HTTP client of the tests, the one httpx makes by default: httpx
# otherwise loads the CA certificates afresh for each client it makes (70 ms each, a client for
# each user in each test), although the tests only call plain http on 127.0.0.1.
TLS = httpx.create_ssl_context()
SETUP = Actor("system:test-setup", system=True)
PASSWORD = "correct-horse-battery"
# Users of the seeded council: username → (delegation, role).
USERS = {
    "sec": ("SEC", "chair"),
    "sec-staff": ("SEC", "staff"),
    "ukr": ("UKR", "head_of_delegation"),
    "ukr-viewer": ("UKR", "viewer"),
    "deu": ("DEU", "head_of_delegation"),
    "deu-viewer": ("DEU", "viewer"),
    "usa": ("USA", "officer"),
    "fra": ("FRA", "officer"),
    "pol": ("POL", "officer"),
    "nor": ("NOR", "officer"),
    "swe": ("SWE", "officer"),
    "euu": ("EUU", "officer"),  # a contributor: outside the council
}
NOW = dt.datetime(2024, 4, 2, 12, 0, tzinfo=dt.UTC)
# The demo's present in the tests: after its last meeting (12 February 2026), fixed so that the
# dates the tests expect are too.
DEMO_NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


# ---- the order of the files on the two workers ----------------------------------------------


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LongestFirst | None:
    return LongestFirst(config, log) if config.getoption("dist") == "loadfile" else None


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules and the collected tests (most of a test process's heap, alive until it ends)
    moved out of the garbage collector's sight, its garbage collected first: each test builds
    an app and its database objects, which survive the young generations and so set off full
    collections, each of which went over all of them again (access policy, SQLite half: 43 s of
    CPU before, 28 s with this and with create_app's pages no longer keeping every app alive)."""
    gc.collect()
    gc.freeze()


# ---- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    # No skip: if PostgreSQL cannot start, every PostgreSQL test errors and the suite fails.
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_admin(pg_cluster: Cluster) -> Iterator[Engine]:
    """Two template databases: sw_template (migrated, empty) and sw_seeded (plus a council,
    a catalogue and users, hashed once per session rather than once per test)."""
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE sw_template"))
    migrate(pg_cluster.url("sw_template"))
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE sw_seeded TEMPLATE sw_template"))
    context = open_test_platform(pg_cluster.url("sw_seeded"), FixedClock(NOW))
    seed_council(context)
    context.engine.dispose()
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def seeded_sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    shutil.copy(sqlite_template, path)
    context = open_test_platform(f"sqlite:///{path}", FixedClock(NOW))
    seed_council(context)
    context.engine.dispose()
    return path


_names = itertools.count()


def _sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "shieldwall.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class BuiltDemo:
    path: Path  # a template: copy it before writing to it
    counts: dict[str, int]  # what build_demo said it built

    def copy(self, directory: Path) -> str:
        return _sqlite_copy(self.path, directory)


def _run_directory(factory: pytest.TempPathFactory) -> Path:
    """A directory all the test processes of this run share: xdist gives each worker its own
    under the run's, which is fresh for each run."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltDemo:
    """The whole demo at ``DEMO_NOW``, built once per run (half a minute of CPU; each of the
    two workers built its own) by the first process that needs it; the other waits on the lock
    and reads the same file."""
    shared = _run_directory(tmp_path_factory)
    path, counted = shared / "demo.db", shared / "demo-counts.json"
    with (shared / "demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not counted.exists():  # a build that failed left none: the next one tries again
            building = shared / "demo-building.db"
            shutil.copy(sqlite_template, building)
            context = open_test_platform(f"sqlite:///{building}", FixedClock(COUNCIL_SEATED))
            counts = build_demo(context, progress=False, now=DEMO_NOW)
            context.engine.dispose()
            building.replace(path)
            counted.write_text(json.dumps(counts), encoding="utf-8")
    return BuiltDemo(path, json.loads(counted.read_text(encoding="utf-8")))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database."""
    return _sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def seeded_sqlite_url(seeded_sqlite_template: Path, tmp_path: Path) -> str:
    """A SQLite database with the seeded council, catalogue and users."""
    return _sqlite_copy(seeded_sqlite_template, tmp_path)


class SeededCopies:
    """Copies of sw_seeded, each made while the test before it runs, in a thread of its own:
    ``CREATE DATABASE … TEMPLATE`` takes 0.4–0.7 s (PostgreSQL copies the files and
    checkpoints, mostly waiting), which each of the suite's 450 PostgreSQL tests waited for."""

    def __init__(self, admin: Engine) -> None:
        self.admin = admin
        self.maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seeded-copies")
        self.ahead: Future[str] | None = None

    def _copy(self) -> str:
        name = f"sw_test_{next(_names)}"
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE sw_seeded"))
        return name

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))

    def take(self) -> str:
        """A fresh copy (its name), and the next one started."""
        ready = self.ahead or self.maker.submit(self._copy)
        self.ahead = self.maker.submit(self._copy)
        return ready.result()

    def give_back(self, name: str) -> None:
        self.maker.submit(self._drop, name)  # in turn with the copies: nobody waits for it

    def close(self) -> None:
        self.maker.shutdown(wait=True)  # the copy made ahead goes with the cluster


@pytest.fixture(scope="session")
def seeded_copies(pg_admin: Engine) -> Iterator[SeededCopies]:
    copies = SeededCopies(pg_admin)
    yield copies
    copies.close()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, pg_cluster: Cluster) -> Iterator[str]:
    """A PostgreSQL database with the seeded council, catalogue and users."""
    copies: SeededCopies = request.getfixturevalue("seeded_copies")
    name = copies.take()
    yield pg_cluster.url(name)
    copies.give_back(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A seeded database, on SQLite and on PostgreSQL."""
    name = "seeded_sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


# ---- the platform --------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def ctx(database_url: str, clock: FixedClock) -> Iterator[Context]:
    context = open_test_platform(database_url, clock)
    yield context
    context.engine.dispose()


def seed_council(context: Context) -> None:
    """A small council and catalogue, enough for every rule."""
    council, assistance = context.delegations, context.assistance
    council.seat_delegation(SETUP, code="SEC", name="Secretariat", kind="secretariat")
    council.seat_delegation(SETUP, code="UKR", name="Ukraine", kind="partner")
    for code, name in (
        ("DEU", "Germany"),
        ("USA", "United States"),
        ("FRA", "France"),
        ("POL", "Poland"),
        ("NOR", "Norway"),
    ):
        council.seat_delegation(SETUP, code=code, name=name, kind="member")
    council.seat_delegation(
        SETUP, code="SWE", name="Sweden", kind="member", joined_on=dt.date(2024, 3, 7)
    )
    council.seat_delegation(SETUP, code="EUU", name="European Union", kind="contributor")
    for code in ("DEU", "USA", "FRA", "POL", "NOR", "SWE"):  # the shipped Kiel release's GDP
        council.record_gdp(SETUP, code, str(gdp_by_iso()[code]), GDP_SOURCE)
    assistance.add_area(SETUP, "air-defence", "Air defence")
    assistance.add_area(SETUP, "artillery", "Artillery and long-range fires")
    assistance.add_area(SETUP, "demining", "Demining")
    assistance.add_item(
        SETUP,
        code="patriot",
        name="Patriot battery",
        area="air-defence",
        unit="battery",
        reference_unit_value_cents=1_000_000_000_00,
        price_date=dt.date(2023, 7, 1),
        tags=["patriot"],
    )
    assistance.add_item(
        SETUP,
        code="155mm-round",
        name="155mm round",
        area="artillery",
        unit="round",
        reference_unit_value_cents=3_500_00,
        price_date=dt.date(2023, 7, 1),
        tags=["155mm"],
    )
    assistance.add_item(
        SETUP,
        code="demining-kit",
        name="Demining kit",
        area="demining",
        unit="set",
        reference_unit_value_cents=250_000_00,
        price_date=dt.date(2023, 7, 1),
    )
    for username, (delegation, role) in USERS.items():
        context.access.add_user(
            SETUP, username=username, delegation=delegation, role=role, password=PASSWORD
        )


def actor(context: Context, username: str) -> Actor:
    found: Actor = context.access.actor_for(username)
    return found


def patriot_request(context: Context, title: str, addressees: list[str]) -> int:
    """UKR asks the named members for one Patriot battery: the council tests' request."""
    request: int = context.assistance.file_request(
        actor(context, "ukr"),
        partner="UKR",
        title=title,
        area=None,
        item="patriot",
        quantity=1,
        value_cents=None,
        priority="critical",
        need_by=None,
        justification="strikes on the power grid",
        addressees=addressees,
    )
    return request


@pytest.fixture
def seeded(ctx: Context) -> Context:
    """The context over a seeded database (every ``database_url`` is seeded)."""
    return ctx


@pytest.fixture(scope="session")
def shared_server() -> Iterator[SharedServer]:
    with SharedServer() as shared:
        yield shared


@pytest.fixture
def server(seeded: Context, clock: FixedClock, shared_server: SharedServer) -> Iterator[LiveServer]:
    """The app over the test's database, served by a real uvicorn on 127.0.0.1."""
    app = create_app(Settings(database_url=seeded.engine.url.render_as_string(False)), clock)
    with shared_server.serving(app) as live:
        yield live
    app.state.platform.engine.dispose()


class Delegations:
    """HTTP clients signed in as the seeded users: ``api.as_("deu").post(...)``."""

    def __init__(self, server: LiveServer, context: Context) -> None:
        self.server = server
        self.context = context
        self.clients: dict[str, httpx.Client] = {}
        self.anonymous = httpx.Client(verify=TLS, base_url=server.url, timeout=30)

    def token(self, username: str) -> str:
        secret: str
        secret, _info = self.context.access.issue_token(
            actor(self.context, username),
            kind="personal",
            name="test",
            scopes=actor(self.context, username).scopes,
            expires_in=None,
        )
        return secret

    def as_(self, username: str) -> httpx.Client:
        if username not in self.clients:
            self.clients[username] = httpx.Client(
                verify=TLS,
                base_url=self.server.url,
                timeout=30,
                headers={"Authorization": f"Bearer {self.token(username)}"},
            )
        return self.clients[username]

    def close(self) -> None:
        for client in [*self.clients.values(), self.anonymous]:
            client.close()


@pytest.fixture
def api(server: LiveServer, seeded: Context) -> Iterator[Delegations]:
    delegations = Delegations(server, seeded)
    yield delegations
    delegations.close()


def schema_head() -> str:
    """The newest migration: what a freshly migrated database reports."""
    from alembic.script import ScriptDirectory

    from shieldwall.kit.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` in a thread of its own: Playwright's sync API (the browser
    tests) leaves an event loop running in the main thread for the rest of the session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert a problem+json answer with the given status and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


# ---- mail ------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    with SmtpServer() as server:
        yield server


def smtp_env(server: SmtpServer) -> dict[str, str]:
    """The settings, as environment variables, that send mail to ``server``."""
    return {
        "SHIELDWALL_SMTP_HOST": "127.0.0.1",
        "SHIELDWALL_SMTP_PORT": str(server.port),
        "SHIELDWALL_SMTP_SECURITY": "none",
        "SHIELDWALL_MAIL_FROM": "council@shieldwall.test",
    }


# ---- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}
