"""The rules of "Needs you now", with answers written out by hand: the order of the list, the
time left, the words for quantities, and which offers, requests and deliveries wait for whom.
No database: milliseconds."""

from __future__ import annotations

import datetime as dt

import pytest

from shieldwall.access.model import Actor, Role, Scope
from shieldwall.assistance import model, policy, words
from shieldwall.assistance.model import OfferAction, OfferState
from shieldwall.assistance.policy import Action
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.i18n import using_locale
from shieldwall.kit.inbox import (
    Waiting,
    days_left_text,
    is_overdue,
    most_urgent_first,
    time_left_text,
)

UTC = dt.UTC
NOW = dt.datetime(2024, 4, 2, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2024, 4, day, hour, minute, second, tzinfo=UTC)


def line(name: str, due_at: dt.datetime | None = None, since: dt.datetime | None = None) -> Waiting:
    return Waiting(
        kind="k",
        title=name,
        action="a",
        link="/",
        record_type="offer",
        record_id=int(name[1:]),
        due_at=due_at,
        since=since,
    )


# ---- the order ------------------------------------------------------------------------------


def test_overdue_first_then_soonest_deadline_then_oldest_without_one() -> None:
    lines = [
        line("n1", since=at(1)),  # no deadline, waiting since 1 April
        line("d2", due_at=at(5), since=at(1)),  # due in 3 days
        line("o3", due_at=at(1), since=at(1)),  # overdue by a day and a half
        line("n4", since=at(2)),  # no deadline, waiting since 2 April
        line("d5", due_at=at(2, 15)),  # due in 3 hours
        line("o6", due_at=at(2, 11)),  # overdue by an hour
        line("n7"),  # no deadline, nothing says since when
        line("n8", since=at(1, 6)),
    ]
    order = [w.title for w in most_urgent_first(lines)]
    assert order == ["o3", "o6", "d5", "d2", "n1", "n8", "n4", "n7"]


def test_same_deadline_oldest_waiting_first_then_by_record() -> None:
    lines = [
        line("a9", due_at=at(5), since=at(3)),
        line("a4", due_at=at(5), since=at(1)),
        line("a7", due_at=at(5)),
        line("a2", due_at=at(5)),
        line("a3", due_at=at(5), since=at(3)),
    ]
    assert [w.title for w in most_urgent_first(lines)] == ["a4", "a3", "a9", "a2", "a7"]


def test_an_empty_list_stays_empty() -> None:
    assert most_urgent_first([]) == []


# ---- the time left --------------------------------------------------------------------------

# (deadline, what it reads at NOW = 2 April 2024 12:00 UTC)
TIME_LEFT: list[tuple[dt.datetime | None, str | None]] = [
    (None, None),
    (at(7, 12), "due in 5 days"),
    (at(7, 11, 59), "due in 4 days"),  # rounded down: never more time than is left
    (at(3, 12), "due in 1 day"),
    (at(3, 11, 59, 59), "23 h left"),
    (at(2, 15), "3 h left"),
    (at(2, 13), "1 h left"),
    (at(2, 12, 59, 59), "59 min left"),
    (at(2, 12, 1), "1 min left"),
    (at(2, 12, 0, 59), "less than a minute left"),
    (at(2, 12), "less than a minute left"),  # the deadline itself is still met
    (at(2, 11, 59, 59), "overdue by less than a minute"),
    (at(2, 11, 59), "overdue by 1 min"),
    (at(2, 11, 0, 1), "overdue by 59 min"),
    (at(2, 11), "overdue by 1 h"),
    (at(1, 12, 0, 1), "overdue by 23 h"),
    (at(1, 12), "overdue by 1 day"),
    (at(1, 11), "overdue by 1 day"),
    (dt.datetime(2024, 3, 31, 12, tzinfo=UTC), "overdue by 2 days"),
]


@pytest.mark.parametrize(("due_at", "reads"), TIME_LEFT)
def test_time_left_reads(due_at: dt.datetime | None, reads: str | None) -> None:
    assert time_left_text(due_at, NOW) == reads


