"""The rules of obligation clocks, held to answers written out by hand from the brief's words:
an event opens the obligations of its kind on every instrument with the partner in force on
the day it occurred; each is due ``within_hours`` after the event; a duty to consult is met
when the member attended a consultation held by the deadline (at the deadline is in time); an
item is open, then met or overdue, and an overdue one may be met late; a year's report opens
on 1 January after it, for instruments in force at any time in the year; the partner (for
itself) and the secretariat declare; the member bound or the secretariat records a report."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest

from shieldwall.access.model import SYSTEM, Actor, Releasability, Role, Scope
from shieldwall.delegations.model import DelegationKind
from shieldwall.guarantees.model import ObligationAction, Trigger
from shieldwall.kit.errors import Forbidden, IllegalTransition, InvalidInput
from shieldwall.obligations import model, policy
from shieldwall.obligations.model import DueState, DueStep, Standing
from shieldwall.obligations.policy import Action

UTC = dt.UTC
T0 = dt.datetime(2024, 4, 2, 12, 0, tzinfo=UTC)
SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
KYIV = dt.timezone(dt.timedelta(hours=3))  # summer time, as on 1 April 2024


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """The process's local time zone 14 hours ahead of UTC: the rules must not depend on it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


# ---- states ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "met_at", "reads"),
    [
        (DueState.OPEN, None, Standing.OPEN),
        (DueState.MET, T0, Standing.MET),
        (DueState.OVERDUE, None, Standing.OVERDUE),
        (DueState.OVERDUE, T0, Standing.MET_LATE),
    ],
)
def test_standing(state: DueState, met_at: dt.datetime | None, reads: Standing) -> None:
    assert model.standing(state, met_at) == reads


def test_met_late_is_stored_overdue() -> None:
    assert model.STORED == {
        Standing.OPEN: DueState.OPEN,
        Standing.MET: DueState.MET,
        Standing.OVERDUE: DueState.OVERDUE,
        Standing.MET_LATE: DueState.OVERDUE,
    }


DUE = dt.datetime(2024, 4, 2, 5, 0, tzinfo=UTC)

# (standing, met at) → the standing after meeting the duty then, or None if refused.
MEETINGS: list[tuple[Standing, dt.datetime, Standing | None]] = [
    (Standing.OPEN, DUE - HOUR, Standing.MET),
    (Standing.OPEN, DUE, Standing.MET),  # at the deadline is in time
    (Standing.OPEN, DUE + SECOND, Standing.MET_LATE),
    (Standing.OVERDUE, DUE + DAY, Standing.MET_LATE),
    # held in time, but recorded after the scheduler had marked it overdue: met
    (Standing.OVERDUE, DUE - HOUR, Standing.MET),
    (Standing.MET, DUE, None),  # met is final
    (Standing.MET_LATE, DUE + DAY, None),
]


@pytest.mark.parametrize(("now", "met_at", "after"), MEETINGS)
def test_met(now: Standing, met_at: dt.datetime, after: Standing | None) -> None:
    if after is None:
        with pytest.raises(IllegalTransition) as refused:
            model.met(now, met_at, DUE, "obligation 7")
        assert refused.value.detail == f"cannot record as met obligation 7: it is {now.value}"
        assert refused.value.extra == {"current_state": now.value, "action": "record as met"}
    else:
        assert model.met(now, met_at, DUE, "obligation 7") == after


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (Standing.OPEN, True),
        (Standing.OVERDUE, False),
        (Standing.MET, False),
        (Standing.MET_LATE, False),
    ],
)
def test_overdue(now: Standing, allowed: bool) -> None:
    if allowed:
        assert model.overdue(now, "obligation 3") == Standing.OVERDUE
    else:
        with pytest.raises(IllegalTransition, match="cannot mark overdue obligation 3: it is "):
            model.overdue(now, "obligation 3")


def test_require_step() -> None:
    model.require_step(Standing.OVERDUE, DueStep.MEET, "obligation 1")
    with pytest.raises(IllegalTransition, match=r"^cannot mark overdue obligation 1: it is met$"):
        model.require_step(Standing.MET, DueStep.MARK_OVERDUE, "obligation 1")


@pytest.mark.parametrize(
    ("now", "passed"), [(DUE - SECOND, False), (DUE, False), (DUE + SECOND, True)]
)
def test_deadline_passed(now: dt.datetime, passed: bool) -> None:
    assert model.deadline_passed(DUE, now) is passed


