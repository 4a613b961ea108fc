"""Kept answers (``kit.answers``): the ledger summary and the offers list are answered again
without reading them while the database is unchanged, and never once another connection or
process, or the reader's own connection, has committed a change. On SQLite and PostgreSQL,
through the app over HTTP with a pool of one connection (so that, on SQLite, where an answer is
kept per connection, every read uses the same one), signed in with a browser session: the
answers kept whole for a bearer token (``kit.kept_responses``) are tested in
``test_kept_responses.py``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from shieldwall.access.web import SESSION_COOKIE
from shieldwall.app import create_app
from shieldwall.assistance import queries
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from tests.conftest import SETUP, actor
from tests.platform import TestPlatform as Context

SUMMARY = "/api/v1/ledger/summary?group_by=member,kind"

# Another process makes an offer (DEU, 7 demining kits) in the same database, and ends.
ANOTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from tests.conftest import NOW, SETUP
    from tests.platform import open_test_platform
    from shieldwall.kit.clock import FixedClock
    ctx = open_test_platform(sys.argv[1], FixedClock(NOW))
    ctx.assistance.make_offer(SETUP, member="DEU", kind="equip", quantity=7, item="demining-kit")
    ctx.engine.dispose()
    """
)


class Reads:
    """The app with a pool of one connection, signed in as ``deu`` in a browser session, and
    the SELECTs it sends."""

    def __init__(self, seeded: Context, database_url: str, clock: FixedClock) -> None:
        secret, info = seeded.access.start_session(actor(seeded, "deu"))
        settings = Settings(database_url=database_url, pool_size=1, max_overflow=0)
        self.app = create_app(settings, clock)
        self.client = TestClient(self.app, headers={"X-CSRF-Token": info.csrf_token})
        self.client.cookies.set(SESSION_COOKIE, secret)
        self.selects: list[str] = []
        event.listen(self.app.state.platform.engine, "before_cursor_execute", self._note)

    def _note(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.selects.append(statement)

    def get(self, path: str) -> tuple[Any, int]:
        """The answer's JSON, and how many SELECTs the route sent (the session's lookup not
        counted)."""
        self.selects.clear()
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return response.json(), len(self.selects) - 1

    def again(self, path: str) -> Any:
        """The answer of ``path`` once it is answered from the kept one (the state read, and
        nothing else). On PostgreSQL a commit anywhere in the cluster (another test's database,
        autovacuum's ANALYZE) moves every database's snapshot, and the next read rightly reads
        afresh: it is asked again, up to five times."""
        for _ in range(5):
            answer, read = self.get(path)
            if read == 1:
                return answer
        pytest.fail(f"{path}: never answered from a kept answer")


@pytest.fixture
def reads(seeded: Context, database_url: str, clock: FixedClock) -> Iterator[Reads]:
    found = Reads(seeded, database_url, clock)
    with found.client:
        yield found
    found.app.state.platform.engine.dispose()


def _offered(summary: dict[str, Any], member: str, kind: str) -> int:
    rows = [r for r in summary["rows"] if (r["member"], r["kind"]) == (member, kind)]
    return sum(r["offered_quantity"] for r in rows)


def test_an_unchanged_database_is_answered_from_the_kept_answer(reads: Reads) -> None:
    first, read = reads.get(SUMMARY)
    assert read == 2  # the state and the summary; then the state only:
    assert reads.again(SUMMARY) == first
    page, read = reads.get("/api/v1/offers")
    assert read == 3  # the state, the count and the page; then the state only:
    assert reads.again("/api/v1/offers") == page
    # Other parameters are another answer.
    assert reads.get("/api/v1/offers?limit=1")[1] == 3


def test_a_write_by_another_process_is_seen_by_the_next_read(
    reads: Reads, database_url: str
) -> None:
    before, _read = reads.get(SUMMARY)
    page, _read = reads.get("/api/v1/offers")
    reads.again(SUMMARY)  # kept
    subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, database_url], check=True)
    after, read = reads.get(SUMMARY)
    assert read == 2
    assert _offered(after, "DEU", "equip") == _offered(before, "DEU", "equip") + 7
    page_after, read = reads.get("/api/v1/offers")
    assert read == 3 and page_after["total"] == page["total"] + 1


def test_a_write_through_the_same_connection_is_seen_by_the_next_read(reads: Reads) -> None:
    """On SQLite the connection's own commits do not change ``data_version``: what it changed
    itself is counted apart (and here the pool has one connection, so the write is on it)."""
    before, _read = reads.get(SUMMARY)
    body = {"kind": "arm", "member": "DEU", "item": "patriot", "quantity": 2}
    assert reads.client.post("/api/v1/offers", json=body).status_code == 201
    after, read = reads.get(SUMMARY)
    assert read == 2
    assert _offered(after, "DEU", "arm") == _offered(before, "DEU", "arm") + 2


def test_what_a_reader_may_see_is_part_of_the_key(reads: Reads, seeded: Context) -> None:
    """The partner's kept summary is never the member's: each is read for its own seat, and
    each equals the summary read without kept answers (a unit of work's session). Poland's
    offer is released to the partner (its default), not to Germany."""
    seeded.assistance.make_offer(SETUP, member="POL", kind="arm", quantity=3, item="patriot")
    ukr = actor(seeded, "ukr")
    as_ukr, _info = seeded.access.start_session(ukr)
    as_deu = reads.client.cookies[SESSION_COOKIE]
    deu, read = reads.get(SUMMARY)
    assert read == 2 and reads.again(SUMMARY) == deu
    reads.client.cookies.set(SESSION_COOKIE, as_ukr)
    partner, read = reads.get(SUMMARY)
    assert read == 2  # read for the partner's seat: not the member's kept answer
    assert reads.again(SUMMARY) == partner
    reads.client.cookies.set(SESSION_COOKIE, as_deu)
    assert reads.again(SUMMARY) == deu
    with seeded.unit_of_work(writes=False) as uow:
        for got, who in ((deu, actor(seeded, "deu")), (partner, ukr)):
            expected = queries.ledger_summary(uow.session, who, ["member", "kind"])
            assert _quantities(got["rows"]) == _quantities(expected)
    assert _quantities(partner["rows"]) != _quantities(deu["rows"])


def _quantities(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["member"], r["kind"], r["offered_quantity"], r["committed_quantity"]) for r in rows]
