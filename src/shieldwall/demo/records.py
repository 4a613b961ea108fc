"""The demo's records, as read from the data files beside this module.

CSV holds the flat lists (delegations, capability areas, catalogue items, and the council's real
meetings in ``nuc_meetings.csv``, a verbatim copy of a hand-compiled public dataset); TOML holds
what has structure (requests with their addressees, offers with their histories, and in
``council.toml`` what the meetings file does not say plus the council's illustrative business).
The readers are strict: a missing, unknown or mistyped column or key is an error naming the file
and the entry (a CSV row by its line), so that a typo fails the build instead of quietly changing
the demo. Beyond the membership of the council and the council's meetings as the dataset
records them, everything these files add is invented, and it is marked illustrative whatever the
file says.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from shieldwall.council.model import MeetingLevel
from shieldwall.kit.errors import InvalidInput

HERE = Path(__file__).parent
T = TypeVar("T")
Raw = TypeVar("Raw")


@dataclass(frozen=True)
class Seat:
    """A delegation seated in the council: the secretariat, the partner or a member."""

    code: str
    name: str
    kind: str
    joined_on: dt.date | None


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class Item:
    """A catalogue item, with its reference unit value and the date of that price."""

    code: str
    name: str
    area: str
    unit: str
    reference_unit_value_cents: int | None  # None: no price (Kiel's weapons)
    price_date: dt.date | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Request:
    """A request for assistance by the partner; ``key`` is how offers point at it."""

    key: str
    filed_on: dt.date
    title: str
    area: str | None
    item: str | None
    quantity: int | None
    value_cents: int | None
    priority: str
    need_by: dt.date | None
    justification: str
    addressees: tuple[str, ...]
    releasability: str | None
    answered_by_kiel: bool  # the offers of its item from Kiel's tracker answer it


@dataclass(frozen=True)
class Answer:
    """An offer accepted or declined by the partner, or withdrawn by the member."""

    verb: Literal["accept", "decline", "withdraw"]
    on: dt.date
    reason: str = ""


@dataclass(frozen=True)
class Delivery:
    quantity: int
    delivered_on: dt.date
    confirmed_on: dt.date | None  # None: it awaits the partner's confirmation


@dataclass(frozen=True)
class Lifecycle:
    """An offer and what became of it: its answer, its commitment, its deliveries."""

    member: str
    offered_on: dt.date
    kind: str
    quantity: int
    item: str | None
    area: str | None
    value_cents: int | None  # None: valued at the item's reference value
    request: str | None
    description: str
    source: str
    illustrative: bool
    releasability: str | None
    answer: Answer | None = None
    committed_on: dt.date | None = None
    deliveries: tuple[Delivery, ...] = ()
    kiel_category: str | None = None  # the offer carrying Kiel's value of a donor's category


def read_seats(path: Path = HERE / "delegations.csv") -> list[Seat]:
    def seat(row: dict[str, str]) -> Seat:
        joined = dt.date.fromisoformat(row["joined_on"]) if row["joined_on"] else None
        return Seat(row["code"], row["name"], row["kind"], joined)

    return read_csv(path, ("code", "name", "kind", "joined_on"), seat)


def read_areas(path: Path = HERE / "areas.csv") -> list[Area]:
    return read_csv(path, ("code", "name", "description"), lambda row: Area(**row))


def read_items(path: Path = HERE / "items.csv") -> list[Item]:
    """The invented part of the catalogue: reference values are rough public orders of
    magnitude, so each item is tagged illustrative. A tag says which items can stand in for
    one another (an offer or a clearing-house line of an item sharing a request's tag answers
    it), so two items share one only if either would do: crew training is no interceptor."""

    def item(row: dict[str, str]) -> Item:
        return Item(
            code=row["code"],
            name=row["name"],
            area=row["area"],
            unit=row["unit"],
            reference_unit_value_cents=int(row["reference_unit_value_eur"]) * 100,
            price_date=dt.date.fromisoformat(row["price_date"]),
            tags=(*row["tags"].split(), "illustrative"),
        )

    columns = ("code", "name", "area", "unit", "reference_unit_value_eur", "price_date", "tags")
    return read_csv(path, columns, item)


def read_requests(path: Path = HERE / "requests.toml") -> list[Request]:
    requests = read_toml(path, "request", _request)
    keys = [r.key for r in requests]
    if len(set(keys)) != len(keys):
        raise InvalidInput(path.name, "each request needs a key of its own")
    return requests


def read_offers(path: Path = HERE / "offers.toml") -> list[Lifecycle]:
    return read_toml(path, "offer", _lifecycle)


def check_requests_named(offers: list[Lifecycle], requests: list[Request]) -> None:
    """Each offer that answers a request names one that is filed."""
    keys = {r.key for r in requests}
    for n, offer in enumerate(offers, start=1):
        if offer.request is not None and offer.request not in keys:
            raise InvalidInput(f"offers.toml offer {n}", f"no request has key {offer.request!r}")


# ---- the council -------------------------------------------------------------------------------

NOT_CONFIRMED = "NOT CONFIRMED HELD"  # how the dataset marks a meeting only in a programme
MEETING_COLUMNS = ("date", "level", "convened_by", "crisis", "topic", "outcome", "sources")


@dataclass(frozen=True)
class CouncilMeeting:
    """A real meeting of the NATO–Ukraine Council, as one row of the dataset records it."""

    on: dt.date
    level: str
    convened_by: str | None  # the delegation a source says asked for it; None: none named
    crisis: bool
    topic: str
    outcome: str
    sources: tuple[str, ...]

    @property
    def unconfirmed(self) -> bool:
        return NOT_CONFIRMED in self.outcome


@dataclass(frozen=True)
class CrisisRequest:
    """When a crisis meeting was asked for (the meetings file gives only the day it met), and
    on what basis: what the sources say, or the assumption made."""

    meeting: dt.date
    requested_on: dt.date
    basis: str


@dataclass(frozen=True)
class NotHeld:
    """A meeting of the file that no source reports as held, and why it is kept unheld."""

    meeting: dt.date
    status: str


@dataclass(frozen=True)
class Stated:
    """A delegation's position on an illustrative proposal, on its day."""

    delegation: str
    stance: Literal["support", "abstain", "object"]
    on: dt.date
    reason: str = ""