def test_due_at() -> None:
    # An armed attack at 05:00 UTC, consult within 24 h: by 05:00 UTC the next day.
    assert model.due_at(dt.datetime(2024, 4, 1, 5, 0, tzinfo=UTC), 24) == DUE
    assert model.due_at(dt.datetime(2024, 4, 1, 8, 0, tzinfo=KYIV), 24) == DUE
    assert model.due_at(dt.datetime(2024, 12, 31, 0, 0, tzinfo=UTC), 720) == dt.datetime(
        2025, 1, 30, 0, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("held_at", "attended", "met"),
    [
        (DUE - HOUR, True, True),
        (DUE, True, True),  # at the deadline is in time
        (DUE + SECOND, True, False),  # held late
        (DUE - HOUR, False, False),  # absent
        (DUE + SECOND, False, False),
    ],
)
def test_consultation_met(held_at: dt.datetime, attended: bool, met: bool) -> None:
    assert model.consultation_met(held_at, DUE, attended) is met


# ---- what an event opens -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("armed attack", Trigger.ARMED_ATTACK),
        (" Threat of Attack ", Trigger.THREAT_OF_ATTACK),
    ],
)
def test_declared_kind(text: str, kind: Trigger) -> None:
    assert model.declared_kind("kind", text) == kind


@pytest.mark.parametrize("text", ["year end", "invasion", "", "armed-attack"])
def test_declared_kind_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.declared_kind("kind", text)
    assert refused.value.detail == (
        "kind: use one of armed attack, threat of attack (a year end is declared by the calendar)"
    )


@pytest.mark.parametrize(
    ("kind", "clause", "opens"),
    [
        (Trigger.ARMED_ATTACK, "armed attack", True),
        (Trigger.THREAT_OF_ATTACK, "threat of attack", True),
        (Trigger.ARMED_ATTACK, "threat of attack", False),
        (Trigger.THREAT_OF_ATTACK, "armed attack", False),
        (Trigger.ARMED_ATTACK, "year end", False),
        (Trigger.YEAR_END, "year end", False),  # the calendar's, never declared
    ],
)
def test_matches(kind: Trigger, clause: str, opens: bool) -> None:
    assert model.matches(kind, clause) is opens


@pytest.mark.usefixtures("far_from_utc")
def test_occurred_on_is_the_utc_day() -> None:
    assert model.occurred_on(dt.datetime(2024, 4, 2, 1, 30, tzinfo=KYIV)) == dt.date(2024, 4, 1)
    assert model.occurred_on(dt.datetime(2024, 4, 1, 23, 30, tzinfo=UTC)) == dt.date(2024, 4, 1)


# The UK's agreement: from 12 January 2024 for ten years, six months' notice.
FROM, UNTIL = dt.date(2024, 1, 12), dt.date(2034, 1, 12)


@pytest.mark.parametrize(
    ("on", "until", "notice_on", "partner", "clause", "opens"),
    [
        (dt.date(2024, 4, 1), UNTIL, None, True, "armed attack", True),
        (FROM, UNTIL, None, True, "armed attack", True),  # its first day
        (dt.date(2024, 1, 11), UNTIL, None, True, "armed attack", False),  # not yet
        (dt.date(2034, 1, 11), UNTIL, None, True, "armed attack", True),  # its last day
        (UNTIL, UNTIL, None, True, "armed attack", False),  # expired
        (dt.date(2024, 4, 1), UNTIL, None, False, "armed attack", False),  # another partner
        (dt.date(2024, 4, 1), UNTIL, None, True, "threat of attack", False),  # another clause
        (dt.date(2024, 4, 1), None, None, True, "armed attack", True),  # until accession
        # notice given 1 October 2024, six months: binds until 1 April 2025
        (dt.date(2025, 3, 31), UNTIL, dt.date(2024, 10, 1), True, "armed attack", True),
        (dt.date(2025, 4, 1), UNTIL, dt.date(2024, 10, 1), True, "armed attack", False),
    ],
)
def test_opens(
    on: dt.date,
    until: dt.date | None,
    notice_on: dt.date | None,
    partner: bool,
    clause: str,
    opens: bool,
) -> None:
    assert (
        model.opens(
            Trigger.ARMED_ATTACK,
            clause,
            with_partner=partner,
            on=on,
            valid_from=FROM,
            valid_until=until,
            notice_given_on=notice_on,
            notice_months=6,
        )
        is opens
    )


