"""The clearing house's rules, as pure functions named after the rule (no I/O).

A member declares what it could give (an *availability* line: item, quantity, available from,
conditions) without offering it. A matching run pairs availability with the partner's open
requests: a line may serve a request if the items are compatible (the same item, or items
sharing a catalogue tag such as ``155mm``; an item in the requested area for a request of a
whole area), the request is addressed to its member, the member's conditions allow it, and it
arrives by the request's need-by date — or later, at a discount, if the setting
``SHIELDWALL_MATCHING_LATE`` is ``discount``. ``solver`` applies these same rules to whole
arrays at once; the tests hold both to the same hand-worked answers.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from fractions import Fraction

from shieldwall.kit.errors import IllegalTransition, InvalidInput
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _

# Priority weights of coverage: a critical request's full coverage is worth twice a high one's.
PRIORITY_WEIGHT: dict[str, int] = {"critical": 8, "high": 4, "medium": 2, "low": 1}
# Coverage points of one request covered whole at weight 1, before division by its quantity:
# large, so that rounding the points of one unit to an integer changes them by < 1 in 10**6.
COVERAGE_SCALE = 1_000_000
# A unit arriving after the need-by date (when late is allowed) counts for this much.
LATE_DISCOUNT = Fraction(1, 2)
TRAINING_AREA = "training"


class LateRule(StrEnum):
    """What the setting ``SHIELDWALL_MATCHING_LATE`` says of a line that would arrive after the
    request's need-by date."""

    FORBID = "forbid"
    DISCOUNT = "discount"


class Compatibility(StrEnum):
    """Why an availability line can serve a request (the best reason, in this order)."""

    SAME_ITEM = "same-item"
    SHARED_TAG = "shared-tag"
    IN_AREA = "in-area"


class Limit(StrEnum):
    """What kept a proposal from being larger, or what it cost."""

    QUANTITY = "quantity"  # the member's line was used up
    NEED = "need"  # the request needed no more
    CONDITION = "condition"  # the member's at-most-per-request condition
    DATE = "date"  # arrives after the need-by date, counted at a discount


class Cause(StrEnum):
    """Why a need was left (partly) uncovered; the first that applies, in this order."""

    NO_COMPATIBLE_ITEM = "no-compatible-item"
    NO_ADDRESSEE_HAS_IT = "no-addressee-has-it"
    CONDITIONS = "conditions"
    DATES = "dates"
    NOT_ENOUGH_QUANTITY = "not-enough-quantity"


CAUSE_WORDS: dict[Cause, str] = {
    Cause.NO_COMPATIBLE_ITEM: N_("no member declared a compatible item"),
    Cause.NO_ADDRESSEE_HAS_IT: N_("no member the request is addressed to has a compatible item"),
    Cause.CONDITIONS: N_("the members' conditions exclude this request"),
    Cause.DATES: N_("no compatible item is available by the need-by date"),
    Cause.NOT_ENOUGH_QUANTITY: N_("not enough quantity (the rest went to other requests)"),
}
LIMIT_WORDS: dict[Limit, str] = {
    Limit.QUANTITY: N_("the member's available quantity is used up"),
    Limit.NEED: N_("the request needed no more"),
    Limit.CONDITION: N_("the member gives at most this much to one request"),
    Limit.DATE: N_("arrives after the need-by date: counted at a discount"),
}


class ProposalState(StrEnum):
    PROPOSED = "proposed"  # written by a run, seen by the secretariat only
    SENT = "sent"  # sent to the member, who confirms or declines
    CONFIRMED = "confirmed"  # it became an offer
    DECLINED = "declined"
    # Its availability line was withdrawn before the member confirmed it.
    CANCELLED = "cancelled"


class ProposalAction(StrEnum):
    SEND = "send"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"


