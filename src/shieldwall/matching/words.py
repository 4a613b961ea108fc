"""How the clearing house reads to a person, in the viewer's language: a run's outcome, why a
proposal is what it is, why a need is left uncovered. Stored as codes; said here."""

from __future__ import annotations

from typing import Any

from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.matching.model import CAUSE_WORDS, LIMIT_WORDS, Cause, Limit

# The stages and proposal states, stored as codes, for the catalogue.
TERMS = (
    N_("queued"),
    N_("building"),
    N_("solving"),
    N_("explaining"),
    N_("writing"),
    N_("done"),
    N_("failed"),
    N_("proposed"),
    N_("sent"),
    N_("cancelled"),
)
OUTCOMES: dict[str, str] = {
    "nothing-to-match": N_(
        "nothing to match: no open request in units, or no availability declared"
    ),
    "no-candidates": N_(
        "no availability line can serve any open request (items, addressees, conditions or "
        "dates): every need is listed below with its cause"
    ),
    "solver-failed": N_("the run failed; nothing was proposed"),
    "time-limit-greedy": N_(
        "the solver stopped at its time limit short of the optimum, with an allocation worse "
        "than greedy's: the greedy baseline's (priority order, first compatible donor) is "
        "proposed; give it more time"
    ),
    "matched": N_("matched"),
    "": N_("running"),
}


def outcome_words(outcome: str) -> str:
    return _(OUTCOMES.get(outcome, outcome))


def explanation_words(explanation: dict[str, Any]) -> list[str]:
    """Why this donor, and what limited it, as sentences."""
    said: list[str] = []
    kind = explanation.get("compatibility")
    if kind == "same-item":
        said.append(_("the item asked for"))
    elif kind == "shared-tag":
        said.append(_("a compatible item (tag {tag})").format(tag=explanation.get("tag", "")))
    elif kind == "in-area":
        said.append(_("an item of the area asked for"))
    late = int(explanation.get("late_days", 0))
    if late:
        said.append(_("{n} days after the need-by date").format(n=late))
    else:
        said.append(_("by the need-by date"))
    said.extend(_(LIMIT_WORDS[Limit(x)]) for x in explanation.get("limits", []))
    return said


def cause_words(cause: str) -> str:
    return _(CAUSE_WORDS[Cause(cause)])
