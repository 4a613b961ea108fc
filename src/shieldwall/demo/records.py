"""The demo's records, as read from the data files beside this module.

CSV holds the flat lists (delegations, capability areas, catalogue items); TOML holds what has
structure (requests with their addressees, offers with their histories). The readers are strict:
a missing, unknown or mistyped column or key is an error naming the file and the entry, so that a
typo fails the build instead of quietly changing the demo. Everything these files add beyond the
membership of the council is invented, and the readers mark it illustrative whatever the file says.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

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
    reference_unit_value_cents: int
    price_date: dt.date
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


def read_seats(path: Path = HERE / "delegations.csv") -> list[Seat]:
    def seat(row: dict[str, str]) -> Seat:
        joined = dt.date.fromisoformat(row["joined_on"]) if row["joined_on"] else None
        return Seat(row["code"], row["name"], row["kind"], joined)

    return _read_csv(path, ("code", "name", "kind", "joined_on"), seat)


def read_areas(path: Path = HERE / "areas.csv") -> list[Area]:
    return _read_csv(path, ("code", "name", "description"), lambda row: Area(**row))


def read_items(path: Path = HERE / "items.csv") -> list[Item]:
    """The invented part of the catalogue: reference values are rough public orders of
    magnitude, so each item is tagged illustrative."""

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
    return _read_csv(path, columns, item)


def read_requests(path: Path = HERE / "requests.toml") -> list[Request]:
    requests = _read_toml(path, "request", _request)
    keys = [r.key for r in requests]
    if len(set(keys)) != len(keys):
        raise InvalidInput(path.name, "each request needs a key of its own")
    return requests


def read_offers(path: Path = HERE / "offers.toml") -> list[Lifecycle]:
    return _read_toml(path, "offer", _lifecycle)


def check_requests_named(offers: list[Lifecycle], requests: list[Request]) -> None:
    """Each offer that answers a request names one that is filed."""
    keys = {r.key for r in requests}
    for n, offer in enumerate(offers, start=1):
        if offer.request is not None and offer.request not in keys:
            raise InvalidInput(f"offers.toml offer {n}", f"no request has key {offer.request!r}")


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
    if not _in_order(days) or not all(_in_order(pair) for pair in confirmations):
        raise ValueError("the dates of the offer's history are out of order")


def _in_order(days: list[dt.date | None] | tuple[dt.date | None, ...]) -> bool:
    known = [day for day in days if day is not None]
    return known == sorted(known)


def _read_csv(path: Path, columns: tuple[str, ...], make: Callable[[dict[str, str]], T]) -> list[T]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != columns:
            raise InvalidInput(path.name, f"expected the columns {','.join(columns)}")
        return [
            _made(f"{path.name} line {n}", lambda r: make(_complete(r, columns)), row)
            for n, row in enumerate(reader, start=2)
        ]


def _complete(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, str]:
    """The row, if it has a field for each column: DictReader pads a short row with None and
    keys a long row's surplus by None."""
    if None in row or None in row.values():
        raise ValueError(f"expected {len(columns)} fields")
    return row


def _read_toml(path: Path, array: str, make: Callable[[Entry], T]) -> list[T]:
    """The tables of the array ``[[array]]``, each made into a record by ``make``."""
    with path.open("rb") as handle:
        try:
            document = Entry(tomllib.load(handle))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(path.name, str(exc)) from None
    entries = _made(path.name, lambda d: d.read(lambda e: e.tables(array)), document)
    return [
        _made(f"{path.name} {array} {n}", lambda e: e.read(make), entry)
        for n, entry in enumerate(entries, start=1)
    ]


def _made(where: str, make: Callable[[Raw], T], raw: Raw) -> T:
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
