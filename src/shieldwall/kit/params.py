"""Path and query parameters shared by the routes, and ids wherever they come from.

Whole numbers in a URL are digits only: Pydantic alone would read ``0.0`` or ``1e3`` as
integers, and an API should refuse what it does not document. Ids are 64-bit in every table;
the API addresses them from 1 to MAX_ID = 2^62, in paths, query filters, bodies and forms.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query, Request
from pydantic import BeforeValidator, Field

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