@pytest.mark.parametrize(
    ("on", "opens"), [(dt.date(2024, 9, 30), True), (dt.date(2024, 10, 1), False)]
)
def test_a_notice_without_a_period_ends_it_at_once(on: dt.date, opens: bool) -> None:
    assert (
        model.opens(
            Trigger.ARMED_ATTACK,
            "armed attack",
            with_partner=True,
            on=on,
            valid_from=FROM,
            valid_until=UNTIL,
            notice_given_on=dt.date(2024, 10, 1),
        )
        is opens
    )


@pytest.mark.parametrize(
    ("occurred_at", "joined_on"),
    [
        (T0, None),  # just now
        (T0 - 30 * DAY, None),  # thirty days ago, the longest
        (dt.datetime(2024, 4, 2, 0, 0, tzinfo=UTC), dt.date(2024, 4, 2)),  # its first day seated
        (dt.datetime(2024, 4, 2, 2, 0, tzinfo=KYIV), dt.date(2024, 4, 1)),
    ],
)
def test_occurred_at_accepted(occurred_at: dt.datetime, joined_on: dt.date | None) -> None:
    model.check_occurred_at(occurred_at, T0, joined_on)


@pytest.mark.parametrize(
    ("occurred_at", "joined_on", "message"),
    [
        (T0 + SECOND, None, "an event is declared once it has happened, not before"),
        (T0 - 30 * DAY - SECOND, None, "an event is declared within 30 days of when it occurred"),
        (
            dt.datetime(2024, 4, 1, 23, 59, tzinfo=UTC),
            dt.date(2024, 4, 2),
            "the partner has sat in the council only since 2024-04-02",
        ),
        (
            # 01:00 in Kyiv on 2 April is 1 April in UTC
            dt.datetime(2024, 4, 2, 1, 0, tzinfo=KYIV),
            dt.date(2024, 4, 2),
            "the partner has sat in the council only since 2024-04-02",
        ),
        (
            dt.datetime(2024, 4, 2, 11, 0),
            None,
            "give the time zone (or Z for UTC) with the time",
        ),
    ],
)
def test_occurred_at_refused(
    occurred_at: dt.datetime, joined_on: dt.date | None, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.check_occurred_at(occurred_at, T0, joined_on)
    assert refused.value.detail == f"occurred_at: {message}"


@pytest.mark.parametrize(
    ("check", "field", "missing"),
    [
        (model.check_description, "description", "say what happened"),
        (model.check_evidence, "evidence", "say how the obligation was met"),
    ],
)
def test_required_texts(check: object, field: str, missing: str) -> None:
    assert callable(check)
    assert check("  Missile strikes on Kyiv.\nDozens killed.  ") == (
        "Missile strikes on Kyiv.\nDozens killed."
    )
    assert check(" " + "x" * 5000 + " ") == "x" * 5000
    for blank in ("", "   ", "\n\t"):
        with pytest.raises(InvalidInput) as refused:
            check(blank)
        assert refused.value.detail == f"{field}: {missing}"
    with pytest.raises(InvalidInput) as refused:
        check("x" * 5001)
    assert refused.value.detail == f"{field}: at most 5,000 characters"
    with pytest.raises(InvalidInput) as refused:
        check("strikes\x00")
    assert refused.value.detail == f"{field}: contains the control character U+0000"


@pytest.mark.parametrize(
    ("deadlines", "within"),
    [
        ([], 168 * HOUR),  # no duty to consult: the council's limit
        ([T0 - HOUR], 168 * HOUR),  # the only one has passed
        ([T0], 168 * HOUR),  # at its instant: passed for the purpose
        ([T0 + 23 * HOUR], 23 * HOUR),
        ([T0 + 30 * HOUR, T0 + 23 * HOUR, T0 - HOUR], 23 * HOUR),  # the earliest ahead
        ([T0 + 10 * SECOND], MINUTE),  # at least a minute
        ([T0 + MINUTE + SECOND], MINUTE + SECOND),
        ([T0 + 400 * DAY], 365 * DAY),  # at most the council's year
        ([T0 + 365 * DAY], 365 * DAY),
    ],
)
def test_hold_within(deadlines: list[dt.datetime], within: dt.timedelta) -> None:
    assert model.hold_within(deadlines, T0, 168.0) == within


def test_hold_within_uses_the_councils_limit_given() -> None:
    assert model.hold_within([], T0, 72.5) == dt.timedelta(hours=72, minutes=30)


# ---- year ends ---------------------------------------------------------------------------


def test_year_end_opens() -> None:
    assert model.year_end_opens(2024) == dt.datetime(2025, 1, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("year", "valid_from", "valid_until", "notice_on", "bound"),
    [
        (2024, FROM, UNTIL, None, True),  # from 12 January
        (2023, FROM, UNTIL, None, False),  # before it began
        (2034, FROM, UNTIL, None, True),  # its last eleven days
        (2035, FROM, UNTIL, None, False),
        (2024, dt.date(2024, 12, 31), None, None, True),  # its first day is the last of 2024
        (2024, dt.date(2025, 1, 1), None, None, False),
        (2025, FROM, dt.date(2025, 1, 1), None, False),  # ended as 2025 began
        (2025, FROM, dt.date(2025, 1, 2), None, True),  # bound on 1 January
        # notice given 1 July 2024, six months: ends 1 January 2025
        (2025, FROM, UNTIL, dt.date(2024, 7, 1), False),
        # notice given 1 October 2024, six months: binds until 1 April 2025
        (2025, FROM, UNTIL, dt.date(2024, 10, 1), True),
        (2024, FROM, UNTIL, dt.date(2024, 7, 1), True),
    ],
)
def test_in_force_during(
    year: int,
    valid_from: dt.date,
    valid_until: dt.date | None,
    notice_on: dt.date | None,
    bound: bool,
) -> None:
    assert model.in_force_during(year, valid_from, valid_until, notice_on, 6) is bound


@pytest.mark.parametrize(
    ("until", "notice_on", "now", "years"),
    [
        (UNTIL, None, dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC), [2024, 2025]),
        (UNTIL, None, dt.datetime(2025, 1, 1, 0, 0, tzinfo=UTC), [2024]),
        (UNTIL, None, dt.datetime(2024, 12, 31, 23, 59, tzinfo=UTC), []),
        # 01:00 in Kyiv on 1 January 2025 is still 2024 in UTC
        (UNTIL, None, dt.datetime(2025, 1, 1, 1, 0, tzinfo=dt.timezone(2 * HOUR)), []),
        (dt.date(2025, 3, 1), None, dt.datetime(2027, 6, 1, tzinfo=UTC), [2024, 2025]),
        (None, dt.date(2024, 7, 1), dt.datetime(2027, 6, 1, tzinfo=UTC), [2024]),
        (None, dt.date(2024, 10, 1), dt.datetime(2027, 6, 1, tzinfo=UTC), [2024, 2025]),
    ],
)
@pytest.mark.usefixtures("far_from_utc")
def test_years_to_report(
    until: dt.date | None, notice_on: dt.date | None, now: dt.datetime, years: list[int]
) -> None:
    assert model.years_to_report(FROM, until, notice_on, 6, now) == years


