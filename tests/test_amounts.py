"""Money and quantities at their bounds, through the real API, on SQLite and on PostgreSQL;
totals over more maximal entries than a 64-bit sum can hold; the page forms, the importer and
the CLI held to the same maxima."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, MetaData, Table, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from shieldwall.kit.errors import InvalidInput
from tests.cli import run
from tests.conftest import PASSWORD, TLS, Delegations, problem_of
from tests.platform import TestPlatform as Context

# The documented maxima of one record (README; kit/amounts.py), pinned here as the contract.
MAX_QUANTITY = 10**9
MAX_VALUE_CENTS = 10**14
MAX_EUROS = Decimal(MAX_VALUE_CENTS) / 100
MAX_EUROS_TEXT = "1,000,000,000,000.00"


def euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def totals(client: httpx.Client) -> dict[str, Any]:
    rows = client.get("/api/v1/ledger/summary").json()["rows"]
    return dict(rows[0]) if rows else {"offered_quantity": 0, "offered_eur": 0.0}


def at_the_bounds(maximum: int) -> st.SearchStrategy[int]:
    """The edges (below zero, zero, one, the maximum, one more) and anything around them."""
    edges = st.sampled_from([-1, 0, 1, maximum - 1, maximum, maximum + 1, 2 * maximum])
    return edges | st.integers(min_value=-maximum, max_value=2 * maximum)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quantity=at_the_bounds(MAX_QUANTITY),
    cents=at_the_bounds(MAX_VALUE_CENTS),
    as_number=st.booleans(),
)
@example(quantity=MAX_QUANTITY, cents=MAX_VALUE_CENTS, as_number=False)
@example(quantity=MAX_QUANTITY + 1, cents=MAX_VALUE_CENTS + 1, as_number=False)
@example(quantity=0, cents=-1, as_number=True)
def test_offers_at_the_bounds_of_quantity_and_value(
    api: Delegations, quantity: int, cents: int, as_number: bool
) -> None:
    """An offer within the maxima is taken and counted exactly in the totals; one beyond
    them is refused with 422 naming each wrong field and its limit, and counts nothing."""
    nor, sec = api.as_("nor"), api.as_("sec")
    value: str | float = float(Decimal(cents) / 100) if as_number else euros(cents)
    before = totals(sec)
    response = nor.post(
        "/api/v1/offers",
        json={
            "member": "NOR",
            "kind": "finance",
            "area": "demining",
            "quantity": quantity,
            "value_eur": value,
        },
    )
    after = totals(sec)
    wrong = {
        field
        for field, ok in (
            ("quantity", 1 <= quantity <= MAX_QUANTITY),
            ("value_eur", 0 <= cents <= MAX_VALUE_CENTS),
        )
        if not ok
    }
    if not wrong:
        assert response.status_code == 201, response.text
        assert after["offered_quantity"] - before["offered_quantity"] == quantity
        assert Decimal(str(after["offered_eur"])) - Decimal(str(before["offered_eur"])) == (
            pytest.approx(Decimal(cents) / 100, abs=Decimal("0.02"))
        )
        return
    body = problem_of(response, 422)
    assert {e["field"] for e in body["errors"]} == wrong
    for error in body["errors"]:
        limit = MAX_QUANTITY if error["field"] == "quantity" else int(MAX_EUROS)
        too_big = (quantity if error["field"] == "quantity" else cents) > 0
        if too_big:  # written as English writes numbers: "give at most 1,000,000,000"
            assert f"{limit:,}" in error["message"], error
    assert after == before


def test_computed_values_are_held_to_the_maximum(api: Delegations) -> None:
    """Quantity × reference unit value (a Patriot battery: €1bn) may not pass €1tn either."""
    ukr, usa, sec = api.as_("ukr"), api.as_("usa"), api.as_("sec")
    request = {"partner": "UKR", "title": "Batteries", "item": "patriot", "justification": "why"}
    ok = ukr.post("/api/v1/requests", json={**request, "quantity": 1000})
    assert ok.status_code == 201 and ok.json()["requested_eur"] == float(MAX_EUROS)
    body = problem_of(ukr.post("/api/v1/requests", json={**request, "quantity": 1001}), 422)
    assert body["errors"][0]["field"] == "quantity" and MAX_EUROS_TEXT in body["detail"]
    offer = {"member": "USA", "kind": "arm", "item": "patriot"}
    made = usa.post("/api/v1/offers", json={**offer, "quantity": 1000}).json()
    body = problem_of(usa.post("/api/v1/offers", json={**offer, "quantity": 1001}), 422)
    assert body["errors"][0]["field"] == "quantity" and MAX_EUROS_TEXT in body["detail"]
    # A correction may not carry an offer past the maximum either.
    body = problem_of(
        sec.post(
            "/api/v1/ledger/corrections",
            json={
                "offer_id": made["id"],
                "measure": "offered",
                "value_delta_eur": "0.01",
                "reason": "one more cent",
            },
        ),
        422,
    )
    assert body["errors"][0]["field"] == "value_delta_eur" and MAX_EUROS_TEXT in body["detail"]
    body = problem_of(
        sec.post(
            "/api/v1/ledger/corrections",
            json={
                "offer_id": made["id"],
                "measure": "offered",
                "quantity_delta": MAX_QUANTITY,
                "reason": "many more",
            },
        ),
        422,
    )
    assert body["errors"][0]["field"] == "quantity_delta"
    assert f"{MAX_QUANTITY:,}" in body["detail"]


# More maximal entries than a 64-bit SUM can hold: 2^63 / 10^14 ≈ 92,234.
OVERFLOWING = 100_000


def copy_entry(seeded: Context, entry_id: int, copies: int) -> None:
    """``copies`` more ledger entries like ``entry_id``, written straight into the table."""
    columns = (
        "entry_type, measure, offer_id, delivery_id, request_id, member_id, partner_id, kind, "
        "area_id, item_id, quantity, value_cents, occurred_on, month, recorded_at, reason"
    )
    chosen = ", ".join(f"e.{c.strip()}" for c in columns.split(","))
    with seeded.engine.begin() as conn:
        conn.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :copies) "
                f"INSERT INTO ledger_entry ({columns}) "
                f"SELECT {chosen} FROM ledger_entry e CROSS JOIN n WHERE e.id = :id"
            ),
            {"copies": copies, "id": entry_id},
        )


def test_totals_at_the_maxima_do_not_overflow(
    api: Delegations, seeded: Context, tmp_path: Path
) -> None:
    """One member's maximal offers cannot break anyone's totals: the summary, an offer's
    balances, the dashboard and ``shieldwall report`` stay exact past 2^63 cents."""
    offer = api.as_("deu").post(
        "/api/v1/offers",
        json={
            "member": "DEU",
            "kind": "finance",
            "area": "demining",
            "quantity": MAX_QUANTITY,
            "value_eur": str(MAX_EUROS),
        },
    )
    assert offer.status_code == 201, offer.text
    entry = api.as_("deu").get("/api/v1/ledger/entries", params={"offer_id": offer.json()["id"]})
    copy_entry(seeded, entry.json()["items"][0]["id"], OVERFLOWING - 1)
    # Entries written straight into the table, outside the app: the maintained balances are
    # recomputed from them as an operator would, past 2^63 cents too (issue 13).
    url = seeded.engine.url.render_as_string(hide_password=False)
    for command in ("rebuild", "check"):
        done = run("ledger", command, "--db", url)
        assert done.returncode == 0, done.stdout + done.stderr
    cents = OVERFLOWING * MAX_VALUE_CENTS
    assert cents > 2**63
    if seeded.engine.dialect.name == "sqlite":  # what every reader got before
        with seeded.engine.connect() as conn, pytest.raises(OperationalError, match="overflow"):
            conn.execute(text("SELECT SUM(value_cents) FROM ledger_entry"))
    for reader in ("sec", "ukr", "deu"):
        row = api.as_(reader).get("/api/v1/ledger/summary", params={"group_by": "member"})
        assert row.status_code == 200, row.text
        (deu,) = [r for r in row.json()["rows"] if r["member"] == "DEU"]
        assert deu["offered_quantity"] == OVERFLOWING * MAX_QUANTITY
        assert deu["offered_eur"] == pytest.approx(cents / 100, rel=1e-12)
    balances = api.as_("ukr").get(f"/api/v1/offers/{offer.json()['id']}").json()
    assert balances["offered_quantity"] == OVERFLOWING * MAX_QUANTITY
    with httpx.Client(verify=TLS, base_url=api.server.url, timeout=60) as browser:
        dashboard = signed_in(browser, "ukr").get("/")
    assert dashboard.status_code == 200 and "€" in dashboard.text
    report = run("report", "--group-by", "member", "--format", "json", "--db", url)
    assert report.returncode == 0, report.stderr
    assert f'"offered_quantity": {OVERFLOWING * MAX_QUANTITY}' in report.stdout


def test_the_kernel_documents_the_maxima_the_tests_pin() -> None:
    from shieldwall.kit import amounts

    assert (amounts.MAX_QUANTITY, amounts.MAX_VALUE_CENTS) == (MAX_QUANTITY, MAX_VALUE_CENTS)
    entries = amounts.MAX_LEDGER_ENTRIES
    # Over the largest supported ledger, a plain sum of quantities cannot overflow, and
    # neither half of a split sum of cents can.
    assert entries * MAX_QUANTITY < 2**63 - 1
    assert entries * amounts.LOW_MASK < 2**63 - 1
    assert entries * -(-MAX_VALUE_CENTS // 2**amounts.SPLIT_BITS) < 2**63 - 1
    assert entries * MAX_VALUE_CENTS > 2**63  # which is why cents are split


def test_split_sums_add_up_what_one_sum_cannot() -> None:
    from shieldwall.kit.amounts import cents_sums, total

    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("v", BigInteger))
    values = [2**62, 2**62, 2**62, -5, MAX_VALUE_CENTS, -(2**40) - 7]
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"v": v} for v in values])
        with pytest.raises(OperationalError, match="overflow"):
            conn.execute(select(func.sum(table.c.v)))
        row = conn.execute(select(*cents_sums(table.c.v, "total", "sqlite"))).one()
    assert total(row._mapping, "total") == sum(values)


def signed_in(client: httpx.Client, username: str) -> httpx.Client:
    """``client`` with a browser session of ``username``."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    return client


