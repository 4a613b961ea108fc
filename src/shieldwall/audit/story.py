"""The audit log as a readable history: who did what to which record, and the change field by
field, in the viewer's language — "Germany (deu, officer) committed offer #67 (IRIS-T SLM,
40 missiles)"; "Committed: 0 missiles → 40 missiles; value €0.00 → €16,000,000.00".

The audit layer sits below the features, so it cannot ask them what an offer is. What it can
say from the record alone — the action's code, the fields' names, the values — it says here.
What only a feature knows (an offer's item and unit, a meeting's day, where a record's page
is) a feature — or the reports layer, which reads the features — registers with
``describe_records``: one function per record type, which names a batch of records in one
query.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.access.tables import UserAccount
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.i18n import (
    N_,
    format_day,
    format_eur_exact,
    format_moment,
    format_number,
    gettext,
    term,
)

_ = gettext


@dataclass(frozen=True)
class Subject:
    """A record as people know it: a few words naming it, its page, and how a quantity of
    what it counts reads ("40 missiles")."""

    label: str | None = None
    link: str | None = None
    count: Callable[[int], str] | None = None


Describer = Callable[[Session, Sequence[str]], Mapping[str, Subject]]
_DESCRIBERS: dict[str, Describer] = {}


def describe_records(record_type: str, describer: Describer) -> None:
    """Register how records of ``record_type`` are named and linked (a feature, at start)."""
    _DESCRIBERS[record_type] = describer


# Where a record's page is, when no describer says otherwise: "{id}" is the record's id.
LINKS: dict[str, str] = {
    "offer": "/offers/{id}",
    "request": "/requests/{id}",
    "meeting": "/meetings/{id}",
    "proposal": "/proposals/{id}",
    "instrument": "/instruments/{id}",
    "due_item": "/obligations/{id}",
    "trigger_event": "/triggers/{id}",
    "capability_package": "/capability-packages/{id}",
}

# Each action the features record, as a sentence: {who} did it, {record} is the record (its
# number, linked, and its name). The noun is in the sentence, so that each language can agree
# its verb and article with it.
ACTIONS: dict[str, str] = {
    "delegation.seat": N_("{who} seated delegation {record}"),
    "delegation.gdp": N_("{who} recorded the GDP of delegation {record}"),
    "import.kiel": N_("{who} imported the Kiel tracker file {record}"),
    "import.fts": N_("{who} imported the UN OCHA FTS file {record}"),
    "user.add": N_("{who} added user {record}"),
    "user.disable": N_("{who} disabled user {record}"),
    "user.reset_password": N_("{who} reset the password of user {record}"),
    "user.notifications": N_("{who} changed the notification settings of user {record}"),
    "token.issue": N_("{who} issued API token {record}"),
    "token.revoke": N_("{who} revoked API token {record}"),
    "area.add": N_("{who} added capability area {record}"),
    "item.add": N_("{who} added catalogue item {record}"),
    "request.file": N_("{who} filed request {record}"),
    "request.withdraw": N_("{who} withdrew request {record}"),
    "request.close": N_("{who} closed request {record}"),
    "request.widen": N_("{who} released request {record} more widely"),
    "offer.make": N_("{who} made offer {record}"),
    "offer.accept": N_("{who} accepted offer {record}"),
    "offer.decline": N_("{who} declined offer {record}"),
    "offer.withdraw": N_("{who} withdrew offer {record}"),
    "offer.commit": N_("{who} committed offer {record}"),
    "offer.cancel": N_("{who} cancelled offer {record}"),
    "offer.widen": N_("{who} released offer {record} more widely"),
    "delivery.record": N_("{who} recorded delivery {record}"),
    "delivery.confirm": N_("{who} confirmed delivery {record}"),
    "delivery.reject": N_("{who} rejected delivery {record}"),
    "ledger.correct": N_("{who} corrected the ledger of offer {record}"),
    "import.table": N_("{who} imported requests, offers and deliveries from {record}"),
    "meeting.convene": N_("{who} convened meeting {record}"),
    "meeting.schedule": N_("{who} scheduled meeting {record}"),
    "meeting.agenda_add": N_("{who} added agenda item {record}"),
    "meeting.hold": N_("{who} held meeting {record}"),
    "meeting.minutes": N_("{who} recorded the minutes of meeting {record}"),
    "meeting.item_outcome": N_("{who} recorded the outcome of agenda item {record}"),
    "meeting.close": N_("{who} closed meeting {record}"),
    "meeting.flag_late": N_("{who} flagged meeting {record} as late"),
    "proposal.table": N_("{who} tabled proposal {record}"),
    "proposal.position": N_("{who} stated a position on proposal {record}"),
    "proposal.silence": N_("{who} put proposal {record} under the silence procedure"),
    "proposal.adopt": N_("{who} adopted proposal {record}"),
    "proposal.withdraw": N_("{who} withdrew proposal {record}"),
    "exchange_rate.record": N_("{who} recorded exchange rate {record}"),
    "instrument.create": N_("{who} recorded instrument {record}"),
    "instrument.amount": N_("{who} recorded a yearly amount {record}"),
    "instrument.obligation": N_("{who} recorded obligation {record}"),
    "instrument.notice": N_("{who} gave notice on instrument {record}"),
    "instrument.link_offer": N_("{who} linked offer {record} to an instrument"),
    "instrument.unlink_offer": N_("{who} unlinked offer {record} from its instrument"),
    "pathway.add": N_("{who} added pathway step {record}"),
    "pathway.update": N_("{who} updated pathway step {record}"),
    "pathway.question": N_("{who} tabled the question of pathway step {record}"),
    "trigger.declare": N_("{who} declared trigger event {record}"),
    "due_item.open": N_("{who} opened obligation {record}"),
    "due_item.met": N_("{who} recorded obligation {record} as met"),
    "due_item.overdue": N_("{who} marked obligation {record} overdue"),
    "package.define": N_("{who} defined capability package {record}"),
    "package.change": N_("{who} changed capability package {record}"),
    "tranche.plan": N_("{who} planned delivery tranche {record}"),
    "tranche.replan": N_("{who} re-planned delivery tranche {record}"),
    "tranche.remove": N_("{who} removed delivery tranche {record}"),
    "availability.declare": N_("{who} declared availability line {record}"),
    "availability.reduce": N_("{who} reduced availability line {record}"),
    "availability.withdraw": N_("{who} withdrew availability line {record}"),
    "matching.start": N_("{who} started matching run {record}"),
    "matching.run": N_("{who} completed matching run {record}"),
    "proposal.send": N_("{who} sent matching proposal {record}"),
    "proposal.confirm": N_("{who} confirmed matching proposal {record}"),
    "proposal.decline": N_("{who} declined matching proposal {record}"),
    "proposal.cancel": N_("{who} cancelled matching proposal {record}"),
    "ledger.rebuild": N_("{who} rebuilt the ledger's balances"),
}

# What an action not (yet) in ACTIONS reads as: never a bare code alone.
UNKNOWN_ACTION = N_("{who} recorded “{action}” on {record_type} {record}")

ROLES: dict[str, str] = {
    "head_of_delegation": N_("head of delegation"),
    "officer": N_("officer"),
    "viewer": N_("viewer"),
    "chair": N_("chair"),
    "staff": N_("staff"),
    "admin": N_("administrator"),
}

# The record types, for the filter's menu.
RECORD_TYPES: dict[str, str] = {
    "offer": N_("offer"),
    "request": N_("request"),
    "delivery": N_("delivery"),
    "meeting": N_("meeting"),
    "agenda_item": N_("agenda item"),
    "proposal": N_("proposal"),
    "instrument": N_("instrument"),
    "instrument_amount": N_("yearly amount"),
    "obligation": N_("obligation"),
    "due_item": N_("obligation due"),
    "trigger_event": N_("trigger event"),
    "capability_package": N_("capability package"),
    "planned_delivery": N_("planned delivery"),
    "pathway_step": N_("pathway step"),
    "exchange_rate": N_("exchange rate"),
    "capability_area": N_("capability area"),
    "capability_item": N_("catalogue item"),
    "delegation": N_("delegation"),
    "user": N_("user"),
    "api_token": N_("API token"),
    "availability": N_("availability line"),
    "matching_run": N_("matching run"),
    "match_proposal": N_("matching proposal"),
    "ledger": N_("ledger"),
}

# Each field's label, as the pages call it.
FIELDS: dict[str, str] = {
    "action": N_("Action"),
    "addressees": N_("Addressees"),
    "amount_minor": N_("Amount"),
    "area": N_("Capability area"),
    "attendance": N_("Attendance"),
    "basis": N_("Basis"),
    "category": N_("Category"),
    "code": N_("Code"),
    "committed": N_("Committed"),
    "components": N_("Components"),
    "crisis": N_("Crisis consultation"),
    "currency": N_("Currency"),
    "decided_at": N_("Decided at"),
    "declared_by_id": N_("Declared by"),
    "delegation": N_("Delegation"),
    "delivered": N_("Delivered"),
    "delivered_on": N_("Delivered on"),
    "description": N_("Description"),
    "disabled": N_("Disabled"),
    "display_name": N_("Name"),
    "due_at": N_("Due at"),
    "due_on": N_("Due on"),
    "duration_years": N_("Duration (years)"),
    "entry": N_("Ledger entry"),
    "eur_cents": N_("Amount in EUR"),
    "evidence": N_("Evidence"),
    "exercise": N_("Exercise"),
    "expected_on": N_("Expected on"),
    "expires_at": N_("Expires at"),
    "flagged_late_at": N_("Flagged late at"),
    "held_at": N_("Held at"),
    "hold_by": N_("To be held by"),
    "illustrative": N_("Illustrative"),
    "instrument_id": N_("Instrument"),
    "item": N_("Item"),
    "joined_on": N_("Joined on"),
    "kind": N_("Kind"),
    "level": N_("Level"),
    "meeting_id": N_("Meeting"),
    "member_id": N_("Member"),
    "met_at": N_("Met at"),
    "minutes": N_("Minutes"),
    "name": N_("Name"),
    "note": N_("Note"),
    "notice_given_by_id": N_("Notice given by"),
    "notice_given_on": N_("Notice given on"),
    "obligation_id": N_("Obligation"),
    "occurred_at": N_("Occurred at"),
    "offer": N_("Offer"),
    "offered": N_("Offered"),
    "outcome": N_("Outcome"),
    "overdue_at": N_("Overdue at"),
    "partner": N_("Partner"),
    "partner_id": N_("Partner"),
    "password": N_("Password"),
    "period_year": N_("Year"),
    "place": N_("Place"),
    "position": N_("Position"),
    "procedure": N_("Procedure"),
    "proposal_id": N_("Proposal"),
    "quantity": N_("Quantity"),
    "rate_id": N_("Exchange rate"),
    "rate_on": N_("Rate of"),
    "reason": N_("Reason"),
    "reference_unit_value_cents": N_("Reference unit value"),
    "releasability": N_("Releasability"),
    "request": N_("Request"),
    "request_id": N_("Request"),
    "revoked": N_("Revoked"),
    "revoked_at": N_("Revoked at"),
    "role": N_("Role"),
    "scopes": N_("Scopes"),
    "signed_on": N_("Signed on"),
    "silence_deadline": N_("Silence deadline"),
    "source": N_("Source"),
    "sources": N_("Sources"),
    "stance": N_("Position"),
    "starts_at": N_("Starts at"),
    "state": N_("State"),
    "state_reason": N_("Reason"),
    "status": N_("Status"),
    "sustain_window_months": N_("Sustainment window (months)"),
    "termination_notice_months": N_("Termination notice (months)"),
    "title": N_("Title"),
    "trigger": N_("Trigger"),
    "trigger_event_id": N_("Trigger event"),
    "unit": N_("Unit"),
    "units_needed": N_("Units needed"),
    "units_per_eur": N_("Units per EUR"),
    "until_accession": N_("Until accession"),
    "username": N_("User name"),
    "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"),
    "value_cents": N_("Value"),
    "within_hours": N_("Within (hours)"),
    "year": N_("Year"),
}

# Stored codes shown with the `term` filter (states, kinds, levels …) and the delegations
# named by their id.
_TERM_FIELDS = frozenset(
    {"state", "releasability", "kind", "level", "stance", "procedure", "basis", "category",
     "action", "trigger", "status", "role"}
)  # fmt: skip
_DELEGATION_FIELDS = frozenset({"member_id", "partner_id", "declared_by_id", "notice_given_by_id"})
_LONG_TEXT = 240  # a change of a longer text is shown cut, whole in the raw record


@dataclass(frozen=True)
class Change:
    """One field's change, already in words: its label, and the value before and after."""

    label: str
    before: str | None  # None: the field is new (the record was created)
    after: str | None  # None: the field was removed