@dataclass(frozen=True)
class DemoProposal:
    """An illustrative proposal and the positions stated on it, in order; circulated under
    silence on ``circulated_on`` for ``silence_days`` if given (no objection: adopted)."""

    title: str
    text: str
    tabled_by: str
    tabled_on: dt.date
    positions: tuple[Stated, ...]
    circulated_on: dt.date | None = None
    silence_days: int | None = None


@dataclass(frozen=True)
class LiveSilence:
    """A proposal under silence at the demo's present: dated back from that present, so
    its deadline is still ahead whenever the demo is built."""

    title: str
    text: str
    tabled_by: str
    days_since_circulated: int
    days_to_deadline: int
    supporters: tuple[str, ...]


@dataclass(frozen=True)
class LateConsultation:
    """A crisis consultation asked for by the partner and not held in time: requested
    ``days_since_request`` before the demo's present, scheduled for after its time limit."""

    title: str
    reason: str
    level: str
    days_since_request: int
    starts_in_days: int


@dataclass(frozen=True)
class CouncilBusiness:
    """What council.toml adds to the meetings file: the request days of its crisis meetings,
    the meetings not reported held, and the council's illustrative business."""

    requests: tuple[CrisisRequest, ...]
    not_held: tuple[NotHeld, ...]
    proposals: tuple[DemoProposal, ...]
    live_silence: LiveSilence
    late_consultation: LateConsultation


def read_council_meetings(path: Path = HERE / "nuc_meetings.csv") -> list[CouncilMeeting]:
    meetings = read_csv(path, MEETING_COLUMNS, _council_meeting)
    days = [m.on for m in meetings]
    if days != sorted(set(days)):  # council.toml names a meeting by its day
        raise InvalidInput(path.name, "one meeting a day, in date order")
    return meetings


