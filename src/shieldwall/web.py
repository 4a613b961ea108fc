"""Shared helpers of the server-rendered pages: templates and number formatting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates


def _session(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in (for the header and the sign-out form)."""
    from shieldwall.access.web import page_session

    try:
        return {"session": page_session(request)}
    except Exception:  # an unreachable database must not hide the error page itself
        return {"session": None}


TEMPLATES = Jinja2Templates(
    directory=str(Path(__file__).parent / "templates"), context_processors=[_session]
)


def eur(value: Any) -> str:
    """€ with thousands separators; large sums in millions or billions."""
    if value is None:
        return "—"
    amount = float(value)
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e9:
        return f"{sign}€{amount / 1e9:,.2f} bn"
    if amount >= 1e6:
        return f"{sign}€{amount / 1e6:,.1f} m"
    return f"{sign}€{amount:,.0f}"


def number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.0f}%"


TEMPLATES.env.filters["eur"] = eur
TEMPLATES.env.filters["number"] = number
TEMPLATES.env.filters["percent"] = percent