# ---- the page forms, the importer and the CLI use the same types -------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("0", 0),
        ("1,250,000.50", 125_000_050),
        (MAX_EUROS_TEXT, MAX_VALUE_CENTS),
        ("1000000000000", MAX_VALUE_CENTS),
    ],
)
def test_forms_read_amounts_as_the_api_does(typed: str, cents: int) -> None:
    from shieldwall.kit.amounts import parse_euros

    assert parse_euros("value_eur", typed) == cents


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("9e16", MAX_EUROS_TEXT),
        ("1e400", MAX_EUROS_TEXT),
        ("9" * 30, MAX_EUROS_TEXT),
        ("1000000000000.01", MAX_EUROS_TEXT),
        ("-0.01", "negative"),
        ("0.001", "two decimals"),
        ("NaN", "two decimals"),
        ("Infinity", "two decimals"),
        ("twelve", "two decimals"),
        ("9" * 5000, MAX_EUROS_TEXT),
    ],
)
def test_forms_refuse_amounts_the_api_refuses(typed: str, says: str) -> None:
    from shieldwall.kit.amounts import parse_euros

    with pytest.raises(InvalidInput, match=re.escape(says)) as refused:
        parse_euros("value_eur", typed)
    assert refused.value.extra["errors"][0]["field"] == "value_eur"