def _council_meeting(row: dict[str, str]) -> CouncilMeeting:
    levels = [lv.value for lv in MeetingLevel]
    if row["level"] not in levels:
        raise ValueError(f"level: use one of {', '.join(levels)}, not {row['level']!r}")
    convener = row["convened_by"].strip()
    if convener and not (len(convener) == 3 and convener.isalpha() and convener.isupper()):
        raise ValueError(f"convened_by: a delegation's code or blank, not {convener!r}")
    if row["crisis"] not in ("yes", "no"):
        raise ValueError(f"crisis: yes or no, not {row['crisis']!r}")
    if row["crisis"] == "yes" and not convener:
        raise ValueError("a crisis meeting names in convened_by who asked for it")
    sources = tuple(row["sources"].split())
    if not sources or not all(s.startswith(("https://", "http://")) for s in sources):
        raise ValueError("sources: one or more web addresses, separated by spaces")
    for column in ("topic", "outcome"):
        if not row[column].strip():
            raise ValueError(f"{column} is empty")
    try:
        on = dt.date.fromisoformat(row["date"])
    except ValueError:
        raise ValueError(f"date: YYYY-MM-DD, not {row['date']!r}") from None
    topic, outcome = row["topic"].strip(), row["outcome"].strip()
    return CouncilMeeting(
        on, row["level"], convener or None, row["crisis"] == "yes", topic, outcome, sources
    )


def read_council(path: Path = HERE / "council.toml") -> CouncilBusiness:
    document = load_toml(path)

    def each(array: str, make: Callable[[Entry], T]) -> tuple[T, ...]:
        entries = made(path.name, lambda d: d.tables(array), document)
        return tuple(
            made(f"{path.name} {array} {n}", lambda e: e.read(make), entry)
            for n, entry in enumerate(entries, start=1)
        )

    def one(table: str, make: Callable[[Entry], T]) -> T:
        entry = Entry(made(path.name, lambda d: d.need(table, dict), document))
        return made(f"{path.name} {table}", lambda e: e.read(make), entry)

    business = CouncilBusiness(
        requests=each("crisis_request", _crisis_request),
        not_held=each("not_held", _not_held),
        proposals=each("proposal", _demo_proposal),
        live_silence=one("live_silence", _live_silence),
        late_consultation=one("late_consultation", _late_consultation),
    )
    made(path.name, lambda d: d.read(lambda _: None), document)  # no unknown table
    return business


def _crisis_request(entry: Entry) -> CrisisRequest:
    request = CrisisRequest(
        entry.need("meeting", dt.date),
        entry.need("requested_on", dt.date),
        entry.need("basis", str),
    )
    if request.requested_on > request.meeting:
        raise ValueError("requested_on comes after the meeting")
    return request


def _not_held(entry: Entry) -> NotHeld:
    unheld = NotHeld(entry.need("meeting", dt.date), entry.need("status", str))
    if not 0 < len(unheld.status) <= 100:  # it goes into the meeting's title
        raise ValueError("status: say it in 1 to 100 characters")
    return unheld


def _demo_proposal(entry: Entry) -> DemoProposal:
    proposal = DemoProposal(
        title=entry.need("title", str),
        text=entry.need("text", str),
        tabled_by=entry.need("tabled_by", str),
        tabled_on=entry.need("tabled_on", dt.date),
        positions=tuple(p.read(_stated) for p in entry.tables("positions")),
        circulated_on=entry.get("circulated_on", dt.date),
        silence_days=entry.get("silence_days", int),
    )
    if (proposal.circulated_on is None) != (proposal.silence_days is None):
        raise ValueError("give both circulated_on and silence_days, or neither")
    days: list[dt.date | None] = [proposal.tabled_on, *(p.on for p in proposal.positions)]
    if not in_order(days) or not in_order([proposal.tabled_on, proposal.circulated_on]):
        raise ValueError("the positions follow the tabling, in date order")
    return proposal


def _stated(entry: Entry) -> Stated:
    stances: dict[str, Literal["support", "abstain", "object"]] = {
        "support": "support",
        "abstain": "abstain",
        "object": "object",
    }
    given = entry.need("stance", str)
    if given not in stances:
        raise ValueError(f"stance: support, abstain or object, not {given!r}")
    reason = entry.get("reason", str) or ""
    if given == "object" and not reason.strip():
        raise ValueError("an objection needs a reason")
    on = entry.need("on", dt.date)
    return Stated(entry.need("delegation", str), stances[given], on, reason)


