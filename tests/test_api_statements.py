"""The API's hot reads cost a fixed number of statements (issue 13, benchmarks/api_load.py):
the offers list and the ledger summary read what they show in one statement each whatever the
page holds, after one statement for the token and one for the database's state (two pooled
connections, one after the other: the token's lookup, then the route's read; the state decides
whether a kept answer may be served: tests/test_kept_answers.py); and the offers list, written
without FastAPI validating it again, has exactly the fields its schema declares. On SQLite and
PostgreSQL. Each read here asks for what no earlier one asked (other parameters), so none is
answered from the kept answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from shieldwall.app import create_app
from shieldwall.assistance.schemas import OfferOut
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from tests.conftest import Delegations, actor, problem_of
from tests.liveserver import LiveServer, Mounted
from tests.platform import TestPlatform as Context


@dataclass
class Sent:
    """What the served app sent its database: the statements, and how many times it took a
    connection from its pool (on PostgreSQL each checkout is pinged; BEGIN is implicit there,
    SQLite's is a statement)."""

    dialect: str
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]

    def clear(self) -> None:
        self.statements.clear()
        self.checkouts = 0


@pytest.fixture
def sent(server: LiveServer) -> Iterator[Sent]:
    mounted = server.server.config.app
    assert isinstance(mounted, Mounted) and mounted.app is not None
    engine: Engine = mounted.app.state.platform.engine
    found = Sent(engine.dialect.name)

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        found.statements.append(statement)

    def checkout(*_args: Any) -> None:
        found.checkouts += 1

    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "checkout", checkout)
    yield found
    event.remove(engine, "before_cursor_execute", note)
    event.remove(engine, "checkout", checkout)


def _two_transactions(sent: Sent, selects: int) -> None:
    """``selects`` SELECTs and nothing else (but SQLite's BEGINs), in two transactions on two
    checkouts, one after the other: the token's lookup, then the route's read. (Sharing one
    connection between them deadlocked under load: benchmarks/api_load.py, finding 16.)"""
    assert len(sent.selects) == selects, sent.statements
    begins = 2 if sent.dialect == "sqlite" else 0
    assert len(sent.statements) == selects + begins, sent.statements
    assert sent.checkouts == 2


def _offer(api: Delegations, member: str, quantity: int) -> None:
    body = {"kind": "arm", "member": member.upper(), "item": "patriot", "quantity": quantity}
    response = api.as_(member).post("/api/v1/offers", json=body)
    assert response.status_code == 201, response.text


def test_the_offers_list_reads_its_page_in_one_statement(api: Delegations, sent: Sent) -> None:
    deu = api.as_("deu")
    for quantity in (1, 2, 3):
        _offer(api, "deu", quantity)
    _offer(api, "pol", 4)
    deu.get("/api/v1/offers", params={"limit": 50})  # the token's first use is noted (a write)
    sent.clear()
    page = deu.get("/api/v1/offers")
    assert page.status_code == 200
    # The token, the state, the count, the page (names, balances and need-by dates joined in).
    _two_transactions(sent, 4)
    body = page.json()
    # DEU's three offers; POL's is released to the partner only (its default).
    assert body["total"] == 3 and [o["quantity"] for o in body["items"]] == [1, 2, 3]
    # Every field the schema declares, in its order, and nothing else (no internal ids).
    assert all(list(o) == list(OfferOut.model_fields) for o in body["items"])
    first = body["items"][0]
    assert (first["member"], first["partner"], first["item"], first["unit"]) == (
        "DEU",
        "UKR",
        "patriot",
        "battery",
    )
    assert first["offered_quantity"] == 1 and first["value_eur"] == 1_000_000_000
    assert first["committed_quantity"] == 0 and first["delivered_eur"] == 0

    sent.clear()
    filtered = deu.get("/api/v1/offers", params={"state": "offered", "offset": 1, "limit": 1})
    assert [o["quantity"] for o in filtered.json()["items"]] == [2]
    assert filtered.json()["total"] == 3
    _two_transactions(sent, 4)


def test_the_summary_is_one_statement_with_its_codes(api: Delegations, sent: Sent) -> None:
    _offer(api, "deu", 2)
    _offer(api, "pol", 3)
    sec = api.as_("sec")
    sec.get("/api/v1/ledger/summary?group_by=member")  # the token's first use is noted
    sent.clear()
    rows = sec.get("/api/v1/ledger/summary?group_by=member,kind").json()["rows"]
    _two_transactions(sent, 3)  # the token, the state, the summary (codes joined in)
    assert [(r["member"], r["kind"], r["offered_quantity"]) for r in rows] == [
        ("DEU", "arm", 2),
        ("POL", "arm", 3),
    ]
    assert rows[0]["offered_eur"] == 2_000_000_000


def test_a_revoked_token_is_refused_on_the_next_request(api: Delegations) -> None:
    deu = api.as_("deu")
    assert deu.get("/api/v1/offers").status_code == 200
    listed = deu.get("/api/v1/auth/tokens").json()
    assert deu.delete(f"/api/v1/auth/tokens/{listed[0]['id']}").status_code == 200
    assert "revoked" in problem_of(deu.get("/api/v1/offers"), 401)["detail"]


def test_a_refused_read_leaves_no_connection_out(api: Delegations, server: LiveServer) -> None:
    """A read refused after its credential was looked up (its route never reads) still gives
    its connection back to the pool when it ends, and the next request is served."""
    mounted = server.server.config.app
    assert isinstance(mounted, Mounted) and mounted.app is not None
    engine: Engine = mounted.app.state.platform.engine
    deu = api.as_("deu")
    assert deu.get("/api/v1/offers", params={"limit": 0}).status_code == 422
    assert deu.get("/api/v1/offers/nothing").status_code == 422
    assert api.anonymous.get("/api/v1/offers").status_code == 401
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert deu.get("/api/v1/offers").status_code == 200
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_one_pooled_connection_serves_a_tokens_first_use(
    seeded: Context, database_url: str, clock: FixedClock
) -> None:
    """The first use of a token is noted (a write, in a unit of work of its own): the lookup
    gives its connection back first, so a pool of one connection serves it (holding one while
    waiting for another would wait until the pool's timeout); so do a read whose route
    writes and one whose route never reads."""
    member = actor(seeded, "deu")
    secret, _info = seeded.access.issue_token(
        member, kind="personal", name="t", scopes=member.scopes, expires_in=None
    )
    settings = Settings(
        database_url=database_url, pool_size=1, max_overflow=0, pool_timeout_seconds=2
    )
    app = create_app(settings, clock)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as client:
            for _ in range(2):  # noted, then not
                assert client.get("/api/v1/offers").status_code == 200
            # A read whose route writes (its unit of work), one whose route never reads.
            assert client.get("/api/v1/auth/tokens").status_code == 200
            assert client.get("/api/v1/auth/me").status_code == 200
            assert client.get("/api/v1/offers").status_code == 200
    finally:
        app.state.platform.engine.dispose()