@given(st.text(max_size=40))
def test_form_amounts_accept_exactly_what_the_api_type_accepts(typed: str) -> None:
    from pydantic import TypeAdapter, ValidationError

    from shieldwall.kit.amounts import Euros, parse_euros, to_cents

    cleaned = typed.replace(",", "").strip()
    try:
        expected = to_cents(TypeAdapter(Euros).validate_python(cleaned))
    except ValidationError:
        expected = None
    try:
        got: int | None = parse_euros("value_eur", typed)
    except InvalidInput:
        got = None
    assert got == expected


@pytest.mark.parametrize("typed", ["0", "-1", "1.0", "1e3", "²", "9" * 30, str(MAX_QUANTITY + 1)])
def test_forms_refuse_quantities_the_api_refuses(typed: str) -> None:
    from shieldwall.kit.amounts import parse_quantity

    with pytest.raises(InvalidInput):
        parse_quantity("quantity", typed)
    assert parse_quantity("quantity", str(MAX_QUANTITY)) == MAX_QUANTITY


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ten", "quantity: give a whole number, like 3"),
        ("1.5", "quantity: give a whole number, like 3"),
        ("0", "quantity: give at least 1"),
        # a negative number is a whole number: its sign is what is wrong (it read "give a
        # whole number, like 3")
        ("-10", "quantity: give at least 1"),
        (" -0 ", "quantity: give at least 1"),
    ],
)
def test_a_refused_quantity_says_what_is_wrong_with_it(typed: str, message: str) -> None:
    from shieldwall.kit.amounts import parse_quantity

    with pytest.raises(InvalidInput) as refused:
        parse_quantity("quantity", typed)
    assert refused.value.detail == message


