"""`shieldwall import fts`: UN OCHA FTS's sample page (200 flows to Afghanistan, 2020) imported
into the seeded council reproduces, per status, the count of flows and their US dollars as
computed here directly from the JSON; a second import changes nothing; the offer page shows
where each entry came from (issue 11, "Must show")."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from shieldwall.assistance.tables import ImportedFile, LedgerEntry, Offer
from shieldwall.audit.tables import AuditRecord
from shieldwall.cli import app
from tests.conftest import Delegations, actor
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser

# The unmodified copy in tests/data/ (checked by tests/test_import_data_copies.py).
SAMPLE = (
    Path(__file__).resolve().parent
    / "data/ocha-fts-sample/custom-search-locationid-1-year-2020.json"
)
# ECB reference rate of 4 January 2016 (1 EUR = 1.0887 USD), recorded before the first flow.
USD_RATE = Decimal("1.0887")


def flows() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]["flows"]
    return found


def shieldwall(ctx: Context, *args: str) -> Result:
    url = ctx.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(app, [*args, "--db", url], env={"COLUMNS": "200"})


def record_usd_rate(ctx: Context) -> None:
    ctx.guarantees.record_rate(
        actor(ctx, "sec"),
        currency="USD",
        rate_on=dt.date(2016, 1, 4),
        units_per_eur=USD_RATE,
        source="ECB euro foreign exchange reference rate, 4 January 2016",
    )


def counts(ctx: Context) -> tuple[int, int, int]:
    with ctx.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
            s.scalar(select(func.count()).select_from(AuditRecord)) or 0,
            s.scalar(select(func.count()).select_from(ImportedFile)) or 0,
        )


def status_in_ledger(ctx: Context) -> dict[str, tuple[str | None, int]]:
    """Per FTS flow id: the status its balances say (paid if delivered, commitment if
    committed, pledge if only offered; None with no entry) and its US dollar cents."""
    with ctx.reading() as s:
        sums: dict[str, Counter[str]] = {}
        for key, measure, cents in s.execute(
            select(Offer.external_key, LedgerEntry.measure, LedgerEntry.value_cents).join(
                LedgerEntry, LedgerEntry.offer_id == Offer.id
            )
        ):
            sums.setdefault(str(key), Counter())[measure] += cents
        out = {}
        for key, usd in s.execute(
            select(Offer.external_key, Offer.amount_usd_cents).where(
                Offer.external_key.like("fts:%")
            )
        ):
            b = sums.get(str(key), Counter())
            status = (
                "paid"
                if b["delivered"]
                else "commitment"
                if b["committed"]
                else "pledge"
                if b["offered"]
                else None
            )
            out[str(key).removeprefix("fts:")] = (status, int(usd or 0))
    return out


def test_fts_counts_and_us_dollars_by_status(api: Delegations, seeded: Context) -> None:
    record_usd_rate(seeded)
    result = shieldwall(seeded, "import", "fts", str(SAMPLE))
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "200 rows read, 184 applied, 16 already there, 0 rejected" in said
    assert "37 flows are parts of a flow also in this file" in said

    expected_count: Counter[str] = Counter()
    expected_usd: Counter[str] = Counter()
    for f in flows():
        if f["amountUSD"]:  # a flow of 0 posts no entry: its status is in no balance
            expected_count[f["status"]] += 1
            expected_usd[f["status"]] += round(Decimal(str(f["amountUSD"])) * 100)
    ledger = status_in_ledger(seeded)
    assert len(ledger) == len(flows()) == 200  # every flow is an offer, those of 0 too
    assert sum(1 for status, _usd in ledger.values() if status is None) == 16
    got_count: Counter[str] = Counter()
    got_usd: Counter[str] = Counter()
    for status, usd in ledger.values():
        if status is not None:
            got_count[status] += 1
            got_usd[status] += usd
    assert got_count == expected_count and got_usd == expected_usd
    assert set(expected_count) == {"commitment", "paid"}  # the sample has no pledge

    # Euros: as given when FTS's original currency is EUR, else USD at the recorded rate.
    first_eur = next(f for f in flows() if f.get("originalCurrency") == "EUR" and f["amountUSD"])
    first_usd = next(f for f in flows() if not f.get("originalCurrency") and f["amountUSD"])
    with seeded.reading() as s:
        for flow, cents in (
            (first_eur, Decimal(first_eur["originalAmount"]) * 100),
            (first_usd, (Decimal(first_usd["amountUSD"]) * 100 / USD_RATE).quantize(1)),
        ):
            offered = s.scalar(
                select(func.sum(LedgerEntry.value_cents))
                .join(Offer, Offer.id == LedgerEntry.offer_id)
                .where(Offer.external_key == f"fts:{flow['id']}", LedgerEntry.measure == "offered")
            )
            assert offered == cents, flow["id"]

    before = counts(seeded)
    again = shieldwall(seeded, "import", "fts", str(SAMPLE))
    assert again.exit_code == 0, again.output
    assert "200 rows read, 0 applied, 200 already there" in " ".join(again.stderr.split())
    assert counts(seeded) == before

    # The offer page of the first flow (a commitment from Switzerland, CHF 119,700).
    first = flows()[0]
    with seeded.reading() as s:
        offer = s.scalar(select(Offer.id).where(Offer.external_key == f"fts:{first['id']}"))
    sec = Browser(api.server, "sec")
    page = sec.get(f"/offers/{offer}")
    assert page.status_code == 200
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    assert "custom-search-locationid-1-year-2020.json flow 1" in text
    assert "119,700 CHF" in text and "118,868 USD" in text
    assert "reported" in text

    # The entries API names each entry's source; the pages that read every offer (the
    # dashboard, the lists, burden-sharing, the envelope, the public page) and the partner's
    # "needs you now" take reported figures in their stride: none waits for anyone.
    entries = api.as_("sec").get("/api/v1/ledger/entries", params={"offer_id": offer}).json()
    assert {(e["source_file"], e["source_line"]) for e in entries["items"]} == {(SAMPLE.name, 1)}
    for path in ("/", "/offers", "/offers?state=reported", "/deliveries", "/burden-sharing"):
        assert sec.get(path).status_code == 200, path
    for path in ("/envelope", "/public", "/requests"):
        assert sec.get(path).status_code == 200, path
    assert api.as_("ukr").get("/api/v1/inbox").json() == []


def test_a_flow_without_a_rate_applies_nothing(seeded: Context) -> None:
    result = shieldwall(seeded, "import", "fts", str(SAMPLE))
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert "no USD→EUR rate on or before 2016-03-31: record one first" in said
    assert "nothing applied" in said and "Traceback" not in result.output
    assert counts(seeded)[0] == 0 and counts(seeded)[2] == 0
