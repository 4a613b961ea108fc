"""How the assistance ledger reads to a person, in the viewer's language: counted units
("7 systems", "1 round"), what a request or an offer is about, and how a date stands
("due in 3 days", "overdue by 2 days"). The pages register these as template filters; the
queries' "needs you now" lines use them too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from shieldwall.assistance import model
from shieldwall.kit.i18n import N_, format_eur, format_number, ngettext
from shieldwall.kit.i18n import gettext as _

# The words stored as codes (states, kinds, priorities, statuses, ledger facts), for the
# catalogue: shown with the ``term`` filter.
TERMS = (
    # offer states
    N_("offered"),
    N_("accepted"),
    N_("declined"),
    N_("committed"),
    N_("delivered"),
    N_("withdrawn"),
    N_("cancelled"),
    N_("reported"),
    # delivery states
    N_("recorded"),
    N_("confirmed"),
    N_("rejected"),
    # request states and statuses
    N_("active"),
    N_("closed"),
    N_("open"),
    N_("partially covered"),
    N_("covered"),
    # kinds
    N_("arm"),
    N_("train"),
    N_("equip"),
    N_("finance"),
    # priorities
    N_("critical"),
    N_("high"),
    N_("medium"),
    N_("low"),
    # ledger facts
    N_("correction"),
    # releasability levels
    N_("own"),
    N_("partner"),
    N_("addressees"),
    N_("members"),
    N_("council"),
    N_("public"),
)

# Each unit of the shipped catalogues (and of Kiel's categories), counted in the viewer's
# language; one function per unit so that the extractor sees every message.
_UNITS: dict[str, Callable[[int], str]] = {
    "aircraft": lambda n: ngettext("{count} aircraft", "{count} aircraft", n),
    "battery": lambda n: ngettext("{count} battery", "{count} batteries", n),
    "crew": lambda n: ngettext("{count} crew", "{count} crews", n),
    "drone": lambda n: ngettext("{count} drone", "{count} drones", n),
    "hospital": lambda n: ngettext("{count} hospital", "{count} hospitals", n),
    "howitzer": lambda n: ngettext("{count} howitzer", "{count} howitzers", n),
    "launcher": lambda n: ngettext("{count} launcher", "{count} launchers", n),
    "missile": lambda n: ngettext("{count} missile", "{count} missiles", n),
    "pilot": lambda n: ngettext("{count} pilot", "{count} pilots", n),
    "round": lambda n: ngettext("{count} round", "{count} rounds", n),
    "set": lambda n: ngettext("{count} set", "{count} sets", n),
    "system": lambda n: ngettext("{count} system", "{count} systems", n),
    "tank": lambda n: ngettext("{count} tank", "{count} tanks", n),
    "unit": lambda n: ngettext("{count} unit", "{count} units", n),
    "vehicle": lambda n: ngettext("{count} vehicle", "{count} vehicles", n),
    "vessel": lambda n: ngettext("{count} vessel", "{count} vessels", n),
}


def quantity_text(quantity: int | None, unit: str | None) -> str:
    """A quantity in its unit, counted in the viewer's language: "7 systems", "1 round",
    "120 missiles"; an item counted in euros is a sum ("€2M"); an unknown unit is written
    "{count} × {unit}"; without a unit, the number alone."""
    if quantity is None:
        return format_number(None)
    if unit is not None and unit.upper() == "EUR":
        return format_eur(quantity)
    count = format_number(quantity)
    if not unit:
        return count
    counted = _UNITS.get(unit.lower())
    if counted is None:
        return _("{count} × {unit}").format(count=count, unit=unit)
    return counted(quantity).format(count=count)


def quantity_of(quantity: int, item_name: str, unit: str | None) -> str:
    """This quantity of this item, in the viewer's language — the one way every page and line
    says it: "Patriot battery, 3 batteries", "Budget support, €2M"; without a unit (an offer of
    a capability area) the name and the number: "Air defence, 5"."""
    return _("{item}, {quantity}").format(item=item_name, quantity=quantity_text(quantity, unit))


def what_text(quantity: int | None, unit: str | None, item_name: str | None, area: str) -> str:
    """What a request asks for or an offer gives: "IRIS-T SLM missile, 40 missiles", or the
    capability area when no item is named."""
    if item_name and quantity is not None:
        return quantity_of(quantity, item_name, unit)
    return area


def due_text(due: dt.date | None, today: dt.date) -> str:
    """How a date to meet stands today: "due in 3 days", "due today", "overdue by 2 days";
    empty without a date."""
    if due is None:
        return ""
    left = model.days_left(due, today)
    if left < 0:
        late = -left
        return ngettext("overdue by {count} day", "overdue by {count} days", late).format(
            count=format_number(late)
        )
    if left == 0:
        return _("due today")
    return ngettext("due in {count} day", "due in {count} days", left).format(
        count=format_number(left)
    )


def arrival_text(delivered_on: dt.date, need_by: dt.date | None) -> str:
    """How a delivery's date stands against the need-by date: "in time" or "3 days late";
    empty without a need-by date."""
    if need_by is None:
        return ""
    late = -model.days_left(need_by, delivered_on)
    if late <= 0:
        return _("in time")
    return ngettext("{count} day late", "{count} days late", late).format(count=format_number(late))


# The steps of an offer's timeline (its audit records), in words.
AUDIT_STEPS = {
    "offer.make": N_("Offer made"),
    "offer.accept": N_("Offer accepted"),
    "offer.decline": N_("Offer declined"),
    "offer.withdraw": N_("Offer withdrawn"),
    "offer.commit": N_("Offer committed"),
    "offer.cancel": N_("Commitment cancelled"),
    "offer.widen": N_("Released more widely"),
    "ledger.correct": N_("Ledger corrected"),
    "delivery.record": N_("Delivery recorded"),
    "delivery.confirm": N_("Delivery confirmed"),
    "delivery.reject": N_("Delivery rejected"),
}


def audit_step(action: str) -> str:
    """An audit record's action in words ("Offer committed"); an unknown one as recorded."""
    return _(AUDIT_STEPS[action]) if action in AUDIT_STEPS else action
