""" "Needs you now" over real HTTP (``GET /api/v1/inbox`` and the landing page), on SQLite and
PostgreSQL, for a story built through the services.

The expected lines are written out by hand from the README and issue 8: the partner answers
offers and confirms or rejects deliveries; a member answers requests addressed to it, commits
what the partner accepted and records a new delivery after a rejection; the secretariat has
nothing waiting in the ledger; a viewer reads its delegation's lines and may not act on them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text

from shieldwall.kit.clock import FixedClock
from tests.conftest import NOW, PASSWORD, TLS, Delegations, actor
from tests.platform import TestPlatform as Context

HOUR = dt.timedelta(hours=1)
REQUEST = "request addressed to you"
TO_ANSWER = "offer awaiting your answer"
TO_COMMIT = "offer accepted, awaiting your commitment"
TO_CONFIRM = "delivery awaiting your confirmation"
REJECTED = "delivery rejected"
READERS = ("ukr", "ukr-viewer", "deu", "deu-viewer", "usa", "fra", "sec")

Line = tuple[str, str, str, str]


def inbox(api: Delegations, username: str) -> list[dict[str, Any]]:
    response = api.as_(username).get("/api/v1/inbox")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def lines(api: Delegations, username: str) -> list[Line]:
    return [(w["kind"], w["title"], w["action"], w["link"]) for w in inbox(api, username)]


def everyone(api: Delegations) -> dict[str, list[Line]]:
    return {username: lines(api, username) for username in READERS}


def viewer(line: Line, delegation: str) -> Line:
    """The line as a viewer of ``delegation`` reads it: the same duty, not its own to act on."""
    kind, title, action, link = line
    return kind, title, f"{delegation} to {action} (you have read-only access)", link


@dataclass(frozen=True)
class Requests:
    rounds: int  # 155mm round, 5,000 rounds, to DEU and USA, needed by 10 April
    kits: int  # 20 demining kits, to all members, no need-by date
    patriot: int  # 1 Patriot battery, to USA only, needed by 5 April


def file_requests(seeded: Context) -> Requests:
    ukr = actor(seeded, "ukr")

    def file(item: str, quantity: int, need_by: dt.date | None, to: list[str]) -> int:
        request: int = seeded.assistance.file_request(
            ukr,
            partner="UKR",
            title=f"{item} for the front",
            area=None,
            item=item,
            quantity=quantity,
            value_cents=None,
            priority="high",
            need_by=need_by,
            justification="the front line needs them",
            addressees=to,
        )
        return request

    return Requests(
        rounds=file("155mm-round", 5000, dt.date(2024, 4, 10), ["DEU", "USA"]),
        kits=file("demining-kit", 20, None, []),
        patriot=file("patriot", 1, dt.date(2024, 4, 5), ["USA"]),
    )


def request_lines(r: Requests) -> dict[str, Line]:
    answer = "answer with an offer"
    return {
        "rounds": (
            REQUEST,
            f"Request {r.rounds}: 155mm round, 5,000 rounds for Ukraine",
            answer,
            f"/requests/{r.rounds}",
        ),
        "kits": (
            REQUEST,
            f"Request {r.kits}: Demining kit, 20 sets for Ukraine",
            answer,
            f"/requests/{r.kits}",
        ),
        "patriot": (
            REQUEST,
            f"Request {r.patriot}: Patriot battery, 1 battery for Ukraine",
            answer,
            f"/requests/{r.patriot}",
        ),
    }


def test_requests_wait_for_their_addressees_with_their_need_by_dates(
    api: Delegations, seeded: Context
) -> None:
    r = file_requests(seeded)
    q = request_lines(r)
    assert everyone(api) == {
        "ukr": [],
        "ukr-viewer": [],
        # soonest deadline first; the request without a need-by date last
        "deu": [q["rounds"], q["kits"]],
        "deu-viewer": [viewer(q["rounds"], "Germany"), viewer(q["kits"], "Germany")],
        "usa": [q["patriot"], q["rounds"], q["kits"]],
        "fra": [q["kits"]],  # neither request named to DEU and USA, nor to USA alone
        "sec": [],
    }
    # NOW is 2 April 2024 12:00 UTC; a need-by date is due at the end of that day, UTC.
    usa = inbox(api, "usa")
    assert [(w["due_at"], w["time_left_seconds"], w["overdue"]) for w in usa] == [
        ("2024-04-05T23:59:59Z", 3 * 86400 + 11 * 3600 + 59 * 60 + 59, False),
        ("2024-04-10T23:59:59Z", 8 * 86400 + 11 * 3600 + 59 * 60 + 59, False),
        (None, None, False),
    ]
    assert [(w["record_type"], w["record_id"]) for w in usa] == [
        ("request", r.patriot),
        ("request", r.rounds),
        ("request", r.kits),
    ]
    assert {dt.datetime.fromisoformat(w["since"]) for w in usa} == {NOW}


def test_each_line_goes_once_acted_on(api: Delegations, seeded: Context, clock: FixedClock) -> None:
    r = file_requests(seeded)
    q = request_lines(r)
    a, ukr, deu = seeded.assistance, actor(seeded, "ukr"), actor(seeded, "deu")

    clock.advance(HOUR)  # 13:00: DEU answers both requests addressed to it
    rounds = a.make_offer(deu, member="DEU", kind="arm", quantity=3000, request_id=r.rounds)
    kits = a.make_offer(
        deu, member="DEU", kind="equip", quantity=20, request_id=r.kits, releasability="members"
    )
    offered = {
        "rounds": (
            TO_ANSWER,
            "Germany: 155mm round, 3,000 rounds",
            "accept or decline",
            f"/offers/{rounds}",
        ),
        "kits": (
            TO_ANSWER,
            "Germany: Demining kit, 20 sets",
            "accept or decline",
            f"/offers/{kits}",
        ),
    }
    assert everyone(api) == {
        "ukr": [offered["rounds"], offered["kits"]],
        "ukr-viewer": [viewer(offered["rounds"], "Ukraine"), viewer(offered["kits"], "Ukraine")],
        "deu": [],  # both requests answered
        "deu-viewer": [],
        "usa": [q["patriot"], q["rounds"], q["kits"]],  # offered is not yet covered
        "fra": [q["kits"]],
        "sec": [],
    }

    clock.advance(HOUR)  # 14:00: Ukraine accepts both
    a.accept(ukr, rounds)
    a.accept(ukr, kits)
    accepted = {
        "rounds": (TO_COMMIT, "Germany: 155mm round, 3,000 rounds", "commit", f"/offers/{rounds}"),
        "kits": (TO_COMMIT, "Germany: Demining kit, 20 sets", "commit", f"/offers/{kits}"),
    }
    assert everyone(api) == {
        "ukr": [],
        "ukr-viewer": [],
        "deu": [accepted["rounds"], accepted["kits"]],
        "deu-viewer": [viewer(accepted["rounds"], "Germany"), viewer(accepted["kits"], "Germany")],
        "usa": [q["patriot"], q["rounds"], q["kits"]],
        "fra": [q["kits"]],
        "sec": [],
    }
    # An accepted offer has waited since it was accepted, not since it was made.
    assert [w["since"] for w in inbox(api, "deu")] == ["2024-04-02T14:00:00Z"] * 2

    clock.advance(HOUR)  # 15:00: Germany commits both; the kits request is covered
    a.commit(deu, rounds)
    a.commit(deu, kits)
    assert everyone(api) == {
        "ukr": [],
        "ukr-viewer": [],
        "deu": [],
        "deu-viewer": [],
        # the kits offer, released to members, covers its request; the rounds offer is
        # released to the partner only, so USA still sees the rounds request open
        "usa": [q["patriot"], q["rounds"]],
        "fra": [],
        "sec": [],
    }
    deliveries_wait_for_confirmation_then_a_new_delivery(api, seeded, clock, rounds, q)


def deliveries_wait_for_confirmation_then_a_new_delivery(
    api: Delegations, seeded: Context, clock: FixedClock, offer: int, q: dict[str, Line]
) -> None:
    a, ukr, deu = seeded.assistance, actor(seeded, "ukr"), actor(seeded, "deu")
    clock.advance(HOUR)  # 16:00 and 17:00: two deliveries
    first = a.record_delivery(deu, offer, quantity=1000)
    clock.advance(HOUR)
    second = a.record_delivery(deu, offer, quantity=500)
    link = f"/offers/{offer}"
    confirm = "confirm or reject delivery"
    to_confirm = [
        (TO_CONFIRM, "Germany: 155mm round, 1,000 rounds delivered on 2024-04-02", confirm, link),
        (TO_CONFIRM, "Germany: 155mm round, 500 rounds delivered on 2024-04-02", confirm, link),
    ]
    assert lines(api, "ukr") == to_confirm
    assert lines(api, "ukr-viewer") == [viewer(line, "Ukraine") for line in to_confirm]
    assert [(w["record_type"], w["record_id"]) for w in inbox(api, "ukr")] == [
        ("delivery", first),
        ("delivery", second),
    ]
    assert lines(api, "deu") == []

    clock.advance(HOUR)  # 18:00: Ukraine rejects the first
    a.reject_delivery(ukr, first, "wrong lot: fuzes missing")
    rejected = (
        REJECTED,
        "Germany: 155mm round, 1,000 rounds delivered on 2024-04-02, rejected: "
        "wrong lot: fuzes missing",
        "record a new delivery",
        link,
    )
    assert lines(api, "ukr") == [to_confirm[1]]
    assert lines(api, "deu") == [rejected]
    assert lines(api, "deu-viewer") == [viewer(rejected, "Germany")]
    assert inbox(api, "deu")[0]["since"] == "2024-04-02T18:00:00Z"

    clock.advance(HOUR)  # 19:00: confirming the second is not Germany acting on the rejection
    a.confirm_delivery(ukr, second)
    assert lines(api, "ukr") == []
    assert lines(api, "deu") == [rejected]

    clock.advance(HOUR)  # 20:00: Germany records a new delivery; it waits for Ukraine
    a.record_delivery(deu, offer, quantity=1000)
    assert lines(api, "deu") == []
    assert lines(api, "ukr") == [
        (TO_CONFIRM, "Germany: 155mm round, 1,000 rounds delivered on 2024-04-02", confirm, link)
    ]
    assert lines(api, "usa") == [q["patriot"], q["rounds"]]
    assert lines(api, "fra") == [] and lines(api, "sec") == []


def test_cancelling_the_offer_ends_the_rejection(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    a, ukr, deu = seeded.assistance, actor(seeded, "ukr"), actor(seeded, "deu")
    offer = a.make_offer(deu, member="DEU", kind="arm", quantity=2, item="patriot")
    a.accept(ukr, offer)
    a.commit(deu, offer)
    delivery = a.record_delivery(deu, offer, quantity=1)
    clock.advance(HOUR)
    a.reject_delivery(ukr, delivery, "no radar")
    assert lines(api, "deu") == [
        (
            REJECTED,
            "Germany: Patriot battery, 1 battery delivered on 2024-04-02, rejected: no radar",
            "record a new delivery",
            f"/offers/{offer}",
        )
    ]
    a.cancel(deu, offer, "batteries needed at home")
    assert lines(api, "deu") == []


def test_overdue_need_by_dates_come_first_and_say_so(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    r = file_requests(seeded)
    q = request_lines(r)
    clock.set(dt.datetime(2024, 4, 11, 12, 0, tzinfo=dt.UTC))
    usa = inbox(api, "usa")
    assert [(w["title"], w["overdue"], w["time_left_seconds"]) for w in usa] == [
        # due 5 April 23:59:59: 5 days, 12 h and 1 s ago
        (q["patriot"][1], True, -(5 * 86400 + 12 * 3600 + 1)),
        # due 10 April 23:59:59: 12 h and 1 s ago
        (q["rounds"][1], True, -(12 * 3600 + 1)),
        (q["kits"][1], False, None),
    ]
    with signed_in(api, "usa") as browser:
        page = browser.get("/")
    assert page.status_code == 200
    section = needs_you_now(page.text)
    assert "<strong>Overdue</strong>: overdue by 5 days" in section
    assert "<strong>Overdue</strong>: overdue by 12 h" in section
    assert "UTC" in section and "utc" not in section


def test_a_line_never_names_a_record_its_reader_may_not_see(
    api: Delegations, seeded: Context
) -> None:
    a, deu = seeded.assistance, actor(seeded, "deu")
    offer = a.make_offer(deu, member="DEU", kind="arm", quantity=2, item="patriot")
    line = (
        TO_ANSWER,
        "Germany: Patriot battery, 2 batteries",
        "accept or decline",
        f"/offers/{offer}",
    )
    assert lines(api, "ukr") == [line]
    # Were the offer released to its own delegation only, Ukraine could not see it: the inbox
    # reads inside the reader's releasability, so the line goes with the record.
    with seeded.engine.begin() as conn:
        conn.execute(text("UPDATE offer SET releasability = 'own' WHERE id = :id"), {"id": offer})
    assert api.as_("ukr").get(f"/api/v1/offers/{offer}").status_code == 404
    assert lines(api, "ukr") == []


def test_the_councils_lines_join_the_ledgers_most_urgent_first(
    api: Delegations, seeded: Context
) -> None:
    r = file_requests(seeded)
    q = request_lines(r)
    meeting = seeded.council.convene(
        actor(seeded, "ukr"),
        title="Air defence after the strikes on Kharkiv",
        level="ambassadors",
        crisis=True,
        reason="strikes on energy infrastructure",
        hold_within_hours=48,
    )
    deu = inbox(api, "deu")
    # The crisis consultation must meet by 4 April 12:00, before the rounds are needed (10 April).
    assert [(w["record_type"], w["record_id"], w["link"]) for w in deu] == [
        ("meeting", meeting, f"/meetings/{meeting}"),
        ("request", r.rounds, f"/requests/{r.rounds}"),
        ("request", r.kits, f"/requests/{r.kits}"),
    ]
    assert deu[0]["kind"] == "meeting to attend"
    assert deu[0]["due_at"] == "2024-04-04T12:00:00Z"
    assert deu[0]["time_left_seconds"] == 2 * 86400
    assert [(w["kind"], w["title"], w["action"], w["link"]) for w in deu[1:]] == [
        q["rounds"],
        q["kits"],
    ]
    # The chair schedules it; nothing in the ledger waits for the secretariat.
    assert [(w["kind"], w["record_id"]) for w in inbox(api, "sec")] == [
        ("meeting to schedule", meeting)
    ]


# ---- the landing page -------------------------------------------------------------------------


@contextmanager
def signed_in(api: Delegations, username: str) -> Iterator[httpx.Client]:
    """A browser session of ``username``, signed in through the sign-in form."""
    with httpx.Client(verify=TLS, base_url=api.server.url, timeout=30) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        yield client


def needs_you_now(html: str) -> str:
    found = re.search(r'<section class="needs-you".*?</section>', html, re.S)
    assert found is not None, "no Needs you now section"
    return found.group(0)


def test_the_landing_page_shows_what_needs_you_first(api: Delegations, seeded: Context) -> None:
    with signed_in(api, "deu") as browser:
        section = needs_you_now(browser.get("/").text)
        assert '<h2 id="needs-you-now">Needs you now</h2>' in section
        assert "Nothing needs you now." in section
    r = file_requests(seeded)
    with signed_in(api, "deu") as browser:
        html = browser.get("/").text
        section = needs_you_now(html)
        assert html.index("Needs you now") < html.index("Needs attention")
        assert "Nothing needs you now." not in section
        assert (
            f'<a href="/requests/{r.rounds}">'
            f"Request {r.rounds}: 155mm round, 5,000 rounds for Ukraine</a>" in section
        )
        assert "Request addressed to you: answer with an offer" in section
        assert "due in 8 days" in section
        assert "2024-04-10 23:59 UTC" in section
        assert f'<a href="/requests/{r.kits}">' in section
        assert f'href="/requests/{r.patriot}"' not in section  # addressed to USA only
    with signed_in(api, "sec") as browser:
        assert "Nothing needs you now." in needs_you_now(browser.get("/").text)


def test_quantities_read_in_the_readers_language(api: Delegations, seeded: Context) -> None:
    """Issue: the lines said "3 Patriot batteries" in English on a French or Ukrainian page.
    An item's name is the catalogue's; its counted unit is the reader's, with the plural form
    its language asks for (Ukrainian has three: 1 батарея, 2 батареї, 20 комплектів)."""
    file_requests(seeded)
    deu = actor(seeded, "deu")
    seeded.assistance.make_offer(deu, member="DEU", kind="arm", quantity=2, item="patriot")
    seeded.assistance.make_offer(deu, member="DEU", kind="arm", quantity=3000, item="155mm-round")
    expected = {
        ("usa", "fr"): ["Patriot battery, 1 batterie", "Demining kit, 20 lots"],
        ("usa", "uk"): ["Patriot battery, 1 батарея", "Demining kit, 20 комплектів"],
        ("ukr", "fr"): ["Patriot battery, 2 batteries", "155mm round, 3\u202f000 obus"],
        ("ukr", "uk"): ["Patriot battery, 2 батареї", "155mm round, 3\u00a0000 снарядів"],
    }
    for (username, language), shown in expected.items():
        with signed_in(api, username) as browser:
            page = browser.get("/", headers={"Accept-Language": language})
        assert page.headers["content-language"] == language
        section = needs_you_now(page.text)
        for words in shown:
            assert words in section, (username, language, words)
        assert "batteries" not in section or language == "fr"
        assert "sets" not in section and "rounds" not in section


def test_a_sum_reads_in_the_readers_language(api: Delegations, seeded: Context) -> None:
    """A request for a sum in a capability area: its line said "Demining worth
    €200,000,000.00" on a Ukrainian or French page (English digits and signs); the sum is
    written as the reader's language writes money, to the cent."""
    seeded.assistance.file_request(
        actor(seeded, "ukr"),
        partner="UKR",
        title="Demining for the sowing season",
        area="demining",
        item=None,
        quantity=None,
        value_cents=20_000_000_000,
        priority="high",
        need_by=None,
        justification="fields to clear before sowing",
        addressees=["USA"],
    )
    expected = {
        "en": "€200,000,000.00",
        "fr": "200\u202f000\u202f000,00\u00a0€",
        "uk": "200\u00a0000\u00a0000,00\u00a0EUR",  # CLDR: the code, not the sign, in Ukrainian
    }
    for language, amount in expected.items():
        with signed_in(api, "usa") as browser:
            page = browser.get("/", headers={"Accept-Language": language})
        section = needs_you_now(page.text)
        assert amount in section, (language, section)
        if language != "en":
            assert "€200,000,000.00" not in section
