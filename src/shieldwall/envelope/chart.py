"""The envelope over time as a Plotly figure (JSON the page hands to /static/plotly.min.js):
readiness per capability area, a solid line up to today and a dashed one for the projection.

Written for the viewer: the chart's title is the page's (an HTML heading, which wraps on a
phone where an SVG title would not; the same words are its accessible name); its axis says
what the table beside it says, in the viewer's language; the axis's percentages and the hover
texts are written by Babel as the table writes them (``40 %`` in French), and days are ISO
months (``2024-07``), so no English month name or number format of Plotly's own reaches the page.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from shieldwall.kit.i18n import format_percent
from shieldwall.kit.i18n import gettext as _

COLOURS = ("#2f6690", "#3a7d44", "#a4262c", "#7a5d00", "#5b3f8c", "#1b7f86", "#6b7280")
TICKS = (0, 20, 40, 60, 80, 100)
LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.2},
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "xaxis": {"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m-%d"},
}


def _line(
    area: dict[str, Any], points: list[dict[str, Any]], colour: str, ahead: bool, legend: bool
) -> Any:
    name = _("{area} (projected)").format(area=area["name"]) if ahead else area["name"]
    return go.Scatter(
        name=name,
        legendgroup=area["area"],
        showlegend=legend,
        x=[p["on"].isoformat() for p in points],
        y=[round(p["readiness"] * 100, 1) for p in points],
        customdata=[format_percent(p["readiness"]) for p in points],
        mode="lines+markers",
        line={"color": colour, "dash": "dash" if ahead else "solid"},
        hovertemplate="%{x}: %{customdata}<extra>" + name + "</extra>",
    )


def layout() -> dict[str, Any]:
    """The figure's layout in the viewer's language."""
    return {
        **LAYOUT,
        "yaxis": {
            "range": [0, 100],
            "title": {"text": _("Readiness")},
            "tickvals": list(TICKS),
            "ticktext": [format_percent(t / 100) for t in TICKS],
        },
    }


def readiness_over_time(areas: list[dict[str, Any]]) -> str | None:
    """One solid line per area over the months up to today, and a dashed one from today's
    last actual point over the projected months (the page says which is which)."""
    if not areas:
        return None
    traces = []
    for n, area in enumerate(areas):
        colour = COLOURS[n % len(COLOURS)]
        past = [p for p in area["series"] if not p["projected"]]
        ahead = [p for p in area["series"] if p["projected"]]
        # One legend entry per area: its dashed line is named only when it has no solid one.
        if past:
            traces.append(_line(area, past, colour, False, True))
        if ahead:
            traces.append(_line(area, past[-1:] + ahead, colour, True, not past))
    fig = go.Figure(traces)
    fig.update_layout(**layout())
    return str(fig.to_json())
