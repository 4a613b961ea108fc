"""Rules of seating (no I/O)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class DelegationKind(StrEnum):
    MEMBER = "member"
    PARTNER = "partner"
    SECRETARIAT = "secretariat"
    # A state or an organisation outside the alliance that supports the partner (the EU,
    # Japan): it holds instruments and may make offers, but never sits in the council and is
    # never among a request's addressees.
    CONTRIBUTOR = "contributor"


# The European Union's code. Delegations go by ISO 3166 alpha-3 codes, and ISO 3166 reserves
# EUU (alpha-3) for the EU: the demo's contributor and its security agreements use it. A source
# that writes the EU otherwise (Kiel: "EU") is read as EUU, so the EU is one delegation.
EUROPEAN_UNION = "EUU"


def valid_code(code: str) -> bool:
    """An ISO 3166 alpha-3 code, or a short code such as SEC: letters only, 2 to 8 of them."""
    return code.isalpha() and 2 <= len(code) <= 8


def valid_imported_code(code: str) -> bool:
    """A code an import gives a delegation: an ISO code, or a letter and the source's own id
    (UN OCHA FTS organisation 2924: ``F2924``); capitals and digits, 2 to 8 of them."""
    return (
        code.isascii()
        and code.isalnum()
        and code[:1].isalpha()
        and code == code.upper()
        and 2 <= len(code) <= 8
    )


def is_seated(joined_on: dt.date | None, left_on: dt.date | None, on: dt.date) -> bool:
    """Whether a delegation sits in the council on a given day (it leaves on ``left_on``)."""
    if joined_on is not None and on < joined_on:
        return False
    return left_on is None or on < left_on