PROPOSAL_STEPS: dict[tuple[ProposalState, ProposalAction], ProposalState] = {
    (ProposalState.PROPOSED, ProposalAction.SEND): ProposalState.SENT,
    (ProposalState.SENT, ProposalAction.CONFIRM): ProposalState.CONFIRMED,
    (ProposalState.SENT, ProposalAction.DECLINE): ProposalState.DECLINED,
    # Withdrawing the line cancels what is still pending on it, sent or not.
    (ProposalState.PROPOSED, ProposalAction.CANCEL): ProposalState.CANCELLED,
    (ProposalState.SENT, ProposalAction.CANCEL): ProposalState.CANCELLED,
}
PENDING: tuple[ProposalState, ...] = (ProposalState.PROPOSED, ProposalState.SENT)


class RunStage(StrEnum):
    """The stages of a run, in order, shown as its progress."""

    QUEUED = "queued"
    BUILDING = "building"
    SOLVING = "solving"
    EXPLAINING = "explaining"
    WRITING = "writing"
    DONE = "done"
    FAILED = "failed"


RUN_STAGES: tuple[RunStage, ...] = (
    RunStage.BUILDING,
    RunStage.SOLVING,
    RunStage.EXPLAINING,
    RunStage.WRITING,
)


def proposal_step(proposal_id: int, state: str, action: ProposalAction) -> ProposalState:
    """The state a proposal moves to, or IllegalTransition: proposed → sent by the secretariat;
    sent → confirmed or declined by the member."""
    to = PROPOSAL_STEPS.get((ProposalState(state), action))
    if to is None:
        raise IllegalTransition(f"proposal {proposal_id}", state, action.value)
    return to


def run_progress(stage: str) -> int:
    """Percent done when ``stage`` starts: each of the four stages a quarter."""
    if stage == RunStage.DONE:
        return 100
    if stage in RUN_STAGES:
        return 25 * RUN_STAGES.index(RunStage(stage))
    return 0


def late_rule(text: str) -> LateRule:
    try:
        return LateRule(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            "SHIELDWALL_MATCHING_LATE",
            _("must be forbid or discount, not {text!r}").format(text=text),
        ) from None


def compatibility(
    request_item: int | None,
    request_tags: frozenset[str],
    request_area: int,
    item: int,
    item_tags: frozenset[str],
    item_area: int,
) -> tuple[Compatibility, str] | None:
    """Whether a line of ``item`` can serve the request, and why (the shared tag, if that is
    why): the same item, or items sharing a catalogue tag; for a request of a whole area (no
    item), any item of that area."""
    if request_item is None:
        return (Compatibility.IN_AREA, "") if item_area == request_area else None
    if item == request_item:
        return Compatibility.SAME_ITEM, ""
    shared = sorted(request_tags & item_tags)
    if shared:
        return Compatibility.SHARED_TAG, shared[0]
    return None


def delivery_day(available_from: dt.date, not_before: dt.date | None, today: dt.date) -> dt.date:
    """When a line could arrive: once available, not before the member's own date, not in the
    past."""
    return max(available_from, not_before or available_from, today)


def days_late(delivery: dt.date, need_by: dt.date | None) -> int:
    """Days after the need-by date (0 if on time or if the request names no date)."""
    if need_by is None or delivery <= need_by:
        return 0
    return (delivery - need_by).days


def date_admits(late: int, rule: LateRule) -> bool:
    """On time always; late only if the setting allows it at a discount."""
    return late == 0 or rule == LateRule.DISCOUNT


def conditions_admit(training_only: bool, request_area_code: str) -> bool:
    """A line given for training only serves only requests in the training area."""
    return not training_only or request_area_code == TRAINING_AREA


def addressee_admits(to_all_members: bool, member: int, addressees: frozenset[int]) -> bool:
    """A request addressed to named members is served by them only."""
    return to_all_members or member in addressees


