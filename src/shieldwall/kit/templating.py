"""The server-rendered pages' templates and their number formatting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

# Context processors are added by the features that own what they put in every page (access
# adds who is signed in), so that the kernel depends on none of them.
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def add_to_every_page(processor: Callable[[Request], dict[str, Any]]) -> None:
    TEMPLATES.context_processors.append(processor)


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
