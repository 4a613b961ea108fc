"""The rules of security guarantees (``guarantees.model``) and who may do what with them
(``guarantees.policy``), with the answers written out by hand: an instrument binds from its
start until its term ends or a termination notice takes effect, whichever is first — on the
last day before the notice takes effect it still binds, on that day it no longer does; months
are added as the calendar has them (31 January + 1 month is 29 February in a leap year); an
amount is converted to euro cents at a dated rate, rounded half to even. No database:
milliseconds (these are what ``make mutants`` runs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shieldwall.access.model import SYSTEM, Actor, Role, Scope
from shieldwall.delegations.model import DelegationKind
from shieldwall.guarantees import model, policy
from shieldwall.guarantees.model import Category, ObligationAction, StepKind, StepStatus, Trigger
from shieldwall.guarantees.policy import Action
from shieldwall.kit.errors import Forbidden, InvalidInput, RuleViolation

D = dt.date


def _field_error(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    error = exc.value.extra["errors"][0]
    return str(error["field"]), str(error["message"])


# ---- months and terms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "months", "answer"),
    [
        (D(2024, 1, 12), 6, D(2024, 7, 12)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # a leap year's February has 29 days
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2100, 1, 31), 1, D(2100, 2, 28)),  # 2100 is not a leap year
        (D(2000, 1, 31), 1, D(2000, 2, 29)),  # 2000 is
        (D(2024, 3, 31), 6, D(2024, 9, 30)),  # September has 30 days
        (D(2024, 8, 31), 6, D(2025, 2, 28)),  # across the year's end
        (D(2024, 12, 15), 1, D(2025, 1, 15)),  # December → January
        (D(2024, 11, 30), 1, D(2024, 12, 30)),  # into December, not the next year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # 29 February, a year on
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2024, 5, 17), 0, D(2024, 5, 17)),
        (D(2024, 1, 12), 120, D(2034, 1, 12)),  # ten years
        (D(2024, 1, 12), 23, D(2025, 12, 12)),
        (D(2024, 1, 12), 24, D(2026, 1, 12)),
    ],
)
def test_add_months(on: dt.date, months: int, answer: dt.date) -> None:
    assert model.add_months(on, months) == answer


@pytest.mark.parametrize(
    ("valid_from", "years", "answer"),
    [
        (D(2024, 1, 12), 10, D(2034, 1, 12)),
        (D(2024, 2, 29), 10, D(2034, 2, 28)),
        (D(2024, 2, 29), 1, D(2025, 2, 28)),
        (D(2024, 2, 16), None, None),  # no term stated: open-ended
    ],
)
def test_term_end(valid_from: dt.date, years: int | None, answer: dt.date | None) -> None:
    assert model.term_end(valid_from, years) == answer


@pytest.mark.parametrize(
    ("given_on", "months", "answer"),
    [
        (D(2024, 3, 31), 6, D(2024, 9, 30)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 5, 2), None, D(2024, 5, 2)),  # no period: at once
        (D(2024, 5, 2), 0, D(2024, 5, 2)),
    ],
)
def test_notice_takes_effect(given_on: dt.date, months: int | None, answer: dt.date) -> None:
    assert model.notice_takes_effect(given_on, months) == answer


@pytest.mark.parametrize(
    ("valid_until", "notice_on", "months", "answer"),
    [
        (D(2034, 1, 12), None, 6, D(2034, 1, 12)),  # the term's end
        (None, None, 6, None),  # open-ended, no notice
        (None, D(2024, 3, 31), 6, D(2024, 9, 30)),  # an open-ended one ends by notice
        (D(2034, 1, 12), D(2024, 3, 31), 6, D(2024, 9, 30)),  # notice before the term ends
        (D(2024, 6, 1), D(2024, 3, 31), 6, D(2024, 6, 1)),  # the term ends first
        (D(2034, 1, 12), D(2024, 3, 31), None, D(2024, 3, 31)),  # no period: at once
    ],
)
def test_ends_on(
    valid_until: dt.date | None,
    notice_on: dt.date | None,
    months: int | None,
    answer: dt.date | None,
) -> None:
    assert model.ends_on(valid_until, notice_on, months) == answer


# An instrument signed 12 January 2024 for ten years with six months' notice, notice given on
# 31 March 2024: it binds to 29 September 2024 and ends on 30 September.
START, TERM_END, NOTICE_ON = D(2024, 1, 12), D(2034, 1, 12), D(2024, 3, 31)


@pytest.mark.parametrize(
    ("on", "notice_on", "answer"),
    [
        (D(2024, 1, 11), None, False),  # before it starts
        (D(2024, 1, 12), None, True),  # its first day
        (D(2034, 1, 11), None, True),  # the last day of its term
        (D(2034, 1, 12), None, False),  # the term has run
        (D(2024, 4, 1), NOTICE_ON, True),  # notice given: it still binds
        (D(2024, 9, 29), NOTICE_ON, True),  # the last day before the notice takes effect
        (D(2024, 9, 30), NOTICE_ON, False),  # the day it takes effect
        (D(2025, 1, 1), NOTICE_ON, False),
    ],
)
def test_in_force_respects_the_notice_period(
    on: dt.date, notice_on: dt.date | None, answer: bool
) -> None:
    assert model.in_force(on, START, TERM_END, notice_on, 6) is answer


def test_in_force_open_ended_and_defaults() -> None:
    assert model.in_force(D(2099, 1, 1), START, None) is True
    assert model.in_force(D(2024, 1, 11), START, None) is False
    assert model.in_force(D(2024, 3, 31), START, None, NOTICE_ON) is False  # no period
    assert model.in_force(D(2024, 3, 30), START, None, NOTICE_ON) is True


@pytest.mark.parametrize(
    ("until", "years", "answer"),
    [
        (None, 10, D(2034, 1, 12)),
        (D(2034, 1, 12), 10, D(2034, 1, 12)),  # both, agreeing
        (D(2030, 6, 30), None, D(2030, 6, 30)),
        (None, None, None),  # open-ended (the EU's)
        (None, 1, D(2025, 1, 12)),
        (None, 99, D(2123, 1, 12)),
    ],
)
def test_valid_until(until: dt.date | None, years: int | None, answer: dt.date | None) -> None:
    assert model.valid_until(START, until, years) == answer


@pytest.mark.parametrize(
    ("until", "years", "field", "message"),
    [
        (None, 0, "duration_years", "give a number of years from 1 to 99"),
        (None, 100, "duration_years", "give a number of years from 1 to 99"),
        (
            D(2033, 1, 12),
            10,
            "valid_until",
            "2033-01-12 differs from 10 years after 2024-01-12 (2034-01-12): give one",
        ),
        (D(2024, 1, 12), None, "valid_until", "must come after valid_from (2024-01-12)"),
        (D(2024, 1, 11), None, "valid_until", "must come after valid_from (2024-01-12)"),
    ],
)
def test_valid_until_refused(
    until: dt.date | None, years: int | None, field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.valid_until(START, until, years)
    assert _field_error(refused) == (field, message)


def test_valid_until_the_day_after_the_start() -> None:
    assert model.valid_until(START, D(2024, 1, 13), None) == D(2024, 1, 13)


# ---- termination notice --------------------------------------------------------------------

TODAY = D(2024, 4, 2)


def _notice(
    given_on: dt.date,
    already: dt.date | None = None,
    term_ends: dt.date | None = TERM_END,
) -> None:
    model.require_notice_may_be_given(
        given_on, signed_on=START, today=TODAY, already_given_on=already, term_ends_on=term_ends
    )


@pytest.mark.parametrize("given_on", [START, D(2024, 3, 31), TODAY])
def test_notice_may_be_given_from_the_signing_to_today(given_on: dt.date) -> None:
    _notice(given_on)
    _notice(given_on, term_ends=None)


def test_notice_before_the_signing_or_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput) as early:
        _notice(D(2024, 1, 11))
    assert _field_error(early) == ("given_on", "2024-01-11 is before the signing (2024-01-12)")
    with pytest.raises(InvalidInput) as late:
        _notice(D(2024, 4, 3))
    assert _field_error(late) == ("given_on", "2024-04-03 is in the future")


def test_notice_is_given_once() -> None:
    with pytest.raises(RuleViolation) as twice:
        _notice(TODAY, already=D(2024, 3, 31))
    assert twice.value.detail == "notice was already given on 2024-03-31"
    assert twice.value.extra["rule"] == "a termination notice is given once"


def test_notice_after_the_term_is_refused() -> None:
    _notice(D(2024, 3, 31), term_ends=D(2024, 4, 1))  # the term's last day
    for given_on in (D(2024, 4, 1), D(2024, 4, 2)):
        with pytest.raises(RuleViolation) as ended:
            _notice(given_on, term_ends=D(2024, 4, 1))
        assert ended.value.detail == "the instrument's term ended on 2024-04-01"
        assert ended.value.extra["rule"] == "notice is given while the instrument binds"


# ---- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "rate", "cents"),
    [
        (250_000_000_000, Decimal("0.86"), 290_697_674_419),  # £2.5bn at 0.86 → 290697674418.60…
        (420_000_000, Decimal("0.84"), 500_000_000),  # exact
        (5, Decimal("2"), 2),  # 2.5 → 2: half to even
        (7, Decimal("2"), 4),  # 3.5 → 4
        (3, Decimal("2"), 2),  # 1.5 → 2
        (1, Decimal("2"), 0),  # 0.5 → 0
        (100, Decimal("1"), 100),
        (100, Decimal("3"), 33),  # 33.33… → 33
        (200, Decimal("3"), 67),  # 66.66… → 67
        (450_000_000_000, Decimal("1.0811"), 416_242_715_752),  # USD 4.5bn at 1.0811
    ],
)
def test_to_eur_cents_rounds_half_to_even(minor: int, rate: Decimal, cents: int) -> None:
    assert model.to_eur_cents(minor, rate) == cents


@pytest.mark.parametrize("rate", [Decimal(0), Decimal("-1.2")])
def test_to_eur_cents_needs_a_positive_rate(rate: Decimal) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.to_eur_cents(100, rate)
    assert _field_error(refused) == ("units_per_eur", "a rate is a positive number")


@pytest.mark.parametrize(
    ("delivered", "promised", "answer"),
    [
        (390_000_000, 681_395_349, 57.2),
        (210_000_000, 500_000_000, 42.0),
        (3, 2, 150.0),  # more than promised
        (0, 5, 0.0),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (5, 0, None),  # nothing promised
        (5, -1, None),
        (1, 1, 100.0),
    ],
)
def test_percent_fulfilled(delivered: int, promised: int, answer: float | None) -> None:
    assert model.percent_fulfilled(delivered, promised) == answer


@pytest.mark.parametrize(
    ("part", "whole", "answer"),
    [
        (1, 4, 25.0),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (4, 4, 100.0),
        (1, 1, 100.0),  # a total of one cent is a total
        (0, 4, 0.0),
        (3, 0, None),
    ],
)
def test_share_percent(part: int, whole: int, answer: float | None) -> None:
    assert model.share_percent(part, whole) == answer
    assert model.share_percent(part, -whole if whole else -1) is None


@pytest.mark.parametrize(
    ("cents", "gdp", "answer"),
    [
        # €2.647bn of a GDP of 2,647.56 bn: about 0.1%.
        (264_756_154_520, Decimal("2647.56154520574"), 0.1),
        (1_000_000_000_000, Decimal("1000"), 1.0),  # €10bn of €1,000bn
        (123_450_000_000, Decimal("1000"), 0.123),  # €1.2345bn: three decimals, half even
        (123_460_000_000, Decimal("1000"), 0.123),
        (123_470_000_000, Decimal("1000"), 0.123),
        (123_480_000_000, Decimal("1000"), 0.123),
        (123_500_000_000, Decimal("1000"), 0.124),  # 0.1235: half to even
        (124_500_000_000, Decimal("1000"), 0.124),  # 0.1245: half to even, not up
        (124_510_000_000, Decimal("1000"), 0.125),
        (0, Decimal("1000"), 0.0),
        (1_000_000_000, Decimal("1"), 1.0),  # €10m of a GDP of €1bn
        (1_000_000_000, Decimal("0.5"), 2.0),
        (5, None, None),  # the EU has no GDP: "—", never 0%
        (5, Decimal(0), None),
    ],
)
def test_percent_of_gdp(cents: int, gdp: Decimal | None, answer: float | None) -> None:
    assert model.percent_of_gdp(cents, gdp) == answer


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        (Decimal("2500000000"), 250_000_000_000),
        (Decimal("0.01"), 1),
        (Decimal("12.5"), 1250),
        (Decimal("1000000000000000"), 10**17),  # the largest
    ],
)
def test_amount_minor(amount: Decimal, minor: int) -> None:
    assert model.amount_minor("amount", amount) == minor


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal(0), "give a positive amount"),
        (Decimal("-5"), "give a positive amount"),
        (Decimal("NaN"), "give a positive amount"),
        (Decimal("Infinity"), "give a positive amount"),
        (Decimal("0.001"), "give at most two decimals"),
        (Decimal("12.345"), "give at most two decimals"),
        (Decimal("1000000000000000.01"), "at most 1,000,000,000,000,000 units"),
    ],
)
def test_amount_minor_refused(amount: Decimal, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.amount_minor("amount", amount)
    assert _field_error(refused) == ("amount", message)


@pytest.mark.parametrize(
    "rate", [Decimal("0.86"), Decimal("0.000001"), Decimal("149.123456"), Decimal("999999999999")]
)
def test_units_per_eur(rate: Decimal) -> None:
    assert model.units_per_eur("units_per_eur", rate) == rate


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (Decimal(0), "give a positive number of units to the euro"),
        (Decimal("-0.86"), "give a positive number of units to the euro"),
        (Decimal("NaN"), "give a positive number of units to the euro"),
        (Decimal("0.0000001"), "give at most six decimals"),
        (Decimal("1.0000005"), "give at most six decimals"),
        (Decimal("1000000000000"), "must be below 1,000,000,000,000"),
    ],
)
def test_units_per_eur_refused(rate: Decimal, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.units_per_eur("units_per_eur", rate)
    assert _field_error(refused) == ("units_per_eur", message)


@pytest.mark.parametrize(("text", "code"), [("GBP", "GBP"), (" gbp ", "GBP"), ("Nok", "NOK")])
def test_currency(text: str, code: str) -> None:
    assert model.currency("currency", text) == code


@pytest.mark.parametrize("text", ["GB", "GBPS", "G8P", "", "€UR", "ÄBC", "£"])
def test_currency_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.currency("currency", text)
    assert _field_error(refused) == (
        "currency",
        f"{text!r} is not a currency: give its ISO 4217 code, like GBP",
    )


# ---- what people type ----------------------------------------------------------------------

CATEGORIES = (
    "air defence, artillery and long-range fires, armour, combat air, maritime, drones, "
    "training, defence industry, cyber, intelligence, financial, energy and reconstruction, "
    "not broken down"
)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("air defence", Category.AIR_DEFENCE),
        (" Artillery and long-range fires ", Category.ARTILLERY),
        ("ENERGY AND RECONSTRUCTION", Category.ENERGY_RECONSTRUCTION),
        ("not broken down", Category.UNALLOCATED),
    ],
)
def test_category(text: str, answer: Category) -> None:
    assert model.category("category", text) is answer


def test_category_refused_lists_the_categories() -> None:
    with pytest.raises(InvalidInput) as refused:
        model.category("amounts.category", "tanks")
    assert _field_error(refused) == (
        "amounts.category",
        f"'tanks' is not a category; use one of: {CATEGORIES}",
    )


@pytest.mark.parametrize(
    ("text", "answer"),
    [("armed attack", Trigger.ARMED_ATTACK), (" Threat of Attack", Trigger.THREAT_OF_ATTACK)],
)
def test_trigger(text: str, answer: Trigger) -> None:
    assert model.trigger("trigger", text) is answer


@pytest.mark.parametrize(
    ("parse", "field", "text", "message"),
    [
        (
            model.trigger,
            "trigger",
            "invasion",
            "'invasion' is not one of: armed attack, threat of attack, year end",
        ),
        (model.obligation_action, "action", "defend", "'defend' is not one of: consult, report"),
        (model.step_kind, "kind", "goal", "'goal' is not one of: milestone, condition"),
        (
            model.step_status,
            "status",
            "done",
            "'done' is not one of: not started, in progress, met",
        ),
    ],
)
def test_choices_refused_name_the_field_and_the_choices(
    parse: object, field: str, text: str, message: str
) -> None:
    assert callable(parse)
    with pytest.raises(InvalidInput) as refused:
        parse(field, text)
    assert _field_error(refused) == (field, message)


def test_choices() -> None:
    assert model.obligation_action("action", " Report ") is ObligationAction.REPORT
    assert model.step_kind("kind", "Milestone") is StepKind.MILESTONE
    assert model.step_status("status", " in progress") is StepStatus.IN_PROGRESS
    assert {Trigger.ARMED_ATTACK, Trigger.THREAT_OF_ATTACK} == model.DECLARED_TRIGGERS


@pytest.mark.parametrize("value", [1900, 2024, 2199])
def test_year(value: int) -> None:
    assert model.year("year", value) == value


@pytest.mark.parametrize("value", [1899, 2200, 0, -2024])
def test_year_refused(value: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.year("year", value)
    assert _field_error(refused) == ("year", "give a year from 1900 to 2199")


def test_within_hours() -> None:
    assert model.within_hours("within_hours", 1) == 1
    assert model.within_hours("within_hours", 24) == 24
    assert model.within_hours("within_hours", 17568) == 17568  # two leap years
    for hours in (0, 17569, -24):
        with pytest.raises(InvalidInput) as refused:
            model.within_hours("within_hours", hours)
        assert _field_error(refused) == ("within_hours", "give a number of hours from 1 to 17,568")


def test_notice_months() -> None:
    for months in (None, 0, 6, 120):
        assert model.notice_months("termination_notice_months", months) == months
    for months in (-1, 121):
        with pytest.raises(InvalidInput) as refused:
            model.notice_months("termination_notice_months", months)
        assert _field_error(refused) == (
            "termination_notice_months",
            "give a number of months from 0 to 120",
        )


@pytest.mark.parametrize(
    ("state", "answer"),
    [
        (None, True),  # never tabled
        ("withdrawn", True),  # withdrawn: it may be tabled again
        ("in discussion", False),
        ("under silence", False),
        ("adopted", False),
    ],
)
def test_question_may_be_tabled(state: str | None, answer: bool) -> None:
    assert model.question_may_be_tabled(state) is answer


# ---- who may -------------------------------------------------------------------------------

GBR, UKR, SEC, FRA, EUU = 1, 2, 3, 4, 5


def _actor(
    code: str,
    kind: DelegationKind,
    delegation_id: int,
    role: Role = Role.OFFICER,
    scopes: frozenset[Scope] | None = None,
) -> Actor:
    return Actor(
        code.lower(),
        delegation=code,
        delegation_id=delegation_id,
        delegation_kind=kind,
        role=role,
        scopes=scopes if scopes is not None else frozenset(Scope),
    )


WHO: dict[str, Actor] = {
    "gbr": _actor("GBR", DelegationKind.MEMBER, GBR),  # the signatory
    "ukr": _actor("UKR", DelegationKind.PARTNER, UKR),  # the partner
    "sec": _actor("SEC", DelegationKind.SECRETARIAT, SEC, Role.CHAIR),
    "sec-admin": _actor("SEC", DelegationKind.SECRETARIAT, SEC, Role.ADMIN),  # reads only
    "fra": _actor("FRA", DelegationKind.MEMBER, FRA),  # another member
    "euu": _actor("EUU", DelegationKind.CONTRIBUTOR, EUU),  # a contributor, not the signatory
    "gbr-viewer": _actor("GBR", DelegationKind.MEMBER, GBR, Role.VIEWER),
    "gbr-read-token": _actor("GBR", DelegationKind.MEMBER, GBR, scopes=frozenset({Scope.READ})),
}

# On GBR's instrument with UKR (owner GBR, partner UKR): who may take each action. README:
# the signatory records and amends its instruments, or the secretariat; either party gives
# notice, or the secretariat records it; the offer's member links it, or the secretariat; the
# secretariat keeps the rates and the pathway; the partner adds evidence and tables the
# invitation question, as the secretariat may.
MAY: dict[Action, set[str]] = {
    Action.CREATE_INSTRUMENT: {"gbr", "sec"},
    Action.AMEND_INSTRUMENT: {"gbr", "sec"},
    Action.GIVE_NOTICE: {"gbr", "ukr", "sec"},
    Action.LINK_OFFER: {"gbr", "sec"},
    Action.RECORD_RATE: {"sec"},
    Action.KEEP_PATHWAY: {"sec"},
    Action.ADD_EVIDENCE: {"ukr", "sec"},
    Action.TABLE_QUESTION: {"ukr", "sec"},
}


def test_every_action_has_an_answer() -> None:
    assert set(MAY) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("who", list(WHO))
def test_allowed(action: Action, who: str) -> None:
    assert policy.allowed(WHO[who], action, GBR, UKR) is (who in MAY[action])


@pytest.mark.parametrize("action", list(Action))
def test_the_platform_itself_may_do_anything(action: Action) -> None:
    assert policy.allowed(SYSTEM, action) is True


def test_require_says_who_may() -> None:
    policy.require(WHO["gbr"], Action.AMEND_INSTRUMENT, owner_id=GBR, partner_id=UKR)
    policy.require(WHO["ukr"], Action.GIVE_NOTICE, owner_id=GBR, partner_id=UKR)  # a party
    with pytest.raises(Forbidden) as refused:
        policy.require(
            WHO["fra"],
            Action.AMEND_INSTRUMENT,
            owner_id=GBR,
            partner_id=UKR,
            record="instrument 7",
        )
    assert refused.value.detail == (
        "FRA may not amend an instrument (instrument 7): only the delegation the record "
        "belongs to or the secretariat may"
    )
    with pytest.raises(Forbidden) as partner:
        policy.require(WHO["ukr"], Action.LINK_OFFER, owner_id=GBR, partner_id=UKR)
    assert partner.value.detail == (
        "UKR may not link an offer to an instrument: only the delegation the record belongs "
        "to or the secretariat may"
    )
    with pytest.raises(Forbidden) as viewer:
        policy.require(WHO["gbr-viewer"], Action.GIVE_NOTICE, owner_id=GBR, partner_id=UKR)
    assert viewer.value.detail == (
        "GBR may not give notice to terminate an instrument: gbr has read-only access"
    )
    with pytest.raises(Forbidden) as rates:
        policy.require(WHO["gbr"], Action.RECORD_RATE)
    assert rates.value.detail == "GBR may not record an exchange rate: only the secretariat may"


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        (DelegationKind.MEMBER, True),
        (DelegationKind.CONTRIBUTOR, True),
        (DelegationKind.PARTNER, False),
        (DelegationKind.SECRETARIAT, False),
        (None, False),
    ],
)
def test_holds_instruments(kind: DelegationKind | None, answer: bool) -> None:
    assert policy.holds_instruments(kind) is answer


@pytest.mark.parametrize(
    ("who", "answer"),
    [
        ("gbr", True),
        ("fra", True),  # any member, for itself
        ("euu", True),  # a contributor, for itself
        ("sec", True),
        ("ukr", False),  # the partner signs with them, but records none
        ("sec-admin", False),
        ("gbr-viewer", False),
        ("gbr-read-token", False),
    ],
)
def test_may_create_instrument(who: str, answer: bool) -> None:
    assert policy.may_create_instrument(WHO[who]) is answer


@pytest.mark.parametrize(
    ("who", "notice_given", "answer"),
    [
        ("gbr", False, {"amend", "notice", "link"}),
        ("gbr", True, {"amend", "link"}),  # notice is given once
        ("sec", False, {"amend", "notice", "link"}),
        ("ukr", False, {"notice"}),
        ("ukr", True, set()),
        ("fra", False, set()),
        ("euu", False, set()),
        ("gbr-viewer", False, set()),
    ],
)
def test_instrument_actions(who: str, notice_given: bool, answer: set[str]) -> None:
    assert policy.instrument_actions(WHO[who], GBR, UKR, notice_given=notice_given) == answer


@pytest.mark.parametrize(
    ("who", "answer"),
    [
        ("sec", {"keep", "evidence", "question"}),
        ("ukr", {"evidence", "question"}),
        ("gbr", set()),
        ("euu", set()),
        ("sec-admin", set()),
    ],
)
def test_pathway_actions(who: str, answer: set[str]) -> None:
    assert policy.pathway_actions(WHO[who], UKR) == answer


@pytest.mark.parametrize(
    ("asked", "answer"),
    [
        (None, "council"),  # the default
        ("partner", "partner"),  # the narrowest: the partner concerned always sees it
        ("addressees", "addressees"),
        ("members", "members"),
        ("public", "public"),
    ],
)
def test_releasability_of_a_new_instrument(asked: str | None, answer: str) -> None:
    level = policy.releasability("releasability", policy.INSTRUMENT_DEFAULT, asked)
    assert level.value == answer


def test_releasability_is_never_below_the_partner() -> None:
    with pytest.raises(InvalidInput) as own:
        policy.releasability("instrument.releasability", policy.INSTRUMENT_DEFAULT, "own")
    assert _field_error(own) == (
        "instrument.releasability",
        "may only widen the default (partner), not narrow it",
    )


def test_defaults_and_routes() -> None:
    assert policy.INSTRUMENT_DEFAULT.value == "council"
    assert policy.PATHWAY_DEFAULT.value == "council"
    declared = {rule.action for rule in policy.ROUTES.values() if rule.action}
    assert declared == set(Action)
