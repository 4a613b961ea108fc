"""Path and query parameters shared by the routes.

Whole numbers in a URL are digits only: Pydantic alone would read ``0.0`` or ``1e3`` as
integers, and an API should refuse what it does not document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from pydantic import BeforeValidator

from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.text import control_character_problem


def _digits_only(value: object) -> object:
    if isinstance(value, str) and not value.isdigit():
        raise ValueError("give a whole number, like 3")
    return value


Whole = BeforeValidator(_digits_only)
RecordId = Annotated[int, Whole, Path(ge=1, le=2**62)]
RecordIdFilter = Annotated[int | None, Whole, Query(ge=1, le=2**62)]
Offset = Annotated[int, Whole, Query(ge=0, le=10**9)]
Limit = Annotated[int, Whole, Query(ge=1, le=1000)]
PageNumber = Annotated[int, Whole, Query(ge=1, le=10**6)]


def plain_query(request: Request) -> None:
    """Every route's query parameters are one line of text each: no control characters
    (``kit.text``), so that no filter can carry, say, a NUL byte to the database. Installed
    for the whole app, so that no route's parameters are left out."""
    for name, value in request.query_params.multi_items():
        problem = control_character_problem(value) or control_character_problem(name)
        if problem is not None:
            raise InvalidInput(name if name.isprintable() else "query", problem)