def _live_silence(entry: Entry) -> LiveSilence:
    silence = LiveSilence(
        title=entry.need("title", str),
        text=entry.need("text", str),
        tabled_by=entry.need("tabled_by", str),
        days_since_circulated=entry.need("days_since_circulated", int),
        days_to_deadline=entry.need("days_to_deadline", int),
        supporters=entry.strings("supporters"),
    )
    if silence.days_since_circulated < 1 or silence.days_to_deadline < 1:
        raise ValueError("circulated a day or more ago, with a deadline a day or more ahead")
    return silence


def _late_consultation(entry: Entry) -> LateConsultation:
    late = LateConsultation(
        title=entry.need("title", str),
        reason=entry.need("reason", str),
        level=entry.need("level", str),
        days_since_request=entry.need("days_since_request", int),
        starts_in_days=entry.need("starts_in_days", int),
    )
    if late.days_since_request < 2 or late.starts_in_days < 1:
        raise ValueError("requested two days or more ago, to meet a day or more from now")
    return late


def check_council(meetings: list[CouncilMeeting], business: CouncilBusiness) -> None:
    """council.toml names meetings of the file: a request day for each crisis meeting and
    for no other, and every meeting the file marks not confirmed held among the unheld."""
    crisis = {m.on for m in meetings if m.crisis}
    days = {m.on for m in meetings}
    for n, request in enumerate(business.requests, start=1):
        if request.meeting not in crisis:
            raise InvalidInput(f"council.toml crisis_request {n}", "no crisis meeting that day")
    missing = crisis - {r.meeting for r in business.requests}
    if missing or len(business.requests) != len(crisis):
        raise InvalidInput("council.toml", "give each crisis meeting one crisis_request")
    for n, unheld in enumerate(business.not_held, start=1):
        if unheld.meeting not in days:
            raise InvalidInput(f"council.toml not_held {n}", "no meeting that day")
    unconfirmed = {m.on for m in meetings if m.unconfirmed} - {u.meeting for u in business.not_held}
    if unconfirmed:
        first = min(unconfirmed).isoformat()
        raise InvalidInput("council.toml", f"list the meeting of {first} under not_held")


def _request(entry: Entry) -> Request:
    value_eur = entry.get("value_eur", int)
    return Request(
        key=entry.need("key", str),
        filed_on=entry.need("filed_on", dt.date),
        title=entry.need("title", str),
        area=entry.get("area", str),
        item=entry.get("item", str),
        quantity=entry.get("quantity", int),
        value_cents=None if value_eur is None else value_eur * 100,
        priority=entry.need("priority", str),
        need_by=entry.get("need_by", dt.date),
        justification=entry.need("justification", str),
        addressees=entry.strings("addressees"),
        releasability=entry.get("releasability", str),
        answered_by_kiel=bool(entry.get("answered_by_kiel", bool)),
    )


def _lifecycle(entry: Entry) -> Lifecycle:
    value_eur = entry.get("value_eur", int)
    life = Lifecycle(
        member=entry.need("member", str),
        offered_on=entry.need("offered_on", dt.date),
        kind=entry.need("kind", str),
        quantity=entry.need("quantity", int),
        item=entry.get("item", str),
        area=entry.get("area", str),
        value_cents=None if value_eur is None else value_eur * 100,
        request=entry.get("request", str),
        description=entry.get("description", str) or "",
        source="",
        illustrative=True,  # an invented offer, whatever else the file says
        releasability=entry.get("releasability", str),
        answer=_answer(entry),
        committed_on=entry.get("committed_on", dt.date),
        deliveries=tuple(d.read(_delivery) for d in entry.tables("deliveries")),
    )
    _check_history(life)
    return life


def _answer(entry: Entry) -> Answer | None:
    verbs: dict[str, Literal["accept", "decline", "withdraw"]] = {
        "accepted_on": "accept",
        "declined_on": "decline",
        "withdrawn_on": "withdraw",
    }
    given = [(verbs[key], on) for key in verbs if (on := entry.get(key, dt.date))]
    reason = entry.get("reason", str) or ""
    if len(given) > 1:
        raise ValueError("give at most one of accepted_on, declined_on and withdrawn_on")
    if not given:
        if reason:
            raise ValueError("a reason needs declined_on or withdrawn_on")
        return None
    verb, on = given[0]
    if (verb == "accept") == bool(reason):
        raise ValueError("a decline or a withdrawal needs a reason, an acceptance none")
    return Answer(verb, on, reason)


