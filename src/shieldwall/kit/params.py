"""Path and query parameters shared by the routes, and ids wherever they come from.

Whole numbers in a URL are digits only: Pydantic alone would read ``0.0`` or ``1e3`` as
integers, and an API should refuse what it does not document. Ids are 64-bit in every table;
the API addresses them from 1 to MAX_ID = 2^62, in paths, query filters, bodies and forms.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Path, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, BeforeValidator, Field

from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import format_number
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.text import SingleLine, control_character_problem

MAX_ID = 2**62


def _digits_only(value: object) -> object:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError(_("give a whole number, like 3"))
    return value


Whole = BeforeValidator(_digits_only)
RecordId = Annotated[int, Whole, Path(ge=1, le=MAX_ID)]
RecordIdFilter = Annotated[int | None, Whole, Query(ge=1, le=MAX_ID)]
# An id in a JSON body: a JSON number, strictly (no string, no true, no 1.0).
RecordIdField = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Offset = Annotated[int, Whole, Query(ge=0, le=10**9)]
Limit = Annotated[int, Whole, Query(ge=1, le=1000)]
PageNumber = Annotated[int, Whole, Query(ge=1, le=10**6)]
# The client's idempotency key of a create (DESIGN rule 6).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key again to get the first result instead of a duplicate",
    ),
    SingleLine,
]


def parse_record_id(field: str, text: str) -> int:
    """An id sent by a page form: digits only, from 1 to MAX_ID."""
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput(field, _("give a whole number, like 3"))
    if len(digits) > len(str(MAX_ID)) or not 1 <= int(digits) <= MAX_ID:
        raise InvalidInput(
            field, _("ids run from 1 to {largest} (2^62)").format(largest=format_number(MAX_ID))
        )
    return int(digits)


async def plain_query(request: Request) -> None:
    """Every route's query parameters are one line of text each: no control characters
    (``kit.text``), so that no filter can carry, say, a NUL byte to the database. Installed
    for the whole app, so that no route's parameters are left out. ``async`` though it never
    waits: FastAPI runs a plain ``def`` dependency in its thread pool, a hand-off to another
    thread and back for every request (benchmarks/api_load.py)."""
    for name, value in request.query_params.multi_items():
        problem = control_character_problem(value) or control_character_problem(name)
        if problem is not None:
            raise InvalidInput(name if name.isprintable() else "query", problem)
    route = request.scope.get("route")
    if route is not None and getattr(route, "path", "").startswith(API_PATHS):
        taken = _query_parameters(route)
        for name in request.query_params:
            if name not in taken:
                raise InvalidInput(name, _unknown_parameter(taken))


# The JSON API refuses a query parameter it does not take: a misspelt filter
# (``?offer=9`` for ``?offer_id=9``) would otherwise be ignored, and the answer — the whole
# ledger — read as the filtered one. Pages keep theirs loose: their listings read the query
# themselves, and a browser's link may carry what a page does not use.
API_PATHS = "/api/"


# Per route, by what makes it the same route in every app this process builds (a route is
# not hashable, and its endpoint function is shared by all).
_TAKEN: dict[tuple[str, frozenset[str], Any], frozenset[str]] = {}


def _query_parameters(route: Any) -> frozenset[str]:
    """The names (aliases) of the query parameters ``route`` declares, its dependencies' too
    (a parameter model's fields each)."""
    key = (route.path, frozenset(route.methods), route.endpoint)
    taken = _TAKEN.get(key)
    if taken is None:
        taken = _TAKEN[key] = _declared_query(route.dependant)
    return taken


def _declared_query(top: Dependant) -> frozenset[str]:
    names: set[str] = set()
    dependants: list[Dependant] = [top]
    while dependants:
        dependant = dependants.pop()
        dependants.extend(dependant.dependencies)
        for field in dependant.query_params:
            model = field.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                names.update(f.alias or n for n, f in model.model_fields.items())
            else:
                names.add(field.alias)
    return frozenset(names)


def _unknown_parameter(taken: frozenset[str]) -> str:
    if not taken:
        return _("this request takes no query parameter")
    return _("not a parameter of this request; it takes: {names}").format(
        names=", ".join(sorted(taken))
    )
