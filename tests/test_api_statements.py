"""The API's hot reads cost a fixed number of statements (issue 13, benchmarks/api_load.py):
the offers list and the ledger summary read what they show in one statement each whatever the
page holds, after one statement for the token; and the offers list, written without FastAPI
validating it again, has exactly the fields its schema declares. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from shieldwall.assistance.schemas import OfferOut
from tests.conftest import Delegations, problem_of
from tests.liveserver import LiveServer, Mounted


@pytest.fixture
def selects(server: LiveServer) -> Iterator[list[str]]:
    """The SELECTs the served app sends to its database, as they are sent."""
    mounted = server.server.config.app
    assert isinstance(mounted, Mounted) and mounted.app is not None
    engine: Engine = mounted.app.state.platform.engine
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield sent
    event.remove(engine, "before_cursor_execute", note)


def _offer(api: Delegations, member: str, quantity: int) -> None:
    body = {"kind": "arm", "member": member.upper(), "item": "patriot", "quantity": quantity}
    response = api.as_(member).post("/api/v1/offers", json=body)
    assert response.status_code == 201, response.text


def test_the_offers_list_reads_its_page_in_one_statement(
    api: Delegations, selects: list[str]
) -> None:
    deu = api.as_("deu")
    for quantity in (1, 2, 3):
        _offer(api, "deu", quantity)
    _offer(api, "pol", 4)
    deu.get("/api/v1/offers")  # the token's first use is noted (a write) once a minute
    selects.clear()
    page = deu.get("/api/v1/offers")
    assert page.status_code == 200
    # The token, the count, the page (its names, balances and need-by dates joined in).
    assert len(selects) == 3, selects
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

    selects.clear()
    filtered = deu.get("/api/v1/offers", params={"state": "offered", "offset": 1, "limit": 1})
    assert [o["quantity"] for o in filtered.json()["items"]] == [2]
    assert filtered.json()["total"] == 3 and len(selects) == 3, selects


def test_the_summary_is_one_statement_with_its_codes(api: Delegations, selects: list[str]) -> None:
    _offer(api, "deu", 2)
    _offer(api, "pol", 3)
    sec = api.as_("sec")
    sec.get("/api/v1/ledger/summary?group_by=member,kind")
    selects.clear()
    rows = sec.get("/api/v1/ledger/summary?group_by=member,kind").json()["rows"]
    assert len(selects) == 2, selects  # the token, the summary (codes joined in)
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
