"""UN OCHA Financial Tracking Service (FTS): the flows of one page of ``v1/fts/flow/custom-search``
(JSON), read and checked into plain records.

The page is read whole with the json module: the standard library has no streaming JSON
parser and an FTS page is small (the API pages its results; the sample is 368 KB for 200
flows). A flow's "line" is its position in the page's ``data.flows`` list, from 1.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pycountry

from shieldwall.importers.common import TextFile
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _

STATUSES = ("pledge", "commitment", "paid")


@dataclass(frozen=True)
class FtsOrganisation:
    id: str
    name: str
    government: bool
    location: str | None  # the name of its Location, as FTS gives it

    @property
    def iso3(self) -> str | None:
        """The ISO 3166 alpha-3 code of a government's Location, if the name is known."""
        if not self.government or not self.location:
            return None
        try:
            return str(pycountry.countries.lookup(self.location).alpha_3)
        except LookupError:
            return None


@dataclass(frozen=True)
class FtsFlow:
    index: int  # its position in the page, from 1
    id: str
    version: int
    status: str  # pledge | commitment | paid
    amount_usd_cents: int
    original_currency: str | None
    original_amount_cents: int | None
    on: dt.date
    source: FtsOrganisation | None
    destination: FtsOrganisation | None
    clusters: tuple[str, ...]  # its GlobalCluster names
    description: str
    boundary: str
    parent: str | None
    children: tuple[str, ...]


def read_flows(path: Path) -> list[FtsFlow]:
    """Every flow of the page, checked: a file that is not UTF-8 JSON of an FTS page, or a flow
    without its id, status, amount or date, is refused naming the file and the flow."""
    text = "".join(TextFile(path).lines())
    if not text.strip():
        raise InvalidInput(path.name, _("the file is empty"))
    try:
        page = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path.name} line {exc.lineno}", _("not valid JSON: {problem}").format(problem=exc.msg)
        ) from None
    flows = page.get("data", {}).get("flows") if isinstance(page, dict) else None
    if not isinstance(flows, list) or not flows:
        raise InvalidInput(path.name, _("not an FTS flow search page: no data.flows list"))
    out: list[FtsFlow] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(flows, start=1):
        where = f"{path.name} flow {index}"
        if not isinstance(raw, dict):
            raise InvalidInput(where, _("a flow is a JSON object"))
        flow = _flow(where, index, raw)
        if seen.setdefault(flow.id, index) != index:
            raise InvalidInput(
                where,
                _("flow {id} appears twice (first as flow {first})").format(
                    id=flow.id, first=seen[flow.id]
                ),
            )
        out.append(flow)
    return out


def _flow(where: str, index: int, raw: dict[str, Any]) -> FtsFlow:
    flow_id = str(raw.get("id", "")).strip()
    if not flow_id.isdigit():
        raise InvalidInput(f"{where} id", _("a flow needs its numeric id"))
    status = raw.get("status")
    if status not in STATUSES:
        raise InvalidInput(
            f"{where} status",
            _("{value!r} is not one of {choices}").format(
                value=str(status)[:20], choices=", ".join(STATUSES)
            ),
        )
    currency = raw.get("originalCurrency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3):
        raise InvalidInput(f"{where} originalCurrency", _("not a currency code"))
    original = raw.get("originalAmount")
    parent = raw.get("parentFlowId")
    return FtsFlow(
        index=index,
        id=flow_id,
        version=_whole(f"{where} versionId", raw.get("versionId", 1)),
        status=status,
        amount_usd_cents=cents(f"{where} amountUSD", raw.get("amountUSD")),
        original_currency=currency.upper() if currency else None,
        original_amount_cents=None
        if original is None
        else cents(f"{where} originalAmount", original),
        on=_day(f"{where} date", raw.get("date")),
        source=_organisation(raw.get("sourceObjects")),
        destination=_organisation(raw.get("destinationObjects")),
        clusters=tuple(o["name"] for o in _objects(raw.get("destinationObjects"), "GlobalCluster")),
        description=str(raw.get("description") or "")[:500],
        boundary=str(raw.get("boundary") or ""),
        parent=None if parent is None else str(parent),
        children=tuple(str(c) for c in raw.get("childFlowIds") or ()),
    )


def cents(field: str, value: Any) -> int:
    """An amount (a JSON number, not negative) in cents, rounded half to even."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, _("{value!r} is not an amount").format(value=str(value)[:20]))
    try:
        amount = Decimal(str(value)) * 100
    except InvalidOperation:
        raise InvalidInput(
            field, _("{value!r} is not an amount").format(value=str(value)[:20])
        ) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(field, _("{value!r} is not an amount").format(value=str(value)[:20]))
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _whole(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            field, _("{value!r} is not a whole number").format(value=str(value)[:20])
        )
    return value


def _day(field: str, value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidInput(
            field, _("{value!r} is not a date").format(value=str(value)[:30])
        ) from None


def _objects(objects: Any, kind: str) -> Iterator[dict[str, Any]]:
    for o in objects or ():
        if isinstance(o, dict) and o.get("type") == kind and o.get("name"):
            yield o


def _organisation(objects: Any) -> FtsOrganisation | None:
    """The side's Organization (the first, if FTS names several), with its Location."""
    organisation = next(_objects(objects, "Organization"), None)
    if organisation is None:
        return None
    location = next(_objects(objects, "Location"), None)
    return FtsOrganisation(
        id=str(organisation.get("id", "")),
        name=str(organisation["name"])[:120],
        government="Government" in (organisation.get("organizationTypes") or ()),
        location=str(location["name"]) if location else None,
    )
