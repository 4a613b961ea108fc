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


def burden_shares(rows: list[dict[str, Any]], top: int = 20) -> str | None:
    """Each member's share of everything committed and of everything delivered (%), with its
    % of GDP in the hover text ("—" where there is no GDP, as for the EU)."""
    rows = [r for r in rows if r["committed_eur"] or r["delivered_eur"]][:top]
    if not rows:
        return None
    members = [r["member"] for r in rows][::-1]  # the largest at the top

    def gdp(value: float | None) -> str:
        return "—" if value is None else f"{value:g}% of GDP"

    def bar(name: str, share: str, pct: str, colour: str) -> go.Bar:
        ordered = rows[::-1]
        return go.Bar(
            name=name,
            y=members,
            x=[r[share] or 0 for r in ordered],
            orientation="h",
            marker_color=colour,
            customdata=[gdp(r[pct]) for r in ordered],
            hovertemplate="%{y}: %{x}% of all " + name.lower() + " (%{customdata})<extra></extra>",
        )

    fig = go.Figure(
        [
            bar("Committed", "committed_share", "committed_pct_gdp", "#2f6690"),
            bar("Delivered", "delivered_share", "delivered_pct_gdp", "#3a7d44"),
        ]
    )
    layout = {**LAYOUT, "height": max(260, 40 + 36 * len(rows))}
    fig.update_layout(
        barmode="group", xaxis_title="share of the total, %", yaxis={"automargin": True}, **layout
    )
    return str(fig.to_json())