@dataclass
class Story:
    """One audit record, told."""

    id: int
    at: dt.datetime
    sentence: Markup
    changes: list[Change] = field(default_factory=list)
    raw_before: str | None = None
    raw_after: str | None = None
    record_type: str = ""
    record_id: str = ""
    action: str = ""
    actor: str = ""
    delegation: str | None = None


@dataclass(frozen=True)
class _Names:
    delegations: dict[str, str]  # code → name
    delegation_ids: dict[int, str]  # id → name
    roles: dict[str, str]  # username → role


def _names(session: Session, records: Sequence[Mapping[str, Any]]) -> _Names:
    usernames = {r["actor"] for r in records}
    rows = session.execute(select(Delegation.id, Delegation.code, Delegation.name)).all()
    roles = {
        username: role
        for username, role in session.execute(
            select(UserAccount.username, UserAccount.role).where(
                UserAccount.username.in_(sorted(usernames))
            )
        )
    }
    return _Names({c: n for _i, c, n in rows}, {i: n for i, _c, n in rows}, roles)


def _who(record: Mapping[str, Any], names: _Names) -> str:
    actor: str = record["actor"]
    if actor == "system" or actor.startswith("system:"):
        # "system:demo" is the demo's builder; "system" the platform's clock and rules.
        return _("The platform (demo build)") if actor == "system:demo" else _("The platform")
    code = record["delegation"]
    role = names.roles.get(actor)
    role_text = gettext(ROLES[role]) if role in ROLES else role
    if code is None:
        return actor
    name = names.delegations.get(code, code)
    if role_text:
        return _("{delegation} ({user}, {role})").format(
            delegation=name, user=actor, role=role_text
        )
    return _("{delegation} ({user})").format(delegation=name, user=actor)