def _delivery(entry: Entry) -> Delivery:
    return Delivery(
        quantity=entry.need("quantity", int),
        delivered_on=entry.need("delivered_on", dt.date),
        confirmed_on=entry.get("confirmed_on", dt.date),
    )


def _check_history(life: Lifecycle) -> None:
    """Each step follows the one it needs, on the same day or later."""
    if life.committed_on and not (life.answer and life.answer.verb == "accept"):
        raise ValueError("committed_on needs accepted_on: only an accepted offer is committed")
    if life.deliveries and not life.committed_on:
        raise ValueError("deliveries need committed_on: only a committed offer is delivered")
    days = [life.offered_on, life.answer.on if life.answer else None, life.committed_on]
    days += [d.delivered_on for d in life.deliveries]
    confirmations = [(d.delivered_on, d.confirmed_on) for d in life.deliveries]
    if not in_order(days) or not all(in_order(pair) for pair in confirmations):
        raise ValueError("the dates of the offer's history are out of order")


def in_order(days: list[dt.date | None] | tuple[dt.date | None, ...]) -> bool:
    known = [day for day in days if day is not None]
    return known == sorted(known)


def read_csv(path: Path, columns: tuple[str, ...], make: Callable[[dict[str, str]], T]) -> list[T]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != columns:
            raise InvalidInput(path.name, f"expected the columns {','.join(columns)}")
        return [
            made(f"{path.name} line {n}", lambda r: make(_complete(r, columns)), row)
            for n, row in enumerate(reader, start=2)
        ]


def _complete(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, str]:
    """The row, if it has a field for each column: DictReader pads a short row with None and
    keys a long row's surplus by None."""
    if None in row or None in row.values():
        raise ValueError(f"expected {len(columns)} fields")
    return row


def read_toml(path: Path, array: str, make: Callable[[Entry], T]) -> list[T]:
    """The tables of the array ``[[array]]``, each made into a record by ``make``."""
    document = load_toml(path)
    entries = made(path.name, lambda d: d.read(lambda e: e.tables(array)), document)
    return [
        made(f"{path.name} {array} {n}", lambda e: e.read(make), entry)
        for n, entry in enumerate(entries, start=1)
    ]


def load_toml(path: Path) -> Entry:
    """The whole document, to be read strictly; bad TOML is an error naming the file."""
    with path.open("rb") as handle:
        try:
            return Entry(tomllib.load(handle))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(path.name, str(exc)) from None


def made(where: str, make: Callable[[Raw], T], raw: Raw) -> T:
    """``make(raw)``; a bad value is reported as the one at ``where``."""
    try:
        return make(raw)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(where, str(exc)) from None


class Entry:
    """One TOML table, read strictly: each value has the type asked for, and a key that nobody
    asks for is an error (a typo, most likely)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = dict(raw)

    def read(self, make: Callable[[Entry], T]) -> T:
        made = make(self)
        if self.raw:
            raise ValueError(f"unknown key(s) {', '.join(sorted(self.raw))}")
        return made

    def get(self, key: str, kind: type[T]) -> T | None:
        value = self.raw.pop(key, None)
        if value is not None and not _is_a(value, kind):
            raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}")
        return cast("T | None", value)

    def need(self, key: str, kind: type[T]) -> T:
        value = self.get(key, kind)
        if value is None:
            raise ValueError(f"{key} is missing")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.get(key, list) or []
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"{key} should be a list of strings")
        return tuple(values)

    def tables(self, key: str) -> list[Entry]:
        values = self.get(key, list) or []
        if not all(isinstance(v, dict) for v in values):
            raise ValueError(f"{key} should be a list of tables")
        return [Entry(v) for v in values]


def _is_a(value: object, kind: type) -> bool:
    """isinstance, without taking a bool for an int or a date and time for a date."""
    if isinstance(value, bool) and kind is not bool:
        return False
    if isinstance(value, dt.datetime) and kind is dt.date:
        return False
    return isinstance(value, kind)