def test_overdue_once_the_deadline_has_passed() -> None:
    assert is_overdue(at(2, 11, 59, 59), NOW) is True
    assert is_overdue(at(2, 12), NOW) is False
    assert is_overdue(at(2, 12, 0, 1), NOW) is False
    assert is_overdue(None, NOW) is False


def test_a_line_tells_its_time_left() -> None:
    assert line("x1", due_at=at(2, 15)).time_left(NOW) == dt.timedelta(hours=3)
    assert line("x1", due_at=at(2, 11)).time_left(NOW) == dt.timedelta(hours=-1)
    assert line("x1").time_left(NOW) is None


# ---- words ----------------------------------------------------------------------------------

QUANTITIES = [
    ("en", 3, "Patriot battery", "battery", "Patriot battery, 3 batteries"),
    ("en", 1, "Patriot battery", "battery", "Patriot battery, 1 battery"),
    ("en", 5000, "155mm round", "round", "155mm round, 5,000 rounds"),
    ("en", 20, "Demining kit", "set", "Demining kit, 20 sets"),
    ("en", 6, "F-16 combat aircraft", "aircraft", "F-16 combat aircraft, 6 aircraft"),
    ("en", 7, "Cyber defence support", "eur", "Cyber defence support, €7"),
    ("en", 4, "Drone kit", "crate", "Drone kit, 4 × crate"),  # a unit no catalogue ships
    ("en", 5, "Air defence", None, "Air defence, 5"),  # an offer of an area counts no unit
    ("fr", 3, "Patriot battery", "battery", "Patriot battery, 3 batteries"),
    ("fr", 1, "Demining kit", "set", "Demining kit, 1 lot"),
    ("fr", 5000, "155mm round", "round", "155mm round, 5\u202f000 obus"),
    ("uk", 1, "Patriot battery", "battery", "Patriot battery, 1 батарея"),
    ("uk", 3, "Patriot battery", "battery", "Patriot battery, 3 батареї"),
    ("uk", 5, "Patriot battery", "battery", "Patriot battery, 5 батарей"),
    ("uk", 21, "Demining kit", "set", "Demining kit, 21 комплект"),
    ("uk", 5000, "155mm round", "round", "155mm round, 5\u00a0000 снарядів"),
]


@pytest.mark.parametrize(("locale", "quantity", "name", "unit", "reads"), QUANTITIES)
def test_a_quantity_of_an_item(
    locale: str, quantity: int, name: str, unit: str | None, reads: str
) -> None:
    with using_locale(locale):
        assert words.quantity_of(quantity, name, unit) == reads


def test_a_need_by_date_is_due_at_the_end_of_that_day_utc() -> None:
    assert model.need_by_deadline(dt.date(2024, 4, 10)) == dt.datetime(
        2024, 4, 10, 23, 59, 59, tzinfo=UTC
    )


# ---- what waits for whom --------------------------------------------------------------------

# README: an offer is offered → accepted or declined by the partner → committed → delivered.
AWAITED: dict[OfferState, OfferAction | None] = {
    OfferState.OFFERED: OfferAction.ACCEPT,  # the partner's answer
    OfferState.ACCEPTED: OfferAction.COMMIT,  # the member's commitment
    OfferState.DECLINED: None,
    OfferState.COMMITTED: None,  # deliveries wait, not the offer
    OfferState.DELIVERED: None,
    OfferState.WITHDRAWN: None,
    OfferState.CANCELLED: None,
    OfferState.REPORTED: None,  # an outside tracker's figure waits for nobody
}


@pytest.mark.parametrize("state", list(OfferState))
def test_the_step_an_offer_waits_for(state: OfferState) -> None:
    assert model.awaited_step(state.value) == AWAITED[state]


