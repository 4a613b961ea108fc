"""The envelope over time as a Plotly figure (JSON the page hands to /static/plotly.min.js):
readiness per capability area, a solid line up to today and a dashed one for the projection."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

COLOURS = ("#2f6690", "#3a7d44", "#a4262c", "#7a5d00", "#5b3f8c", "#1b7f86", "#6b7280")
LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.2},
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "yaxis": {"range": [0, 100], "ticksuffix": "%", "title": {"text": "Readiness"}},
    "xaxis": {"type": "date"},
}


def _line(
    area: dict[str, Any], points: list[dict[str, Any]], colour: str, ahead: bool, legend: bool
) -> Any:
    return go.Scatter(
        name=f"{area['name']} (projected)" if ahead else area["name"],
        legendgroup=area["area"],
        showlegend=legend,
        x=[p["on"].isoformat() for p in points],
        y=[round(p["readiness"] * 100, 1) for p in points],
        mode="lines+markers",
        line={"color": colour, "dash": "dash" if ahead else "solid"},
        hovertemplate="%{x}: %{y}%<extra>" + area["name"] + "</extra>",
    )


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
    fig.update_layout(**LAYOUT)
    return str(fig.to_json())
