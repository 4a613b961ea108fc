"""The council and catalogue the benchmarks' generated rows name: a partner, 32 members, 12
capability areas and 500 items, with fixed ids (shared by ledger_summary.py and import.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from shieldwall.assistance.tables import CapabilityArea, CapabilityItem
from shieldwall.delegations.tables import Delegation

MEMBERS = 32
ITEMS = 500
AREAS = 12
KINDS = ["arm", "train", "equip", "finance"]


def reference_rows(engine: Engine) -> None:
    """Partner id 1 (``PRT``), members ids 2… (``M00``…), areas and items ids 1…."""
    with engine.begin() as conn:
        conn.execute(
            insert(Delegation),
            [{"id": 1, "code": "PRT", "name": "Partner", "kind": "partner"}]
            + [
                {"id": i + 2, "code": f"M{i:02d}", "name": f"Member {i}", "kind": "member"}
                for i in range(MEMBERS)
            ],
        )
        conn.execute(
            insert(CapabilityArea),
            [
                {"id": a + 1, "code": f"area-{a}", "name": f"Area {a}", "description": ""}
                for a in range(AREAS)
            ],
        )
        conn.execute(
            insert(CapabilityItem),
            [
                {
                    "id": i + 1,
                    "code": f"item-{i}",
                    "name": f"Item {i}",
                    "area_id": i % AREAS + 1,
                    "unit": "unit",
                    "reference_unit_value_cents": 100_00 * (i + 1),
                    "price_date": dt.date(2024, 1, 1),
                    "tags": [],
                }
                for i in range(ITEMS)
            ],
        )
