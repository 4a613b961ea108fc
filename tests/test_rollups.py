"""Maintained balances (issue 13) on both databases: an upgraded database's roll-ups are filled
from the entries it already holds, and a summary that only the entries can answer (by offer or
by entry type) still reads them, filtered by releasability like the rest."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import event, text

from shieldwall.assistance import queries
from shieldwall.kit.db import alembic_config
from tests.conftest import SETUP, actor
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform
from tests.test_ledger_stateful import (
    _offer_balances_from_entries,
    _rollups_from_entries,
    _stored_offer_balances,
    _stored_rollups,
)


def _ledger(ctx: Context) -> tuple[int, int]:
    """DEU: 10 rounds offered, 8 committed, 5 delivered, released to members; USA: training
    answering a request to all members, kept for the partner's eyes."""
    a = ctx.assistance
    deu = a.make_offer(SETUP, member="DEU", kind="arm", quantity=10, item="155mm-round")
    a.accept(SETUP, deu)
    a.commit(SETUP, deu, 8)
    a.confirm_delivery(SETUP, a.record_delivery(SETUP, deu, quantity=5))
    a.widen(SETUP, "offer", deu, "members")
    request = a.file_request(
        SETUP,
        partner="UKR",
        title="Crews",
        area="air-defence",
        item=None,
        quantity=None,
        value_cents=1_000_000_00,
        priority="high",
        need_by=None,
        justification="for the new batteries",
    )
    usa = a.make_offer(
        SETUP, member="USA", kind="train", quantity=4, request_id=request, value_cents=400_000_00
    )
    return deu, usa


def test_upgrading_fills_the_rollups_from_the_entries(seeded: Context, database_url: str) -> None:
    _ledger(seeded)
    config = alembic_config(database_url)
    command.downgrade(config, "0010_item_without_price")
    command.upgrade(config, "head")
    with seeded.reading() as s:
        filled = _stored_rollups(s)
        assert filled == _rollups_from_entries(s)
        assert _stored_offer_balances(s) == _offer_balances_from_entries(s)
        # Grain 2 (no item, no month): one row per offer here, each at its offer's level.
        coarse = s.execute(
            text(
                "SELECT kind, releasability, offered_quantity, committed_quantity,"
                " delivered_quantity FROM ledger_rollup WHERE grain = 2 ORDER BY kind"
            )
        ).all()
    assert [tuple(r) for r in coarse] == [
        ("arm", "members", 10, 8, 5),
        ("train", "partner", 4, 0, 0),
    ]


def test_a_summary_by_entry_type_reads_the_entries_as_each_reader_may(seeded: Context) -> None:
    deu, usa = _ledger(seeded)
    with seeded.reading() as s:
        where = queries.EntryFilter(entry_type="offered")
        # Norway, a member, sees DEU's offer (released to members) and USA's (addressed to
        # all members, but kept for the partner: not to Norway).
        nor = queries.ledger_summary(s, actor(seeded, "nor"), ["member"], where)
        sec = queries.ledger_summary(s, actor(seeded, "sec"), ["member"], where)
        one = queries.ledger_summary(s, SETUP, [], queries.EntryFilter(offer_id=usa))
    assert [(r["member"], r["offered_quantity"]) for r in nor] == [("DEU", 10)]
    assert sorted((r["member"], r["offered_quantity"]) for r in sec) == [("DEU", 10), ("USA", 4)]
    assert one[0]["offered_eur"] == 400_000.0 and deu != usa


def test_the_entry_list_by_member_or_month_is_served_by_an_index(seeded_sqlite_url: str) -> None:
    """Each ledger entry the table import writes costs it its secondary indexes; dropping
    ``ix_ledger_entry_member_kind`` and ``ix_ledger_entry_month`` would save ~6 µs of an offer
    row (``benchmarks/import.py``), but the entry list filtered by member or by month would
    then read the whole ledger (its count and its page: 10 → 38–45 ms at 150,000 entries). So
    they stay, and SQLite's plans for the list's statements must use them."""
    context = open_test_platform(seeded_sqlite_url)
    statements: list[tuple[str, Any]] = []

    def keep(_c: Any, _cur: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "FROM ledger_entry" in statement:
            statements.append((statement, parameters))

    plans = {}
    for name, where in {
        "member": queries.EntryFilter(member="DEU"),
        "month": queries.EntryFilter(month_from="2024-03", month_to="2024-03"),
    }.items():
        statements.clear()
        with context.reading() as s:
            event.listen(context.engine, "before_cursor_execute", keep)
            try:
                queries.list_entries(s, SETUP, where)
            finally:
                event.remove(context.engine, "before_cursor_execute", keep)
            plans[name] = [
                " / ".join(
                    r[3] for r in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {q}", p)
                )
                for q, p in statements
            ]
    context.engine.dispose()
    # The count, then the page (sorted by id after the index found its rows).
    assert plans == {
        "member": [
            "SEARCH ledger_entry USING COVERING INDEX ix_ledger_entry_member_kind (member_id=?)",
            "SEARCH ledger_entry USING INDEX ix_ledger_entry_member_kind (member_id=?)"
            " / USE TEMP B-TREE FOR ORDER BY",
        ],
        "month": [
            "SEARCH ledger_entry USING COVERING INDEX ix_ledger_entry_month (month>? AND month<?)",
            "SEARCH ledger_entry USING INDEX ix_ledger_entry_month (month>? AND month<?)"
            " / USE TEMP B-TREE FOR ORDER BY",
        ],
    }