def coverage_points(priority: str, quantity: int, late: bool) -> int:
    """Integer points one unit earns towards the priority-weighted coverage of a request of
    ``quantity`` units: weight × COVERAGE_SCALE / quantity, halved when late, at least 1.

    A request covered whole earns about weight × COVERAGE_SCALE whatever its unit, so that a
    tank and a shell are weighed by the share of their request they cover, not by count."""
    points = Fraction(PRIORITY_WEIGHT[priority] * COVERAGE_SCALE, quantity)
    if late:
        points *= LATE_DISCOUNT
    return max(1, round(points))


def tie_break_weights(
    longest_wait_days: int, most_units: int, donor_pairs: int
) -> tuple[float, float]:
    """The weights of the second and third aims, so that the order of the aims provably holds.

    The objective maximised is ``T1 − ε2·T2 − ε3·T3`` with T1 = the coverage points (an
    integer, ``coverage_points`` per unit, units integral), T2 = Σ units × days until delivery
    (an integer in [0, W·U], W the longest wait, U the most units that can be allocated) and
    T3 = the number of (request, donor) pairs used (an integer in [0, P]). With
    ε2 = 1 / (W·U + 1), the whole of ε2·T2 is < 1, the least gain in T1: no delivery date buys
    any coverage. With ε3 = ε2 / (P + 1), the whole of ε3·T3 is < ε2, the least gain in ε2·T2:
    no saving in donors buys an earlier delivery. Exact in exact arithmetic; the solver keeps
    it as far as its tolerances resolve ε3 against the largest point (reported by a run).
    """
    eps2 = 1.0 / (max(longest_wait_days, 0) * max(most_units, 0) + 1)
    eps3 = eps2 / (max(donor_pairs, 0) + 1)
    return eps2, eps3


def limits(
    quantity: int, line_left: int, need_left: int, per_request: int | None, late: int
) -> list[Limit]:
    """What limited a proposal of ``quantity`` units: the line used up, or else the need met
    (the member had more, the request took no more); the member's at-most-per-request
    condition reached; and lateness, which cost points."""
    found: list[Limit] = []
    if line_left == 0:
        found.append(Limit.QUANTITY)
    elif need_left == 0:
        found.append(Limit.NEED)
    if per_request is not None and quantity >= per_request:
        found.append(Limit.CONDITION)
    if late > 0:
        found.append(Limit.DATE)
    return found


def uncovered_cause(compatible: int, addressed: int, allowed: int, in_time: int) -> Cause:
    """Why a need is left uncovered, from how many lines were left after each rule in turn
    (compatible item → addressed member → conditions → dates): the first rule that left none;
    if lines were left, they did not hold enough."""
    if compatible == 0:
        return Cause.NO_COMPATIBLE_ITEM
    if addressed == 0:
        return Cause.NO_ADDRESSEE_HAS_IT
    if allowed == 0:
        return Cause.CONDITIONS
    if in_time == 0:
        return Cause.DATES
    return Cause.NOT_ENOUGH_QUANTITY


def check_per_request(field: str, value: int | None) -> int | None:
    """At most this many units to one request: none, or at least 1."""
    if value is not None and value < 1:
        raise InvalidInput(field, _("give at least 1, or leave it empty"))
    return value


def check_not_before(field: str, not_before: dt.date | None, available_from: dt.date) -> None:
    """A not-before date earlier than the line's available-from date says nothing: refused, so
    that a typo is caught."""
    if not_before is not None and not_before < available_from:
        raise InvalidInput(
            field,
            _("is before the available-from date {day}: leave it empty").format(
                day=available_from.isoformat()
            ),
        )


def check_can_give(line_quantity: int, proposed: int, line_id: int) -> None:
    """A member confirms a proposal only while its line still holds the quantity."""
    if proposed > line_quantity:
        raise InvalidInput(
            "quantity",
            _("availability line {id} holds {left}, not the {proposed} proposed").format(
                id=line_id, left=line_quantity, proposed=proposed
            ),
        )