ANSWERS: dict[OfferState, bool] = {
    OfferState.OFFERED: True,
    OfferState.ACCEPTED: True,
    OfferState.COMMITTED: True,
    OfferState.DELIVERED: True,
    OfferState.DECLINED: False,  # the partner said no: the request waits again
    OfferState.WITHDRAWN: False,
    OfferState.CANCELLED: False,
    OfferState.REPORTED: False,  # reported offers answer no request (issue 11)
}


@pytest.mark.parametrize("state", list(OfferState))
def test_which_offers_answer_their_request(state: OfferState) -> None:
    assert model.answers_request(state.value) is ANSWERS[state]


REJECTED_AT = at(5, 12)
# (offer state, when a delivery was last recorded on the offer, does the rejection still wait)
REJECTIONS: list[tuple[OfferState, dt.datetime | None, bool]] = [
    (OfferState.COMMITTED, at(5, 9), True),  # the rejected delivery itself, or an older one
    (OfferState.COMMITTED, REJECTED_AT, True),  # at the same instant: not after it
    (OfferState.COMMITTED, at(5, 12, 0, 1), False),  # a new delivery after the rejection
    (OfferState.COMMITTED, None, True),
    (OfferState.CANCELLED, at(5, 9), False),  # the member cancelled what was left
    (OfferState.DELIVERED, at(5, 9), False),  # delivered in full (e.g. after a correction)
]


@pytest.mark.parametrize(("state", "last_recorded", "waits"), REJECTIONS)
def test_a_rejected_delivery_waits_until_the_member_acts(
    state: OfferState, last_recorded: dt.datetime | None, waits: bool
) -> None:
    assert model.rejection_awaits_member(state.value, REJECTED_AT, last_recorded) is waits


# ---- the policy: whose duty it is, and who may act on it ----------------------------------

SEC, UKR, DEU, FRA = 1, 2, 4, 6


def of(
    code: str, delegation_id: int, kind: DelegationKind, role: Role, read_only: bool = False
) -> Actor:
    scopes = frozenset({Scope.READ}) if read_only else frozenset(Scope)
    return Actor(code.lower(), code, delegation_id, kind, role, scopes=scopes)


M, P, S = DelegationKind.MEMBER, DelegationKind.PARTNER, DelegationKind.SECRETARIAT
ACTORS = {
    "sec": of("SEC", SEC, S, Role.CHAIR),
    "ukr": of("UKR", UKR, P, Role.HEAD_OF_DELEGATION),
    "ukr-viewer": of("UKR", UKR, P, Role.VIEWER),
    "deu": of("DEU", DEU, M, Role.OFFICER),
    "deu-viewer": of("DEU", DEU, M, Role.VIEWER),
    "deu-read-token": of("DEU", DEU, M, Role.OFFICER, read_only=True),
    "fra": of("FRA", FRA, M, Role.OFFICER),
}
# On DEU's offer to UKR: (whose duty it is to answer / commit / settle / record, may act)
# README: the partner accepts or declines and confirms or rejects deliveries; the member commits
# and records deliveries; viewers and read-only tokens change nothing.
Y, N = True, False
# fmt: off
DUTIES: dict[str, dict[Action, tuple[bool, bool]]] = {
    #                  answer    manage    settle    record
    "sec":            {Action.ANSWER_OFFER: (N, N), Action.MANAGE_OFFER: (N, N),
                       Action.SETTLE_DELIVERY: (N, N), Action.RECORD_DELIVERY: (N, N)},
    "ukr":            {Action.ANSWER_OFFER: (Y, Y), Action.MANAGE_OFFER: (N, N),
                       Action.SETTLE_DELIVERY: (Y, Y), Action.RECORD_DELIVERY: (N, N)},
    "ukr-viewer":     {Action.ANSWER_OFFER: (Y, N), Action.MANAGE_OFFER: (N, N),
                       Action.SETTLE_DELIVERY: (Y, N), Action.RECORD_DELIVERY: (N, N)},
    "deu":            {Action.ANSWER_OFFER: (N, N), Action.MANAGE_OFFER: (Y, Y),
                       Action.SETTLE_DELIVERY: (N, N), Action.RECORD_DELIVERY: (Y, Y)},
    "deu-viewer":     {Action.ANSWER_OFFER: (N, N), Action.MANAGE_OFFER: (Y, N),
                       Action.SETTLE_DELIVERY: (N, N), Action.RECORD_DELIVERY: (Y, N)},
    "deu-read-token": {Action.ANSWER_OFFER: (N, N), Action.MANAGE_OFFER: (Y, N),
                       Action.SETTLE_DELIVERY: (N, N), Action.RECORD_DELIVERY: (Y, N)},
    "fra":            {Action.ANSWER_OFFER: (N, N), Action.MANAGE_OFFER: (N, N),
                       Action.SETTLE_DELIVERY: (N, N), Action.RECORD_DELIVERY: (N, N)},
}
# fmt: on