def _subjects(
    session: Session, records: Sequence[Mapping[str, Any]]
) -> dict[tuple[str, str], Subject]:
    by_type: dict[str, set[str]] = {}
    for r in records:
        by_type.setdefault(r["record_type"], set()).add(r["record_id"])
    found: dict[tuple[str, str], Subject] = {}
    for record_type, ids in by_type.items():
        describer = _DESCRIBERS.get(record_type)
        described = describer(session, sorted(ids)) if describer else {}
        for record_id in ids:
            subject = described.get(record_id)
            if subject is None:
                pattern = LINKS.get(record_type)
                subject = Subject(link=pattern.format(id=record_id) if pattern else None)
            found[(record_type, record_id)] = subject
    return found


def _record(record_id: str, subject: Subject) -> Markup:
    number = escape(_("#{id}").format(id=record_id))
    shown = Markup('<a href="{}">{}</a>').format(subject.link, number) if subject.link else number
    if subject.label:
        return Markup("{} ({})").format(shown, subject.label)
    return Markup(shown)


def sentence(record: Mapping[str, Any], who: str, subject: Subject) -> Markup:
    """What happened, in a sentence with the record linked (escaped, safe to show)."""
    record_html = _record(record["record_id"], subject)
    template = ACTIONS.get(record["action"])
    if template is None:
        kind = RECORD_TYPES.get(record["record_type"])
        return Markup(escape(_(UNKNOWN_ACTION))).format(
            who=who,
            action=record["action"],
            record_type=gettext(kind) if kind else record["record_type"],
            record=record_html,
        )
    return Markup(escape(_(template))).format(who=who, record=record_html)