# ---- in words ----------------------------------------------------------------------------


def test_duty() -> None:
    assert model.duty(ObligationAction.CONSULT, None) == (
        "Consult the partner: attend the crisis consultation"
    )
    assert model.duty(ObligationAction.REPORT, 2024) == "Report on implementation for 2024"
    assert model.duty(ObligationAction.REPORT, None) == "Report on implementation"


@pytest.mark.usefixtures("far_from_utc")
def test_utc_text_and_exercise() -> None:
    assert model.utc_text(dt.datetime(2024, 4, 2, 8, 5, tzinfo=KYIV)) == "2024-04-02 05:05 UTC"
    assert model.exercise_marked("Crisis consultation", True) == "Exercise: Crisis consultation"
    assert model.exercise_marked("Crisis consultation", False) == "Crisis consultation"


# ---- who may -----------------------------------------------------------------------------

UKR, DEU, USA, SEC, OTHER_PARTNER = 2, 3, 4, 1, 9


def _actor(
    code: str,
    delegation_id: int,
    kind: DelegationKind,
    role: Role,
    scopes: frozenset[Scope] = frozenset(Scope),
) -> Actor:
    return Actor(
        code.lower(),
        delegation=code,
        delegation_id=delegation_id,
        delegation_kind=kind,
        role=role,
        user_id=delegation_id,
        scopes=scopes,
    )


P, M, S = DelegationKind.PARTNER, DelegationKind.MEMBER, DelegationKind.SECRETARIAT
ukr = _actor("UKR", UKR, P, Role.HEAD_OF_DELEGATION)
ukr_officer = _actor("UKR", UKR, P, Role.OFFICER)
ukr_viewer = _actor("UKR", UKR, P, Role.VIEWER)
ukr_read_token = _actor("UKR", UKR, P, Role.OFFICER, frozenset({Scope.READ}))
deu = _actor("DEU", DEU, M, Role.OFFICER)
deu_viewer = _actor("DEU", DEU, M, Role.VIEWER)
usa = _actor("USA", USA, M, Role.HEAD_OF_DELEGATION)
chair = _actor("SEC", SEC, S, Role.CHAIR)
staff = _actor("SEC", SEC, S, Role.STAFF)
admin = _actor("SEC", SEC, S, Role.ADMIN)

