"""Database engine, sessions and migrations.

SQLite (WAL, foreign keys on) is the embedded default; PostgreSQL is the production database.
The schema always comes from the Alembic migrations, in tests too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DontWrapMixin
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from shieldwall.kit.dates import instant_out_of_range
from shieldwall.kit.errors import InvalidInput

if TYPE_CHECKING:
    from alembic.config import Config

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class InstantOutOfRange(InvalidInput, DontWrapMixin):
    """An instant outside the supported dates reached a query: the caller's input, 422
    (raised through SQLAlchemy as it is, not wrapped as a database error)."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC instants on every database (SQLite keeps no offset of its own),
    within the supported dates (``kit.dates``)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC instant")
        problem = instant_out_of_range(value)
        if problem is not None:
            raise InstantOutOfRange("instant", problem)
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# Ids and every other whole-number column without a declared type are 64-bit: BIGINT on
# PostgreSQL, INTEGER on SQLite (already 64-bit there, and only INTEGER PRIMARY KEY is the
# auto-incrementing rowid). The API addresses ids up to 2^62 (``kit.params.MAX_ID``).
ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {int: ID}


MIGRATIONS = Path(__file__).parent.parent / "migrations"


# An execution option of the engine that units of work run on: their transactions write.
WRITES = "shieldwall_writes"
# How long a transaction waits for a lock held by another before the database gives up.
BUSY_TIMEOUT_SECONDS = 10.0


def _sqlite_pragmas(busy_timeout_seconds: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling begins a transaction only before the first
        # write, so the checks before it would read outside any lock. Turn it off: the
        # "begin" listener below says when and how each transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    """A unit of work takes SQLite's one write lock when it begins (BEGIN IMMEDIATE), so that
    its checks and its writes are serialised with every other writer's (DESIGN rule 2);
    ``busy_timeout`` makes it wait its turn. Reads begin deferred: in WAL mode they see a
    consistent snapshot and never wait for a writer."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITES) else "BEGIN")


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True)
class PoolSize:
    """The connections an engine keeps open (``size``), the extra ones it opens under a burst
    and closes after (``overflow``), and how long a checkout waits for one (``timeout``)."""

    size: int = 5
    overflow: int = 10
    timeout_seconds: float = 30.0


def make_engine(
    url: str, busy_timeout_seconds: float = BUSY_TIMEOUT_SECONDS, pool: PoolSize | None = None
) -> Engine:
    """An engine on ``url``. A transaction waits at most ``busy_timeout_seconds`` for a lock
    that another holds (SQLite's write lock, a PostgreSQL row or advisory lock); then the
    database refuses it (``is_busy``). Connections are pooled as ``pool`` says (on a SQLite
    file too: each new connection pays for its pragmas)."""
    url = normalise_url(url)
    parsed = make_url(url)
    pool = pool or PoolSize()
    pooling: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.overflow,
        "pool_timeout": pool.timeout_seconds,
    }
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            pooling = {}  # an in-memory database lives in one connection (SingletonThreadPool)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pooling)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_seconds))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    lock_timeout = f"-c lock_timeout={int(busy_timeout_seconds * 1000)}"
    return create_engine(url, pool_pre_ping=True, connect_args={"options": lock_timeout}, **pooling)


def make_session_factory(
    engine: Engine, *, writes: bool = False, reads_only: bool = False
) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``writes``, each transaction takes the write lock when it
    begins on SQLite (PostgreSQL locks the rows a use case loads for update). With
    ``reads_only``, PostgreSQL begins each transaction READ ONLY (the driver's flag, no extra
    round trip): a reading session ends with COMMIT to keep psycopg's prepared statements, so
    the server, not only the ORM's pending changes, refuses any write in one."""
    bind: Engine
    if writes:
        bind = engine.execution_options(**{WRITES: True})
    elif reads_only and engine.dialect.name == "postgresql":
        bind = engine.execution_options(postgresql_readonly=True)
    else:
        bind = engine
    return sessionmaker(bind=bind, expire_on_commit=False)


# SQLite: SQLITE_BUSY and SQLITE_LOCKED (extended codes keep the primary code in the low byte).
_SQLITE_BUSY = frozenset({5, 6})
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_BUSY = frozenset({"40001", "40P01", "55P03"})


def is_busy(exc: BaseException) -> bool:
    """Whether the database refused ``exc``'s statement only because other transactions held
    what it needed for too long (a retry later may succeed), not because it was wrong."""
    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in _SQLITE_BUSY
    return getattr(exc.orig, "sqlstate", None) in _PG_BUSY


def alembic_config(url: str) -> Config:
    # Alembic is imported when the schema is touched, not with the module: every command and
    # every start of the app imports this module, most of them to use a schema that exists.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def database_status(engine: Engine) -> dict[str, str]:
    """What /healthz reports: the backend, whether it answers, and the schema revision."""
    backend = engine.dialect.name
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:
                revision = None
    except Exception as exc:  # the status page must answer even when the database does not
        return {"backend": backend, "status": "unavailable", "error": type(exc).__name__}
    return {"backend": backend, "status": "ok", "schema_revision": revision or "none"}