def test_page_forms_answer_422_not_500_beyond_the_maxima(api: Delegations) -> None:
    offer = api.as_("deu").post(
        "/api/v1/offers", json={"member": "DEU", "kind": "arm", "item": "patriot", "quantity": 1}
    )
    client = httpx.Client(
        verify=TLS, base_url=api.server.url, timeout=60, headers={"Accept": "text/html"}
    )
    page = signed_in(client, "ukr").get("/requests/new")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    for value in ("9e16", "1e400", "9" * 30):
        filed = client.post(
            "/requests/new",
            data={
                "csrf_token": csrf.group(1),
                "what": "area:demining",
                "title": "Fields",
                "value_eur": value,
                "justification": "mines",
            },
        )
        assert filed.status_code == 422 and MAX_EUROS_TEXT in filed.text, value
    for quantity in ("9" * 30, str(MAX_QUANTITY + 1)):
        filed = client.post(
            "/requests/new",
            data={
                "csrf_token": csrf.group(1),
                "what": "item:155mm-round",
                "title": "Rounds",
                "quantity": quantity,
                "justification": "front",
            },
        )
        assert filed.status_code == 422 and f"{MAX_QUANTITY:,}" in filed.text, quantity
    # Ids above 2^62 in a form are refused as the API refuses them.
    rejected = client.post(
        f"/offers/{offer.json()['id']}/act",
        data={"csrf_token": csrf.group(1), "action": "confirm", "delivery_id": str(2**63)},
    )
    assert rejected.status_code == 422 and "2^62" in rejected.text


def test_the_importer_holds_rows_to_the_maxima(tmp_path: Path) -> None:
    from shieldwall.importers.kiel import read_weapons

    source = tmp_path / "weapons.csv"
    header = '"donor","category","number_of_weapons","monetary_value_eur","weapons_list"\n'
    source.write_text(header + '"Atlantis","Tanks",1,1e400,"Tank (1)"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2 monetary_value_eur"):
        list(read_weapons(source))
    source.write_text(header + f'"Atlantis","Tanks",1,5,"Tank ({"9" * 40})"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2 weapons_list"):
        list(read_weapons(source))
    source.write_text(header + '"Atlan\x00tis","Tanks",1,5,"Tank (1)"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2 donor"):
        list(read_weapons(source))
