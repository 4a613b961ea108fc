"""Path and query parameters shared by the routes.

Whole numbers in a URL are digits only: Pydantic alone would read ``0.0`` or ``1e3`` as
integers, and an API should refuse what it does not document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator


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
