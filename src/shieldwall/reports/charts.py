"""Plotly figures for the pages, as JSON that the page hands to plotly.min.js."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.15},
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}


def coverage_by_area(rows: list[dict[str, Any]]) -> str | None:
    rows = [r for r in rows if r["requested_eur"]]
    if not rows:
        return None
    names = [r["name"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(
                name="Requested",
                y=names,
                x=[r["requested_eur"] for r in rows],
                orientation="h",
                marker_color="#c8ced6",
            ),
            go.Bar(
                name="Committed",
                y=names,
                x=[r["committed_eur"] for r in rows],
                orientation="h",
                marker_color="#2f6690",
            ),
            go.Bar(
                name="Delivered",
                y=names,
                x=[r["delivered_eur"] for r in rows],
                orientation="h",
                marker_color="#3a7d44",
            ),
        ]
    )
    fig.update_layout(barmode="group", xaxis_title="EUR", yaxis={"automargin": True}, **LAYOUT)
    return str(fig.to_json())


def pledged_vs_delivered(rows: list[dict[str, Any]], top: int = 15) -> str | None:
    rows = [r for r in rows if r["committed_eur"] or r["offered_eur"]][:top]
    if not rows:
        return None
    members = [r["member"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(
                name="Committed",
                x=members,
                y=[r["committed_eur"] for r in rows],
                marker_color="#2f6690",
            ),
            go.Bar(
                name="Delivered",
                x=members,
                y=[r["delivered_eur"] for r in rows],
                marker_color="#3a7d44",
            ),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="EUR", **LAYOUT)
    return str(fig.to_json())


def promised_committed_delivered(rows: list[dict[str, Any]]) -> str | None:
    """Per member, what its instruments promised beside what it committed and delivered
    toward them (EUR; ``rows`` in cents, as the compliance report gives them)."""
    rows = [
        r
        for r in rows
        if r["promised_eur_cents"] or r["committed_eur_cents"] or r["delivered_eur_cents"]
    ]
    if not rows:
        return None
    members = [r["member"] for r in rows]
    bars = (
        ("Promised", "promised_eur_cents", "#c8ced6"),
        ("Committed", "committed_eur_cents", "#2f6690"),
        ("Delivered", "delivered_eur_cents", "#3a7d44"),
    )
    fig = go.Figure(
        [
            go.Bar(name=name, x=members, y=[r[key] / 100 for r in rows], marker_color=colour)
            for name, key, colour in bars
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="EUR", **LAYOUT)
    return str(fig.to_json())