# Who may declare an event concerning UKR: the partner itself (an acting role with the write
# scope), the chair and staff of the secretariat; nobody else, and no one for another partner.
DECLARE = [
    (ukr, UKR, True),
    (ukr_officer, UKR, True),
    (ukr, OTHER_PARTNER, False),  # a partner declares for itself only
    (ukr_viewer, UKR, False),
    (ukr_read_token, UKR, False),
    (deu, UKR, False),
    (chair, UKR, True),
    (staff, OTHER_PARTNER, True),
    (admin, UKR, False),  # the admin reads everything and changes nothing
    (SYSTEM, UKR, True),
]


@pytest.mark.parametrize(("who", "partner", "may"), DECLARE)
def test_who_declares(who: Actor, partner: int, may: bool) -> None:
    assert policy.allowed(who, Action.DECLARE_TRIGGER, partner) is may
    if may:
        policy.require(who, Action.DECLARE_TRIGGER, owner_id=partner, record="for UKR")
    else:
        with pytest.raises(Forbidden):
            policy.require(who, Action.DECLARE_TRIGGER, owner_id=partner, record="for UKR")


def test_a_refusal_without_a_record_names_none() -> None:
    with pytest.raises(Forbidden) as refused:
        policy.require(deu, Action.DECLARE_TRIGGER, owner_id=UKR)
    assert refused.value.detail == (
        "DEU may not declare a trigger event: "
        "only the delegation the record belongs to or the secretariat may"
    )


def test_refusals_say_who_may() -> None:
    with pytest.raises(Forbidden) as member:
        policy.require(deu, Action.DECLARE_TRIGGER, owner_id=UKR, record="for UKR")
    assert member.value.detail == (
        "DEU may not declare a trigger event (for UKR): "
        "only the delegation the record belongs to or the secretariat may"
    )
    with pytest.raises(Forbidden) as viewer:
        policy.require(deu_viewer, Action.RECORD_MET, owner_id=DEU, record="obligation 4")
    assert viewer.value.detail == (
        "DEU may not record an obligation as met (obligation 4): deu has read-only access"
    )


@pytest.mark.parametrize(
    ("who", "may"),
    [
        (ukr, True),
        (ukr_officer, True),
        (ukr_viewer, False),
        (ukr_read_token, False),
        (deu, False),
        (usa, False),
        (chair, True),
        (staff, True),
        (admin, False),
        (SYSTEM, False),  # a process declares through the service, not a page
    ],
)
def test_may_declare(who: Actor, may: bool) -> None:
    assert policy.may_declare(who) is may


REPORT, CONSULT = ObligationAction.REPORT, ObligationAction.CONSULT


@pytest.mark.parametrize(
    ("who", "action", "now", "member", "may"),
    [
        (deu, REPORT, Standing.OPEN, DEU, True),
        (deu, REPORT, Standing.OVERDUE, DEU, True),  # met late
        (deu, REPORT, Standing.MET, DEU, False),
        (deu, REPORT, Standing.MET_LATE, DEU, False),
        (deu, CONSULT, Standing.OPEN, DEU, False),  # from the consultation's record only
        (usa, REPORT, Standing.OPEN, DEU, False),  # another member's
        (deu_viewer, REPORT, Standing.OPEN, DEU, False),
        (ukr, REPORT, Standing.OPEN, DEU, False),  # the partner does not report for members
        (chair, REPORT, Standing.OPEN, DEU, True),
        (staff, REPORT, Standing.OVERDUE, DEU, True),
        (chair, CONSULT, Standing.OVERDUE, DEU, False),
        (admin, REPORT, Standing.OPEN, DEU, False),
    ],
)
def test_may_record_met(
    who: Actor, action: ObligationAction, now: Standing, member: int, may: bool
) -> None:
    assert policy.may_record_met(who, action, now, member) is may


def test_triggers_are_the_councils_unless_widened() -> None:
    assert policy.TRIGGER_DEFAULT == Releasability.COUNCIL


# ---- a duty inside a sentence ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("duty", "reads"),
    [
        ("Report on implementation", "report on implementation"),
        ("Notify NATO", "notify NATO"),  # only the first letter: the rest is kept as written
        ("x", "x"),
        ("", ""),
    ],
)
def test_a_duty_inside_a_sentence_starts_in_lower_case(duty: str, reads: str) -> None:
    assert model.in_sentence(duty) == reads