@pytest.mark.parametrize("name", list(DUTIES))
def test_whose_duty_and_who_may_act(name: str) -> None:
    who = ACTORS[name]
    for action, (duty, may) in DUTIES[name].items():
        assert policy.delegation_may(who, action, DEU, UKR) is duty, (name, action)
        assert policy.allowed(who, action, DEU, UKR) is may, (name, action)


# A request to (all members | DEU and USA by name | USA only), active: whose offer it awaits.
# README: an addressed member answers; the partner, the secretariat and others do not.
# fmt: off
REQUEST_AWAITS: dict[str, tuple[bool, bool, bool]] = {
    #                 all  DEU+USA  USA
    "sec":           (N,   N,       N),
    "ukr":           (N,   N,       N),
    "ukr-viewer":    (N,   N,       N),
    "deu":           (Y,   Y,       N),
    "deu-viewer":    (Y,   Y,       N),  # its delegation's duty, shown to read
    "deu-read-token": (Y,  Y,       N),
    "fra":           (Y,   N,       N),
}
# fmt: on
ADDRESSED: tuple[tuple[bool, list[str]], ...] = (
    (True, []),
    (False, ["DEU", "USA"]),
    (False, ["USA"]),
)


@pytest.mark.parametrize("name", list(REQUEST_AWAITS))
def test_whose_offer_a_request_awaits(name: str) -> None:
    who = ACTORS[name]
    for (to_all, addressees), waits in zip(ADDRESSED, REQUEST_AWAITS[name], strict=True):
        assert policy.request_awaits(who, True, to_all, addressees) is waits, (name, addressees)
        assert policy.request_awaits(who, False, to_all, addressees) is False, name


def test_only_acting_users_answer_the_request_their_delegation_is_asked() -> None:
    deu, viewer, token = ACTORS["deu"], ACTORS["deu-viewer"], ACTORS["deu-read-token"]
    assert policy.may_answer_request(deu, True, False, ["DEU"]) is True
    assert policy.may_answer_request(deu, False, False, ["DEU"]) is False
    assert policy.may_answer_request(deu, True, False, ["USA"]) is False
    assert policy.may_answer_request(viewer, True, False, ["DEU"]) is False
    assert policy.may_answer_request(token, True, True, []) is False


# A day's deadline (a need-by date) in whole days: due on the day itself, missed once it has
# passed; None without a deadline.
DAYS_LEFT: list[tuple[dt.date | None, str | None]] = [
    (None, None),
    (dt.date(2024, 4, 2), "due today"),
    (dt.date(2024, 4, 3), "due in 1 day"),
    (dt.date(2024, 4, 5), "due in 3 days"),
    (dt.date(2024, 4, 1), "overdue by 1 day"),
    (dt.date(2024, 3, 31), "overdue by 2 days"),
]


@pytest.mark.parametrize(("due_on", "reads"), DAYS_LEFT)
def test_days_left_text(due_on: dt.date | None, reads: str | None) -> None:
    assert days_left_text(due_on, dt.date(2024, 4, 2)) == reads