# ---- the change, field by field ---------------------------------------------------------


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A state as one level of fields: a nested record (a delivery's offer) keeps its name as
    a prefix ("offer.delivered")."""
    if not isinstance(value, dict):
        return {} if value is None else {prefix or "value": value}
    out: dict[str, Any] = {}
    for key, inner in value.items():
        if isinstance(inner, dict):
            out.update(_flat(inner, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = inner
    return out


def field_label(key: str) -> str:
    """A field's label; a nested one names its record first ("Offer, delivered")."""
    head, _sep, last = key.rpartition(".")
    own = FIELDS.get(last)
    label = gettext(own) if own else last.replace("_", " ").capitalize()
    if head:
        outer = FIELDS.get(head)
        return _("{record}, {field}").format(
            record=gettext(outer) if outer else head, field=label.lower()
        )
    return label


def _instant(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def value_text(key: str, value: Any, subject: Subject, names: _Names) -> str:
    """One field's value in words, in the viewer's language."""
    last = key.rpartition(".")[2]
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if last in _TERM_FIELDS and isinstance(value, str):
        return term(value)
    if last in _DELEGATION_FIELDS and isinstance(value, int):
        return names.delegation_ids.get(value, f"#{value}")
    if (last.endswith("_cents") or last == "amount_minor") and isinstance(value, int):
        return (
            format_eur_exact(value / 100) if last != "amount_minor" else format_number(value / 100)
        )
    if last.endswith("_at") or last in ("hold_by", "silence_deadline"):
        moment = _instant(str(value))
        return format_moment(moment) if moment else str(value)
    if last.endswith("_on") and isinstance(value, str):
        day = _instant(value)
        return format_day(day.date()) if day else value
    if last == "quantity" and isinstance(value, int):
        return subject.count(value) if subject.count else format_number(value)
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, list):
        return (
            ", ".join(
                "/".join(str(v) for v in part) if isinstance(part, list) else str(part)
                for part in value
            )
            or "—"
        )
    text = str(value)
    return text if len(text) <= _LONG_TEXT else text[: _LONG_TEXT - 1] + "…"


def _is_balance(value: Any) -> bool:
    """An offer's balance as its snapshot stores it: [quantity, value in cents]."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def _balance_change(label: str, before: Any, after: Any, subject: Subject) -> Change:
    def quantity(n: int) -> str:
        return subject.count(n) if subject.count else format_number(n)

    def balance(pair: list[int]) -> str:
        return _("{quantity}, value {value}").format(
            quantity=quantity(pair[0]), value=format_eur_exact(pair[1] / 100)
        )

    if before is None or after is None:
        return Change(
            label,
            None if before is None else balance(before),
            None if after is None else balance(after),
        )
    if before[1] == after[1]:
        return Change(label, quantity(before[0]), quantity(after[0]))
    # The quantities, then the values, each from before to after.
    return Change(
        label,
        quantity(before[0]),
        _("{quantity}; value {value_before} → {value_after}").format(
            quantity=quantity(after[0]),
            value_before=format_eur_exact(before[1] / 100),
            value_after=format_eur_exact(after[1] / 100),
        ),
    )


def changes(
    before_text: str | None, after_text: str | None, subject: Subject, names: _Names
) -> list[Change]:
    """The fields that changed; for a new record, every field it was created with."""
    before, after = _flat(_loads(before_text)), _flat(_loads(after_text))
    created = not before
    out: list[Change] = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if not created and old == new:
            continue
        if created and (new is None or new == [0, 0]):
            continue  # a new record's empty fields (and zero balances) say nothing
        label = field_label(key)
        if _is_balance(old) or _is_balance(new):
            out.append(_balance_change(label, old, new, subject))
            continue
        out.append(
            Change(
                label,
                None if created or key not in before else value_text(key, old, subject, names),
                None if key not in after else value_text(key, new, subject, names),
            )
        )
    return out


def change_text(change: Change) -> str:
    """A change in one line, as the page shows it."""
    if change.before is None:
        return _("{field}: {value}").format(field=change.label, value=change.after)
    if change.after is None:
        return _("{field}: {value} (removed)").format(field=change.label, value=change.before)
    return _("{field}: {before} → {after}").format(
        field=change.label, before=change.before, after=change.after
    )


def tell(session: Session, records: Sequence[Mapping[str, Any]]) -> list[Story]:
    """Each record of a page of the log, told: one query per kind of name needed."""
    names = _names(session, records)
    subjects = _subjects(session, records)
    stories = []
    for r in records:
        subject = subjects[(r["record_type"], r["record_id"])]
        stories.append(
            Story(
                id=r["id"],
                at=r["at"],
                sentence=sentence(r, _who(r, names), subject),
                changes=changes(r["before_state"], r["after_state"], subject, names),
                raw_before=r["before_state"],
                raw_after=r["after_state"],
                record_type=r["record_type"],
                record_id=r["record_id"],
                action=r["action"],
                actor=r["actor"],
                delegation=r["delegation"],
            )
        )
    return stories


def action_choices() -> Iterable[tuple[str, str]]:
    """The filter's actions: each code with its description ("committed offer"), in the
    viewer's language, sorted by it."""
    described = (
        (code, " ".join(_(template).format(who="", record="").split()))
        for code, template in ACTIONS.items()
    )
    return sorted(described, key=lambda pair: pair[1])
