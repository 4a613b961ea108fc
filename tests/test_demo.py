"""The shipped demo: its public facts are the sources' own figures, and what it invents is
marked illustrative. The expected numbers are written out by hand from the sources' READMEs
(Kiel's release 29; the NATO–Ukraine Council dataset)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shieldwall.access.model import SYSTEM
from shieldwall.app import create_app
from shieldwall.assistance import queries
from shieldwall.assistance.tables import CapabilityItem, Offer
from shieldwall.delegations.tables import Delegation
from shieldwall.demo import DEMO_PASSWORD, KIEL_WEAPONS, MEMBERS, NAME_TO_CODE
from shieldwall.demo.records import HERE
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from tests.conftest import DEMO_NOW, TLS, BuiltDemo
from tests.liveserver import LiveServer
from tests.platform import open_test_platform

# The SHA-256 of the Kiel file as shipped, recorded beside it in `sha256sum` format.
KIEL_WEAPONS_SHA256 = KIEL_WEAPONS.with_name(KIEL_WEAPONS.name + ".sha256")
# The read-only sources, where CI lays `shared/` out beside the checkout.
SHARED = Path(__file__).resolve().parents[2] / "shared/data"
SHARED_WEAPONS = SHARED / "kiel-ust-r29/weapons.csv"
KIEL_DATA_EXPLORER = KIEL_WEAPONS.with_name("kiel-ust-r29-data-explorer.csv")
SHARED_DATA_EXPLORER = SHARED / "kiel-ust-r29/data_explorer.csv"
MEETINGS = HERE / "nuc_meetings.csv"
SHARED_MEETINGS = SHARED / "nato-ukraine-council/meetings.csv"

# From the council dataset's README.
CRISIS_DAYS = {"2023-07-26", "2024-01-10", "2024-04-19", "2024-08-28", "2024-11-26"}
CRISIS_DAYS |= {"2025-09-01", "2026-01-12"}
LEVELS = {
    "defence ministers": 9,
    "foreign ministers": 6,
    "ambassadors": 5,
    "chiefs of defence": 3,
    "summit": 2,
    "military representatives": 1,
    "political committee": 1,
    "unstated": 3,
}
NOT_CONFIRMED = {"2025-06-24", "2026-01-22", "2026-02-12"}
ANNOUNCED_ON_THE_DAY = {"2025-11-11", "2025-12-03"}


@pytest.mark.parametrize(
    ("shipped", "shared"),
    [
        (KIEL_WEAPONS, SHARED_WEAPONS),
        (KIEL_DATA_EXPLORER, SHARED_DATA_EXPLORER),
        (MEETINGS, SHARED_MEETINGS),
    ],
)
def test_shipped_copies_are_unmodified(shipped: Path, shared: Path) -> None:
    recorded, name = shipped.with_name(shipped.name + ".sha256").read_text().split()
    assert name == shipped.name
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == recorded
    if shared.exists():
        assert shipped.read_bytes() == shared.read_bytes()


def test_demo_carries_kiel_figures_and_membership(demo_template: BuiltDemo, tmp_path: Path) -> None:
    ctx = open_test_platform(demo_template.copy(tmp_path), FixedClock(DEMO_NOW))
    with KIEL_WEAPONS.open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["donor"] in NAME_TO_CODE]
    kiel_eur = sum(float(r["monetary_value_eur"]) for r in rows)
    kiel_count = sum(int(r["number_of_weapons"]) for r in rows)
    # The rows listing several weapons, e.g. Germany's Air Defense: Iris-T SLM (14) and
    # Patriot (5), 19 weapons, €3,880,245,637 for the two together.
    several = [r for r in rows if ";" in r["weapons_list"]]
    with ctx.reading() as s:
        offered = s.execute(
            select(func.sum(Offer.value_cents), func.sum(Offer.quantity)).where(
                Offer.illustrative.is_(False), Offer.item_id.is_not(None)
            )
        ).one()
        categories = s.execute(
            select(Offer.value_cents, Offer.quantity, Offer.description).where(
                Offer.illustrative.is_(False), Offer.item_id.is_(None)
            )
        ).all()
        kiel_items = [
            (i.code, i.reference_unit_value_cents, i.price_date)
            for i in s.scalars(select(CapabilityItem))
            if "kiel-ust" in i.tags
        ]
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
    # Kiel's values stay on its rows: a row naming one weapon is that weapon's offer with the
    # row's value; a row naming several is one offer per weapon (Kiel's count, no value) and one
    # offer of its category carrying the row's value and count. So the values sum to Kiel's,
    # the weapons' offers count Kiel's weapons, and no Kiel item has a price.
    single_eur = sum(float(r["monetary_value_eur"]) for r in rows if r not in several)
    assert round(offered[0] / 100) == round(single_eur)
    assert offered[1] == kiel_count
    assert len(categories) == len(several) == 25
    assert round((offered[0] + sum(c.value_cents for c in categories)) / 100) == round(kiel_eur)
    assert sorted(c.quantity for c in categories) == sorted(
        int(r["number_of_weapons"]) for r in several
    )
    assert (3_880_245_637_00, 19) in [(c.value_cents, c.quantity) for c in categories]
    assert len(kiel_items) > 50
    assert [code for code, price, day in kiel_items if price is not None or day] == []
    assert members == len(MEMBERS) == 32
    assert sweden_joined == dt.date(2024, 3, 7)
    assert swedish_offer_days and min(swedish_offer_days) >= dt.date(2024, 3, 7)
    assert all(r.illustrative for r in requests)
    assert {"covered", "partially covered"} <= statuses
    assert demo_template.counts["requests"] == len(requests) == 11
    ctx.engine.dispose()


# ---- the council -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sec(
    demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """The API of a copy of the demo, on the demo's present, as the secretariat's chair."""
    url = demo_template.copy(tmp_path_factory.mktemp("demo-api"))
    app = create_app(Settings(database_url=url), FixedClock(DEMO_NOW))
    with LiveServer(app) as live, httpx.Client(verify=TLS, base_url=live.url, timeout=30) as client:
        signed_in = client.post(
            "/api/v1/auth/token", data={"username": "sec", "password": DEMO_PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        client.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
        yield client
    app.state.platform.engine.dispose()


def _get(client: httpx.Client, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def meetings(sec: httpx.Client) -> dict[str, dict[str, Any]]:
    """The real meetings by their day (YYYY-MM-DD); the illustrative late consultation as
    "illustrative", and the consultation the trigger exercise convened as "exercise"."""
    page = _get(sec, "/api/v1/meetings?limit=1000")
    assert page["total"] == len(page["items"]) == 32
    by_key = {_key(m): m for m in page["items"]}
    assert len(by_key) == 32
    return by_key


def _key(meeting: dict[str, Any]) -> str:
    if not meeting["illustrative"]:
        return _day(meeting)
    return "exercise" if meeting["title"].startswith("Exercise: ") else "illustrative"


def _day(meeting: dict[str, Any]) -> str:
    return str(meeting["starts_at"][:10])


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_the_demo_counts_what_it_built(demo_template: BuiltDemo) -> None:
    counts = demo_template.counts
    assert (counts["meetings"], counts["meetings_held"]) == (30, 25)
    assert (counts["illustrative_consultations"], counts["illustrative_proposals"]) == (1, 3)


def test_the_councils_real_meetings_are_listed_with_their_sources(
    meetings: dict[str, dict[str, Any]],
) -> None:
    real = [m for m in meetings.values() if not m["illustrative"]]
    assert len(real) == 30
    assert Counter(m["level"] for m in real) == LEVELS
    assert {_day(m) for m in real if m["crisis"]} == CRISIS_DAYS
    assert {m["convened_by"] for m in real if m["crisis"]} == {"UKR"}
    assert {m["convened_by"] for m in real if not m["crisis"]} == {"SEC"}
    assert all(m["sources"] and m["sources"][0].startswith("http") for m in real)
    black_sea = meetings["2023-07-26"]
    assert black_sea["crisis"] and black_sea["level"] == "ambassadors"
    assert black_sea["convened_at"].startswith("2023-07-22")  # the README's request day
    assert black_sea["held_at"].startswith("2023-07-26")
    assert "https://pravda.com.ua/eng/news/2023/07/26/7413001" in black_sea["sources"]
    assert all(m["held_in_time"] for m in real if m["crisis"])


def test_held_meetings_are_closed_with_illustrative_minutes_and_their_outcome(
    sec: httpx.Client, meetings: dict[str, dict[str, Any]]
) -> None:
    held = [m for m in meetings.values() if not m["illustrative"] and m["held_at"]]
    assert len(held) == 25
    assert {m["state"] for m in held} == {"closed"}
    assert all(m["minutes_illustrative"] for m in held)
    assert all(m["minutes"].startswith("Illustrative minutes") for m in held)
    washington = _get(sec, f"/api/v1/meetings/{meetings['2024-07-11']['id']}")
    [item] = washington["agenda"]
    assert item["title"].startswith("NUC of heads of state and government")
    assert item["outcome"].startswith("NUC statement: Ukraine's future is in NATO")


def test_meetings_not_reported_held_stay_scheduled_and_say_why(
    meetings: dict[str, dict[str, Any]],
) -> None:
    real = {day: m for day, m in meetings.items() if day not in ("illustrative", "exercise")}
    unheld = {day: m for day, m in real.items() if not m["held_at"]}
    assert set(unheld) == NOT_CONFIRMED | ANNOUNCED_ON_THE_DAY
    assert {m["state"] for m in unheld.values()} == {"scheduled"}
    assert all(m["minutes"] is None for m in unheld.values())
    assert all("not confirmed held" in unheld[day]["title"] for day in NOT_CONFIRMED)
    assert all("no later report" in unheld[day]["title"] for day in ANNOUNCED_ON_THE_DAY)


def test_a_crisis_consultation_not_held_in_time_is_flagged_late(
    meetings: dict[str, dict[str, Any]],
) -> None:
    late = meetings["illustrative"]
    assert (late["crisis"], late["convened_by"], late["state"]) == (True, "UKR", "scheduled")
    assert late["late"] and late["held_at"] is None
    assert _at(late["hold_by"]) < _at(late["flagged_late_at"]) <= DEMO_NOW
    assert _at(late["starts_at"]) > DEMO_NOW  # scheduled for after its time limit


def test_the_deterrence_partnership_splits_the_allies(sec: httpx.Client) -> None:
    proposals = {p["title"]: p for p in _get(sec, "/api/v1/proposals")["items"]}
    assert len(proposals) == 3 and all(p["illustrative"] for p in proposals.values())
    found = proposals["A deterrence and defence partnership, with a signal of membership"]
    proposal = _get(sec, f"/api/v1/proposals/{found['id']}")
    assert (proposal["state"], proposal["outcome"]) == ("in discussion", None)
    stances = {p["delegation"]: p["stance"] for p in proposal["positions"]}
    eastern = {"POL", "EST", "LVA", "LTU", "ROU"}
    assert all(stances[code] == "support" for code in eastern)
    assert proposal["objections"] == ["DEU", "USA"]
    assert all(p["reason"] for p in proposal["positions"] if p["stance"] == "object")
    assert [p["stance"] for p in proposal["history"] if p["delegation"] == "FRA"] == [
        "object",
        "abstain",
    ]


def test_silence_adopted_one_proposal_and_runs_on_another(sec: httpx.Client) -> None:
    by_state = {p["state"]: p for p in _get(sec, "/api/v1/proposals")["items"]}
    assert _at(by_state["under silence"]["silence_deadline"]) > DEMO_NOW
    [outcome] = _get(sec, "/api/v1/outcomes")
    assert (outcome["proposal_id"], outcome["procedure"]) == (by_state["adopted"]["id"], "silence")


def test_the_clearing_house_is_not_empty_in_the_demo(
    sec: httpx.Client, demo_template: BuiltDemo
) -> None:
    """availability.toml's three lines, matched at the demo's present (2 March 2026) against
    what is still open: of the shells 280,000 and of the drones 60,000 after the demo's offers,
    20 PAC-3 interceptors and 8 crews to train. Germany's 20,000 and Poland's 10,000 shells
    go whole; France's drones at most 4,000 to one request (its condition); all arrive past
    the 2024 need-by dates, so the run counts them late at a discount."""
    lines = _get(sec, "/api/v1/availability")
    assert sorted((a["member"], a["item"], a["quantity"]) for a in lines) == [
        ("DEU", "155mm-round", 20_000),
        ("FRA", "fpv-drone", 5_000),
        ("POL", "155mm-round", 10_000),
    ]
    assert all(a["illustrative"] for a in lines)
    [run] = _get(sec, "/api/v1/matching/runs")
    assert (run["late_rule"], run["outcome"], run["stage"]) == ("discount", "matched", "done")
    detail = _get(sec, f"/api/v1/matching/runs/{run['id']}")
    proposed = [(p["member"], p["request"], p["quantity"]) for p in detail["proposals"]]
    assert proposed == [
        ("DEU", "155mm artillery ammunition", 20_000),
        ("POL", "155mm artillery ammunition", 10_000),
        ("FRA", "FPV drones", 4_000),
    ]
    assert all(p["state"] == "proposed" for p in detail["proposals"])
    assert "the member gives at most this much to one request" in detail["proposals"][2]["why"]
    uncovered = {u["request"]: (u["quantity"], u["cause"]) for u in detail["uncovered"]}
    assert uncovered == {
        "155mm artillery ammunition": (250_000, "not-enough-quantity"),
        "PAC-3 interceptors": (20, "no-compatible-item"),
        "Air-defence crews trained": (8, "no-compatible-item"),
        "FPV drones": (56_000, "not-enough-quantity"),
    }
    counts = demo_template.counts
    assert (counts["illustrative_availability"], counts["matching_proposals"]) == (3, 3)


# ---- the README's tour -----------------------------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_offers_the_readme_names_are_the_demos(sec: httpx.Client) -> None:
    """A newcomer opens the offer the README names: it must be that member's offer of that
    item and quantity ("Netherlands: offer #59 of PAC-3 MSE interceptor" was Denmark's IFVs)."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    named = re.findall(r"(\w+): offer #(\d+) of ([^,]+), (\d+) ", text) + [
        (member, number, item, quantity)
        for number, member, item, quantity in re.findall(
            r"offer #(\d+) \((\w+): ([^,]+), (\d+) ", text
        )
    ]
    assert len(named) == 2, named
    for member, number, item, quantity in named:
        offer = _get(sec, f"/api/v1/offers/{number}")
        found = (offer["member_name"], offer["item_name"], str(offer["quantity"]))
        assert found == (member, item, quantity), number
