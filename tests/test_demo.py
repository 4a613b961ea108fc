"""The shipped demo: its public facts are the sources' own figures."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import func, select

from shieldwall.access.model import SYSTEM
from shieldwall.assistance import queries
from shieldwall.assistance.tables import Offer
from shieldwall.delegations.tables import Delegation
from shieldwall.demo import KIEL_WEAPONS, MEMBERS, NAME_TO_CODE, build_demo
from shieldwall.kit.clock import FixedClock
from tests.platform import open_test_platform

# The SHA-256 of the Kiel file as shipped, recorded beside it in `sha256sum` format.
KIEL_WEAPONS_SHA256 = KIEL_WEAPONS.with_name(KIEL_WEAPONS.name + ".sha256")
# The read-only source, where CI lays `shared/` out beside the checkout.
SHARED_WEAPONS = Path(__file__).resolve().parents[2] / "shared/data/kiel-ust-r29/weapons.csv"


def test_shipped_kiel_copy_is_unmodified() -> None:
    recorded, name = KIEL_WEAPONS_SHA256.read_text().split()
    assert name == KIEL_WEAPONS.name
    assert hashlib.sha256(KIEL_WEAPONS.read_bytes()).hexdigest() == recorded
    if SHARED_WEAPONS.exists():
        assert KIEL_WEAPONS.read_bytes() == SHARED_WEAPONS.read_bytes()


def test_demo_carries_kiel_figures_and_membership(sqlite_url: str) -> None:
    ctx = open_test_platform(sqlite_url, FixedClock(dt.datetime(2023, 7, 12, tzinfo=dt.UTC)))
    counts = build_demo(ctx, progress=False)
    with KIEL_WEAPONS.open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["donor"] in NAME_TO_CODE]
    kiel_eur = sum(float(r["monetary_value_eur"]) for r in rows)
    kiel_count = sum(int(r["number_of_weapons"]) for r in rows)
    with ctx.reading() as s:
        offered = s.execute(
            select(func.sum(Offer.value_cents), func.sum(Offer.quantity)).where(
                Offer.illustrative.is_(False)
            )
        ).one()
        members = s.scalar(select(func.count()).where(Delegation.kind == "member"))
        sweden = s.scalar(select(Delegation).where(Delegation.code == "SWE"))
        assert sweden is not None
        sweden_joined = sweden.joined_on
        swedish_offer_days = [
            o.offered_at.date()
            for o in s.scalars(select(Offer).where(Offer.member_id == sweden.id))
        ]
        requests = queries.list_requests(s, SYSTEM)
        statuses = {r.status for r in requests}
    assert round(offered[0] / 100) == round(kiel_eur)
    assert offered[1] == kiel_count
    assert members == len(MEMBERS) == 32
    assert sweden_joined == dt.date(2024, 3, 7)
    assert swedish_offer_days and min(swedish_offer_days) >= dt.date(2024, 3, 7)
    assert all(r.illustrative for r in requests)
    assert {"covered", "partially covered"} <= statuses
    assert counts["requests"] == len(requests) == 11
    ctx.engine.dispose()
